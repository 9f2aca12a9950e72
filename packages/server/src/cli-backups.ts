import { Option, type Command } from 'commander';
import { requiredOption } from './cli-options.ts';
import type { BackupConfigInput } from './config/backup-config.ts';
import { buildConfig, readSecrets } from './config/config.ts';
import { requireAccount } from './domain/accounts.ts';
import { deleteAllBackups, listBackupVersions, restoreBackupVersion, type BackupVersion } from './domain/backup-history.ts';
import { backupMetadata } from './domain/backup-current.ts';
import { sweepBackupUploads } from './domain/backup-upload-removal.ts';
import type { Backups } from './domain/backups.ts';
import { openBackups, openContext } from './server.ts';

/** Blob store options of `start` and `admin backups`; the S3 secret key is read from the environment only. */
export interface BlobStoreOptionValues {
  blobStore?: string;
  s3Endpoint?: string;
  s3Bucket?: string;
  s3Region?: string;
  s3AccessKeyId?: string;
  s3ForcePathStyle?: string;
  backupUploadTtl?: string;
}

export function blobStoreOptions(command: Command): Command {
  return command
    .addOption(
      new Option('--blob-store <kind>', 'where backups are stored: file (<data>/backups) or s3')
        .choices(['file', 's3'])
        .env('ROTKI_PREMIUM_BLOB_STORE')
        .default('file'),
    )
    .addOption(new Option('--s3-endpoint <url>', 'S3-compatible endpoint; omit for AWS').env('ROTKI_PREMIUM_S3_ENDPOINT'))
    .addOption(new Option('--s3-bucket <name>', 'bucket for backups (must exist)').env('ROTKI_PREMIUM_S3_BUCKET'))
    .addOption(new Option('--s3-region <region>', 'bucket region').env('ROTKI_PREMIUM_S3_REGION').default('us-east-1'))
    .addOption(
      new Option('--s3-access-key-id <id>', 'access key id; the secret comes from ROTKI_PREMIUM_S3_SECRET_ACCESS_KEY').env(
        'ROTKI_PREMIUM_S3_ACCESS_KEY_ID',
      ),
    )
    .addOption(
      new Option('--s3-force-path-style <bool>', 'address the bucket in the path (most self-hosted S3 servers)')
        .choices(['true', 'false', '1', '0'])
        .env('ROTKI_PREMIUM_S3_FORCE_PATH_STYLE')
        .default('false'),
    )
    .addOption(
      new Option('--backup-upload-ttl <seconds>', 'remove an unfinished upload after this long without a chunk')
        .env('ROTKI_PREMIUM_BACKUP_UPLOAD_TTL_SECONDS')
        .default('86400'),
    );
}

export function backupConfigInput(options: BlobStoreOptionValues): BackupConfigInput {
  return {
    blobStore: options.blobStore,
    s3Endpoint: options.s3Endpoint,
    s3Bucket: options.s3Bucket,
    s3Region: options.s3Region,
    s3AccessKeyId: options.s3AccessKeyId,
    s3ForcePathStyle: options.s3ForcePathStyle,
    uploadTtlSeconds: options.backupUploadTtl,
  };
}

interface CommonOptions extends BlobStoreOptionValues {
  data?: string;
  database?: string;
  json?: boolean;
}

/** Runs `work` with the domain and the configured blob store, closing both after. */
export async function withBackups<T>(options: CommonOptions & BlobStoreOptionValues, work: (b: Backups) => Promise<T>): Promise<T> {
  const config = buildConfig({
    dataDir: options.data,
    databaseUrl: options.database,
    backups: backupConfigInput(options),
  });
  const secrets = readSecrets();
  const ctx = await openContext(config, secrets);
  try {
    const b = await openBackups(ctx, config, secrets);
    try {
      return await work(b);
    } finally {
      await b.blobs.close();
    }
  } finally {
    await ctx.store.destroy();
  }
}

export interface BackupCommandHelpers {
  storeOptions(command: Command): Command;
  jsonOption(command: Command): Command;
  print(json: boolean | undefined, human: string, object: Record<string, unknown>): void;
}

function versionJson(v: BackupVersion): Record<string, unknown> {
  return {
    version: v.uploadId,
    current: v.current,
    size: v.size,
    sha256: v.sha256,
    last_modify_ts: v.lastModifyTs,
    uploaded_at: new Date(v.uploadedAt).toISOString(),
    device_name: v.deviceName,
    device_platform: v.devicePlatform,
    user_agent: v.userAgent,
    uploaded_by: v.uploadedBy,
  };
}

function versionLine(v: BackupVersion): string {
  const mib = (v.size / 1_048_576).toFixed(2);
  return `${v.current ? 'current ' : 'earlier '} ${v.uploadId}  ${mib} MiB  uploaded ${new Date(v.uploadedAt).toISOString()} by ${v.uploadedBy}`;
}

/** `admin backups sweep|show|list|restore|delete`. */
export function registerBackupCommands(admin: Command, helpers: BackupCommandHelpers): void {
  const backups = admin.command('backups').description('stored backups and unfinished uploads');
  helpers
    .jsonOption(
      blobStoreOptions(
        helpers.storeOptions(
          backups
            .command('sweep')
            .description('remove expired or abandoned uploads and replaced backups now (the server also does it every minute)')
            .addOption(new Option('--idle <seconds>', 'also remove open uploads without a chunk for this long (0: every open upload)').env('ROTKI_PREMIUM_SWEEP_IDLE_SECONDS')),
        ),
      ),
    )
    .action(async (options: CommonOptions & { idle?: string }) => {
      let idleMs: number | undefined;
      if (options.idle !== undefined) {
        if (!/^\d+$/.test(options.idle)) throw new Error(`--idle must be a whole number of seconds ≥ 0, got "${options.idle}"`);
        idleMs = Number(options.idle) * 1000;
      }
      await withBackups(options, async (b) => {
        const removed = await sweepBackupUploads(b, idleMs === undefined ? {} : { idleMs });
        helpers.print(options.json, `Removed ${removed} upload(s) or replaced backup(s) (${b.blobs.kind} store at ${b.blobs.location})`, {
          removed,
          blob_store: b.blobs.kind,
        });
      });
    });

  helpers
    .jsonOption(
      blobStoreOptions(
        helpers.storeOptions(
          backups.command('show').description("an account's stored backup, as last_data_metadata reports it").addOption(requiredOption('--username <name>', 'account', 'ROTKI_PREMIUM_USERNAME')),
        ),
      ),
    )
    .action(async (options: CommonOptions & { username: string }) => {
      await withBackups(options, async (b) => {
        const owner = await requireAccount(b.ctx, options.username);
        const meta = await backupMetadata(b, owner.id);
        const open = await b.ctx.store.db
          .selectFrom('backup_uploads')
          .select(['id', 'bytes_received', 'expected_size'])
          .where('account_id', '=', owner.id)
          .where('state', '=', 'open')
          .executeTakeFirst();
        const human =
          meta.data_size === 0
            ? `${owner.username}: no backup`
            : `${owner.username}: ${meta.data_size} bytes, uploaded ${new Date(meta.upload_ts * 1000).toISOString()}, sha256 ${meta.data_hash}`;
        helpers.print(options.json, open === undefined ? human : `${human}; upload in progress: ${open.bytes_received}/${open.expected_size} bytes`, {
          username: owner.username,
          ...meta,
          open_upload: open === undefined ? null : { bytes_received: Number(open.bytes_received), total_size: Number(open.expected_size) },
        });
      });
    });

  const accountCommand = (name: string, description: string) =>
    helpers.jsonOption(
      blobStoreOptions(
        helpers.storeOptions(backups.command(name).description(description).addOption(requiredOption('--username <name>', 'account', 'ROTKI_PREMIUM_USERNAME'))),
      ),
    );

  accountCommand('list', "an account's backup versions: the current one, then the earlier ones, newest first").action(
    async (options: CommonOptions & { username: string }) => {
      await withBackups(options, async (b) => {
        const owner = await requireAccount(b.ctx, options.username);
        const versions = await listBackupVersions(b.ctx, owner.id);
        const human = versions.length === 0 ? `${owner.username}: no backup` : versions.map(versionLine).join('\n');
        helpers.print(options.json, human, { username: owner.username, versions: versions.map(versionJson) });
      });
    },
  );

  accountCommand('restore', 'make an earlier version the current backup (the apps see newer data on the server at their next check)')
    .addOption(requiredOption('--version <id>', 'the version, as `admin backups list` shows it', 'ROTKI_PREMIUM_BACKUP_VERSION'))
    .action(async (options: CommonOptions & { username: string; version: string }) => {
      await withBackups(options, async (b) => {
        const owner = await requireAccount(b.ctx, options.username);
        const restored = await restoreBackupVersion(b.ctx, owner.id, options.version);
        helpers.print(options.json, `Restored: ${versionLine(restored)}`, { username: owner.username, restored: versionJson(restored) });
      });
    });

  accountCommand('delete', "remove an account's backup and every earlier version (their bytes after an hour)")
    .addOption(new Option('--yes', 'confirm: there is no undo'))
    .action(async (options: CommonOptions & { username: string; yes?: boolean }) => {
      if (options.yes !== true) throw new Error('Deleting every backup version of an account cannot be undone: add --yes to confirm');
      await withBackups(options, async (b) => {
        const owner = await requireAccount(b.ctx, options.username);
        const deleted = await deleteAllBackups(b.ctx, { blobs: b.blobs, graceMs: b.policy.supersededGraceMs }, owner.id);
        helpers.print(options.json, `Deleted ${deleted} backup version(s) of ${owner.username}`, { username: owner.username, deleted });
      });
    });
}
