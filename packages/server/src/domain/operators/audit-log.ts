import type { AuditEntryView, AuditQuery } from '@rotki-premium/protocol/admin-api';
import type { DomainContext } from '../context.ts';
import { auditEntryView } from './customers.ts';

/** The audit trail with the console's filters, newest first. */
export async function queryAuditLog(ctx: DomainContext, query: AuditQuery): Promise<AuditEntryView[]> {
  let select = ctx.store.db
    .selectFrom('audit_events')
    .leftJoin('accounts', 'accounts.id', 'audit_events.account_id')
    .select([
      'audit_events.id',
      'audit_events.created_at',
      'audit_events.action',
      'audit_events.operator',
      'audit_events.ip',
      'audit_events.detail',
      'accounts.username',
    ]);
  if (query.account !== undefined && query.account !== '') select = select.where('accounts.username', '=', query.account);
  if (query.action !== undefined && query.action !== '') select = select.where('audit_events.action', '=', query.action);
  if (query.operator !== undefined && query.operator !== '') select = select.where('audit_events.operator', '=', query.operator);
  if (query.from !== undefined) select = select.where('audit_events.created_at', '>=', Date.parse(query.from));
  if (query.to !== undefined) select = select.where('audit_events.created_at', '<', Date.parse(query.to));
  const rows = await select.orderBy('audit_events.id', 'desc').limit(query.limit).execute();
  return rows.map(auditEntryView);
}

function csvField(value: string): string {
  // Quoted always; a leading = + - @ is defused so a spreadsheet never runs it as a formula.
  const safe = /^[=+\-@\t\r]/.test(value) ? `'${value}` : value;
  return `"${safe.replace(/"/g, '""')}"`;
}

export function auditCsv(entries: readonly AuditEntryView[]): string {
  const header = ['time', 'action', 'account', 'operator', 'ip', 'detail'];
  const lines = entries.map((e) =>
    [e.at, e.action, e.account ?? '', e.operator ?? '', e.ip ?? '', JSON.stringify(e.detail)].map(csvField).join(','),
  );
  return `${[header.join(','), ...lines].join('\r\n')}\r\n`;
}
