import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { DialectName } from '../database.ts';

/** Operator accounts of the console, their sessions, and the operator named on audit events. */
export function operatorsMigration(dialect: DialectName) {
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
  const id = dialect === 'postgres' ? 'bigserial' : 'integer';
  const primaryKey = (c: ColumnDefinitionBuilder) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement());

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema
        .createTable('operators')
        .addColumn('id', id, primaryKey)
        .addColumn('username', 'text', (c) => c.notNull().unique())
        .addColumn('email', 'text', (c) => c.notNull())
        .addColumn('role', 'text', (c) => c.notNull().check(sql`role in ('admin', 'support')`))
        .addColumn('password_hash', 'text', (c) => c.notNull())
        // AES-256-GCM under the master key; null until the operator sets up an authenticator.
        .addColumn('totp_secret_ciphertext', 'text')
        .addColumn('totp_enabled_at', bigint)
        // The last accepted TOTP time step: a code is accepted once.
        .addColumn('totp_last_step', bigint)
        .addColumn('disabled_at', bigint)
        .addColumn('created_at', bigint, (c) => c.notNull())
        .execute();

      await db.schema
        .createTable('operator_sessions')
        .addColumn('id', id, primaryKey)
        .addColumn('operator_id', bigint, (c) => c.notNull().references('operators.id').onDelete('cascade'))
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('csrf_token', 'text', (c) => c.notNull())
        // 'password': the password was right, the second factor is due; 'full': signed in.
        .addColumn('stage', 'text', (c) => c.notNull().check(sql`stage in ('password', 'full')`))
        .addColumn('created_at', bigint, (c) => c.notNull())
        .addColumn('expires_at', bigint, (c) => c.notNull())
        .execute();
      await db.schema.createIndex('operator_sessions_operator_idx').on('operator_sessions').column('operator_id').execute();

      // The operator's name as it was, so the trail survives a renamed or removed operator.
      await db.schema.alterTable('audit_events').addColumn('operator', 'text').execute();
      await db.schema.createIndex('audit_events_created_idx').on('audit_events').column('created_at').execute();
    },
  };
}
