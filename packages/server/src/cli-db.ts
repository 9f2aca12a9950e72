import { resolve } from 'node:path';
import { Option, type Command } from 'commander';
import type { BackupCommandHelpers, BlobStoreOptionValues } from './cli-backups.ts';
import { backupConfigInput, blobStoreOptions } from './cli-backups.ts';
import { requiredOption } from './cli-options.ts';
import { buildConfig, readSecrets, type ServerConfig } from './config/config.ts';
import { invalid } from './domain/errors.ts';
import { openBlobStore } from './store/blob-store.ts';
import type { CopyReport } from './store/copy/copy-to-postgres.ts';
import { redactUrl, sqliteFile } from './store/database.ts';

interface DbOptions extends BlobStoreOptionValues {
  data?: string;
  database?: string;
  json?: boolean;
}

/** The installation's SQLite file; a usage error when it runs on PostgreSQL. */
function sourceDatabase(options: DbOptions, hint: string): { config: ServerConfig; file: string } {
  const config = buildConfig({ dataDir: options.data, databaseUrl: options.database, backups: backupConfigInput(options) });
  const file = sqliteFile({ dataDir: config.dataDir, databaseUrl: config.databaseUrl });
  if (file === null) throw invalid(`this command reads a SQLite database, and --database names PostgreSQL; ${hint}`);
  return { config, file };
}

/** The options that point `rotki-premium start` at the copy (the password left out of the URL). */
function startOptions(target: string, s3: ServerConfig['backups']['s3']): string[] {
  const options = ['--database', redactUrl(target)];
  if (s3 !== null) {
    options.push('--blob-store', 's3', '--s3-bucket', s3.bucket, '--s3-region', s3.region);
    if (s3.endpoint !== '') options.push('--s3-endpoint', s3.endpoint);
    if (s3.forcePathStyle) options.push('--s3-force-path-style', 'true');
    if (s3.accessKeyId !== '') options.push('--s3-access-key-id', s3.accessKeyId);
  }
  return options;
}

function reportText(report: CopyReport, source: string, start: string[], dataDir: string, movedTo: string | null): string {
  const width = Math.max(...report.tables.map((t) => t.table.length), 5);
  const lines = [`Snapshot of ${source} taken at ${report.snapshotAt.toISOString()} (online backup: the server may keep running)`, ''];
  lines.push(`${'table'.padEnd(width)}  ${'rows'.padStart(9)}  check`);
  for (const t of report.tables) {
    const check = t.skipped !== null ? `not copied: ${t.skipped}` : t.matches ? 'count and checksum match' : `MISMATCH (sent ${t.sourceRows}, found ${t.targetRows})`;
    lines.push(`${t.table.padEnd(width)}  ${String(t.targetRows).padStart(9)}  ${check}`);
  }
  lines.push('');
  if (movedTo !== null) lines.push(`${report.blobsMoved} backups copied to ${movedTo}; the files in ${dataDir}/backups are left as they were.`);
  lines.push(
    report.matches ? 'Every table matches: row counts and checksums.' : 'THE COPY DOES NOT MATCH: do not switch to it; drop that database and copy again.',
    '',
    'To run on the copy: stop the server, then start it with',
    `  rotki-premium start ${start.map((o) => (/^[\w@%+=:,./-]+$/.test(o) ? o : `'${o}'`)).join(' ')}`,
    '(or the matching ROTKI_PREMIUM_* variables), with the password in the URL and, for S3, ROTKI_PREMIUM_S3_SECRET_ACCESS_KEY.',
    `Every instance needs this installation's master key: ${dataDir}/master.key, or the same ROTKI_PREMIUM_MASTER_KEY.`,
    'Rows written after the snapshot are not in the copy: stop the server before switching, or copy again into a new database.',
  );
  return lines.join('\n');
}

/** `admin db copy` (SQLite → PostgreSQL) and `admin db backup` (a consistent copy of a live SQLite database). */
export function registerDbCommands(admin: Command, helpers: BackupCommandHelpers): void {
  const db = admin.command('db').description('move the database to PostgreSQL, or back it up');

  helpers
    .jsonOption(
      blobStoreOptions(
        helpers.storeOptions(
          db
            .command('copy')
            .description('copy this SQLite installation into an empty PostgreSQL database and verify every table')
            .addOption(requiredOption('--to <url>', 'postgres://… of an empty database', 'ROTKI_PREMIUM_COPY_TO'))
            .addOption(new Option('--to-s3', 'also copy the backups into the S3 bucket of the --s3-* options').env('ROTKI_PREMIUM_COPY_TO_S3')),
        ),
      ),
    )
    .action(async (options: DbOptions & { to: string; toS3?: boolean }) => {
      if (!/^postgres(ql)?:\/\//.test(options.to)) throw invalid(`--to must be a postgres://… URL, got "${redactUrl(options.to)}"`);
      const { config, file } = sourceDatabase(options, 'it is PostgreSQL already (pg_dump and pg_restore copy it)');
      const secrets = readSecrets();
      let blobs = null;
      let s3: ServerConfig['backups']['s3'] = null;
      if (options.toS3 === true) {
        let target: ServerConfig['backups'];
        try {
          target = buildConfig({ dataDir: config.dataDir, backups: backupConfigInput({ ...options, blobStore: 's3' }) }).backups;
        } catch (error) {
          throw invalid(`--to-s3: ${error instanceof Error ? error.message : String(error)}`);
        }
        s3 = target.s3;
        const from = await openBlobStore({ ...config.backups, blobStore: 'file' }, undefined);
        blobs = { from, to: await openBlobStore(target, secrets.s3SecretAccessKey) };
      }
      const progress = options.json === true ? undefined : (line: string) => process.stderr.write(`${line}\n`);
      const { copySqliteToPostgres } = await import('./store/copy/copy-to-postgres.ts');
      let report: CopyReport;
      try {
        report = await copySqliteToPostgres({ source: file, target: options.to, blobs, ...(progress === undefined ? {} : { progress }) });
      } finally {
        await blobs?.from.close();
        await blobs?.to.close();
      }
      const start = startOptions(options.to, s3);
      helpers.print(options.json, reportText(report, file, start, config.dataDir, blobs?.to.location ?? null), {
        source: file,
        snapshot_at: report.snapshotAt.toISOString(),
        tables: report.tables.map((t) => ({
          table: t.table,
          source_rows: t.sourceRows,
          target_rows: t.targetRows,
          checksum: t.targetChecksum,
          matches: t.matches,
          skipped: t.skipped,
        })),
        blobs_moved: report.blobsMoved,
        matches: report.matches,
        start_options: start,
      });
      if (!report.matches) throw new Error('the copy does not match the snapshot (see the table above)');
    });

  helpers
    .jsonOption(
      helpers.storeOptions(
        db
          .command('backup')
          .description('write a consistent copy of the SQLite database, while the server runs or not')
          .addOption(requiredOption('--to <file>', 'the copy (a new file)', 'ROTKI_PREMIUM_BACKUP_TO')),
      ),
    )
    .action(async (options: DbOptions & { to: string }) => {
      const { config, file } = sourceDatabase(options, 'back it up with pg_dump (see docs/deploy.md)');
      const { snapshotSqlite } = await import('./store/copy/sqlite-snapshot.ts');
      const snapshot = await snapshotSqlite(file, resolve(options.to));
      helpers.print(
        options.json,
        [
          `Copied ${file} to ${snapshot.file} (${snapshot.bytes} bytes, as of ${snapshot.takenAt.toISOString()}).`,
          `Keep ${config.dataDir}/master.key (or ROTKI_PREMIUM_MASTER_KEY) and the backups (${config.backups.directory}) with it.`,
        ].join('\n'),
        { source: file, file: snapshot.file, bytes: snapshot.bytes, taken_at: snapshot.takenAt.toISOString() },
      );
    });
}
