import { sql, type ColumnDefinitionBuilder, type Kysely } from 'kysely';
import type { DialectName } from '../database.ts';

/**
 * Accounts people can keep: a verified e-mail, single-use tokens sent by mail
 * (verification, password reset, e-mail change), two-factor sign-in (TOTP,
 * recovery codes, passkeys), pending sign-in challenges, and what the Account
 * page shows of each session. Both dialects.
 */
export function accountSecurityMigration(dialect: DialectName) {
  const bigint = dialect === 'postgres' ? 'bigint' : 'integer';
  const id = dialect === 'postgres' ? 'bigserial' : 'integer';
  const primaryKey = (c: ColumnDefinitionBuilder) => (dialect === 'postgres' ? c.primaryKey() : c.primaryKey().autoIncrement());
  const account = (c: ColumnDefinitionBuilder) => c.notNull().references('accounts.id').onDelete('cascade');

  return {
    async up(db: Kysely<unknown>): Promise<void> {
      await db.schema.alterTable('accounts').addColumn('email_verified_at', bigint).execute();
      // Accounts made before verification existed were vouched for by whoever ran the service.
      await sql`update accounts set email_verified_at = created_at`.execute(db);
      // AES-256-GCM under the master key; set while enrolling, enabled once a code proved it.
      await db.schema.alterTable('accounts').addColumn('totp_secret_ciphertext', 'text').execute();
      await db.schema.alterTable('accounts').addColumn('totp_enabled_at', bigint).execute();
      await db.schema.alterTable('accounts').addColumn('totp_last_step', bigint).execute();
      await db.schema.alterTable('sessions').addColumn('user_agent', 'text').execute();
      await db.schema.alterTable('sessions').addColumn('ip', 'text').execute();
      await db.schema.alterTable('sessions').addColumn('last_seen_at', bigint).execute();

      await db.schema
        .createTable('account_tokens')
        .addColumn('id', id, primaryKey)
        .addColumn('account_id', bigint, account)
        .addColumn('purpose', 'text', (c) => c.notNull().check(sql`purpose in ('verify_email', 'reset_password', 'change_email')`))
        // SHA-256 of the token; the token itself is only in the mail.
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('new_email', 'text')
        .addColumn('created_at', bigint, (c) => c.notNull())
        .addColumn('expires_at', bigint, (c) => c.notNull())
        .addColumn('used_at', bigint)
        .execute();
      await db.schema.createIndex('account_tokens_account_idx').on('account_tokens').columns(['account_id', 'purpose']).execute();

      await db.schema
        .createTable('recovery_codes')
        .addColumn('id', id, primaryKey)
        .addColumn('account_id', bigint, account)
        .addColumn('code_hash', 'text', (c) => c.notNull())
        .addColumn('used_at', bigint)
        .execute();
      await db.schema.createIndex('recovery_codes_account_idx').on('recovery_codes').column('account_id').execute();

      await db.schema
        .createTable('passkeys')
        .addColumn('id', id, primaryKey)
        .addColumn('account_id', bigint, account)
        .addColumn('credential_id', 'text', (c) => c.notNull().unique())
        .addColumn('public_key', 'text', (c) => c.notNull())
        .addColumn('counter', bigint, (c) => c.notNull())
        .addColumn('transports', 'text', (c) => c.notNull())
        .addColumn('name', 'text', (c) => c.notNull())
        .addColumn('created_at', bigint, (c) => c.notNull())
        .addColumn('last_used_at', bigint)
        .execute();
      await db.schema.createIndex('passkeys_account_idx').on('passkeys').column('account_id').execute();

      // A sign-in half done (password right, second factor due) or a WebAuthn challenge waiting for its answer.
      await db.schema
        .createTable('auth_challenges')
        .addColumn('id', id, primaryKey)
        .addColumn('token_hash', 'text', (c) => c.notNull().unique())
        .addColumn('kind', 'text', (c) => c.notNull().check(sql`kind in ('second_factor', 'passkey_login', 'passkey_register')`))
        .addColumn('account_id', bigint, (c) => c.references('accounts.id').onDelete('cascade'))
        .addColumn('challenge', 'text')
        .addColumn('attempts', 'integer', (c) => c.notNull())
        .addColumn('created_at', bigint, (c) => c.notNull())
        .addColumn('expires_at', bigint, (c) => c.notNull())
        .execute();
    },
  };
}
