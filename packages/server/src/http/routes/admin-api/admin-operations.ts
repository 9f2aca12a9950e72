import type { FastifyInstance } from 'fastify';
import {
  ADMIN_API,
  ADMIN_API_PATHS,
  EventList,
  EventsQuery,
  MailList,
  MailQuery,
  MailView,
  ProviderEventView,
} from '@rotki-premium/protocol/admin-api';
import { recordAudit } from '../../../domain/audit.ts';
import type { DomainContext } from '../../../domain/context.ts';
import type { PaymentGateways } from '../../../domain/payments/gateways.ts';
import { listMail, retryMail, toMailEntry, type MailEntry } from '../../../domain/mail/queue.ts';
import { replayProviderEvent } from '../../../domain/payments/event-replay.ts';
import { getProviderEvent, listProviderEvents, type ProviderEvent } from '../../../domain/payments/provider-events.ts';
import { notFound } from '../../../domain/errors.ts';
import { IdParam, webRoute } from '../../openapi/route-schema.ts';
import { asOperator } from './admin-plugin.ts';

const path = (full: string) => full.slice(ADMIN_API.length);
const iso = (ms: number) => new Date(ms).toISOString();

function eventView(event: ProviderEvent): ProviderEventView {
  return {
    id: event.id,
    provider: event.provider,
    eventId: event.eventId,
    type: event.type,
    occurredAt: iso(event.occurredAt),
    receivedAt: iso(event.receivedAt),
    status: event.status,
    outcome: event.outcome,
    attempts: event.attempts,
    processedAt: event.processedAt === null ? null : iso(event.processedAt),
  };
}

function mailView(mail: MailEntry): MailView {
  return {
    id: mail.id,
    to: mail.to,
    template: mail.template,
    status: mail.status,
    attempts: mail.attempts,
    nextAttemptAt: mail.nextAttemptAt.toISOString(),
    lastError: mail.lastError,
    createdAt: mail.createdAt.toISOString(),
    sentAt: mail.sentAt === null ? null : mail.sentAt.toISOString(),
  };
}

/**
 * Payment providers' events with what processing did, and a replay (admins:
 * it moves money state, although every effect is applied once by its key);
 * the mail outbox with a retry (any operator: a sent mail is never sent twice).
 */
export async function adminOperationsRoutes(app: FastifyInstance, options: { ctx: DomainContext; gateways: PaymentGateways }): Promise<void> {
  const { ctx, gateways } = options;

  app.get(
    path(ADMIN_API_PATHS.events),
    {
      schema: webRoute({ summary: "Payment providers' events (webhooks), newest first, with their outcome", querystring: EventsQuery, response: { 200: EventList } }),
      config: { console: 'operator' },
    },
    async (request): Promise<EventList> => {
      const query = EventsQuery.parse(request.query);
      const events = await listProviderEvents(ctx, { limit: query.limit, ...(query.status === undefined ? {} : { status: query.status }) });
      return { events: events.map(eventView) };
    },
  );

  app.post(
    `${path(ADMIN_API_PATHS.events)}/:id/replay`,
    {
      schema: webRoute({ summary: 'Process a stored event again (admins); answers with the event as it is afterwards', params: IdParam, response: { 200: ProviderEventView } }),
      config: { console: 'admin' },
    },
    async (request): Promise<ProviderEventView> => {
      const { id } = IdParam.parse(request.params);
      const before = await getProviderEvent(ctx, id);
      const result = await replayProviderEvent(ctx, id, gateways);
      await asOperator(request, () =>
        recordAudit(ctx.store.db, ctx.clock, {
          accountId: null,
          action: 'provider_event.replayed',
          detail: { id, provider: before.provider, eventId: before.eventId, type: before.type, status: result.status, outcome: result.outcome },
        }),
      );
      return eventView(await getProviderEvent(ctx, id));
    },
  );

  app.get(
    path(ADMIN_API_PATHS.mail),
    {
      schema: webRoute({ summary: 'The mail queue, newest first, with attempts and the last error', querystring: MailQuery, response: { 200: MailList } }),
      config: { console: 'operator' },
    },
    async (request): Promise<MailList> => {
      const query = MailQuery.parse(request.query);
      const to = query.to === undefined || query.to === '' ? {} : { to: query.to };
      const mails = await listMail(ctx.store.db, { limit: query.limit, ...to, ...(query.status === undefined ? {} : { status: query.status }) });
      return { mails: mails.map(mailView) };
    },
  );

  app.post(
    `${path(ADMIN_API_PATHS.mail)}/:id/retry`,
    {
      schema: webRoute({ summary: 'Send a failed or waiting mail again now (a sent mail is refused)', params: IdParam, response: { 200: MailView } }),
      config: { console: 'operator' },
    },
    async (request): Promise<MailView> => {
      const { id } = IdParam.parse(request.params);
      await retryMail(ctx.store.db, ctx.clock, { id });
      const row = await ctx.store.db.selectFrom('mail_queue').selectAll().where('id', '=', id).executeTakeFirst();
      if (row === undefined) throw notFound(`No mail with id ${id}`);
      await asOperator(request, () =>
        recordAudit(ctx.store.db, ctx.clock, { accountId: null, action: 'mail.retried', detail: { id, template: row.template } }),
      );
      return mailView(toMailEntry(row));
    },
  );
}
