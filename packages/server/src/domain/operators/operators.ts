import { randomBytes } from 'node:crypto';
import { z } from 'zod';
import { OperatorRole } from '@rotki-premium/protocol/admin-api';
import type { OperatorRow } from '../../store/operators.table.ts';
import { recordAudit } from '../audit.ts';
import type { DomainContext } from '../context.ts';
import { conflict, invalid, notFound } from '../errors.ts';
import { dummyHash, hashPassword, verifyPassword } from '../passwords.ts';

/**
 * Operators run the console. They are made only by the command line, apart
 * from subscribers (their own table, sessions and cookie), with a role:
 * `admin` may do everything, `support` everything but change tiers and prices.
 */
export interface Operator {
  id: number;
  username: string;
  email: string;
  role: OperatorRole;
  /** An authenticator is set up; until then the first sign-in sets one up. */
  secondFactor: boolean;
  disabled: boolean;
  createdAt: Date;
}

export function toOperator(row: OperatorRow): Operator {
  return {
    id: Number(row.id),
    username: row.username,
    email: row.email,
    role: row.role,
    secondFactor: row.totp_enabled_at !== null,
    disabled: row.disabled_at !== null,
    createdAt: new Date(Number(row.created_at)),
  };
}

const OperatorName = z
  .string()
  .trim()
  .regex(/^[A-Za-z0-9_.-]{3,40}$/, 'Operator name must be 3 to 40 letters, digits, dots, dashes or underscores');
const OperatorEmail = z.string().trim().toLowerCase().email('Enter a valid email address').max(254);

function parse<T>(schema: z.ZodType<T>, value: unknown): T {
  const parsed = schema.safeParse(value);
  if (!parsed.success) throw invalid(parsed.error.issues[0]?.message ?? 'Invalid value');
  return parsed.data;
}

export interface CreatedOperator {
  operator: Operator;
  /** The first password: shown once (or mailed), never stored in clear. */
  password: string;
}

/** A new operator with a random first password; the authenticator is set up at the first sign-in. */
export async function createOperator(
  ctx: DomainContext,
  input: { username: string; email: string; role: string },
): Promise<CreatedOperator> {
  const username = parse(OperatorName, input.username);
  const email = parse(OperatorEmail, input.email);
  const role = parse(OperatorRole, input.role);
  const password = randomBytes(18).toString('base64url');
  const { db } = ctx.store;
  const taken = await db.selectFrom('operators').select('id').where('username', '=', username).executeTakeFirst();
  if (taken !== undefined) throw conflict(`Operator "${username}" exists`);
  const row = await db
    .insertInto('operators')
    .values({ username, email, role, password_hash: await hashPassword(password, ctx.passwordHashCost), created_at: ctx.clock.now() })
    .returningAll()
    .executeTakeFirstOrThrow();
  await recordAudit(db, ctx.clock, { accountId: null, action: 'operator.created', detail: { operator: username, role } });
  return { operator: toOperator(row), password };
}

export async function listOperators(ctx: DomainContext): Promise<Operator[]> {
  const rows = await ctx.store.db.selectFrom('operators').selectAll().orderBy('username').execute();
  return rows.map(toOperator);
}

export async function findOperatorRow(ctx: DomainContext, username: string): Promise<OperatorRow | null> {
  const row = await ctx.store.db.selectFrom('operators').selectAll().where('username', '=', username.trim()).executeTakeFirst();
  return row ?? null;
}

async function requireOperatorRow(ctx: DomainContext, username: string): Promise<OperatorRow> {
  const row = await findOperatorRow(ctx, username);
  if (row === null) throw notFound(`No operator named "${username}"`);
  return row;
}

/** Removes the authenticator: the next sign-in sets up a new one. Ends the operator's sessions. */
export async function resetOperatorSecondFactor(ctx: DomainContext, username: string): Promise<Operator> {
  const row = await requireOperatorRow(ctx, username);
  const { db } = ctx.store;
  await db
    .updateTable('operators')
    .set({ totp_secret_ciphertext: null, totp_enabled_at: null, totp_last_step: null })
    .where('id', '=', row.id)
    .execute();
  await db.deleteFrom('operator_sessions').where('operator_id', '=', row.id).execute();
  await recordAudit(db, ctx.clock, { accountId: null, action: 'operator.second_factor_reset', detail: { operator: row.username } });
  return toOperator({ ...row, totp_secret_ciphertext: null, totp_enabled_at: null, totp_last_step: null });
}

/** The operator can no longer sign in; their sessions end at once. */
export async function disableOperator(ctx: DomainContext, username: string): Promise<Operator> {
  const row = await requireOperatorRow(ctx, username);
  const now = ctx.clock.now();
  const { db } = ctx.store;
  await db.updateTable('operators').set({ disabled_at: now }).where('id', '=', row.id).execute();
  await db.deleteFrom('operator_sessions').where('operator_id', '=', row.id).execute();
  await recordAudit(db, ctx.clock, { accountId: null, action: 'operator.disabled', detail: { operator: row.username } });
  return toOperator({ ...row, disabled_at: now });
}

/** The operator whose name and password these are, or null (disabled operators included), in the same time either way. */
export async function checkOperatorPassword(ctx: DomainContext, username: string, password: string): Promise<OperatorRow | null> {
  const row = await findOperatorRow(ctx, username);
  const matches = await verifyPassword(password, row?.password_hash ?? dummyHash(ctx.passwordHashCost));
  return row !== null && matches && row.disabled_at === null ? row : null;
}

/** Encryption context of an operator's TOTP secret: bound to the row. */
export function totpSecretContext(operatorId: number): string {
  return `operator-totp:${operatorId}`;
}
