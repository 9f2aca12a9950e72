import { printable, type BackupCurrent } from '@rotki-premium/protocol';
import { formatAgo, formatBytes, formatUtc, plural } from '@rotki-premium/protocol/wording';
import type { Command } from 'commander';
import type { AppCore } from '../app-core.ts';
import { AppError } from '../errors.ts';
import type { SyncStatusView } from '../sync/sync-status.ts';
import { print, UsageError, withUser } from './command-kit.ts';
import { progressReporter } from './progress-reporter.ts';

interface SyncOptions {
  user: string;
  force?: boolean;
  yes?: boolean;
}

function origin(backup: BackupCurrent, now: number): string {
  return `${printable(backup.uploaded_by ?? 'an unknown device')}, uploaded ${formatUtc(backup.upload_ts)} (${formatAgo(backup.upload_ts, now)}), ${formatBytes(backup.data_size)}`;
}

function autoSyncText(status: SyncStatusView, now: number): string {
  if (!status.auto_sync) return 'off';
  if (status.auto_sync_failing_since === 0) return 'on';
  const since = `${formatUtc(status.auto_sync_failing_since)} (${formatAgo(status.auto_sync_failing_since, now)})`;
  return `on, failing since ${since}${status.auto_sync_error === null ? '' : `: ${printable(status.auto_sync_error)}`}`;
}

function statusText(status: SyncStatusView, now: number): string {
  const lines = [
    status.last_synced_at === 0
      ? 'Last sync: never'
      : `Last sync: ${status.last_sync_action === 'download' ? 'downloaded' : 'uploaded'} ${formatUtc(status.last_synced_at)} (${formatAgo(status.last_synced_at, now)})`,
    `Local changes not uploaded: ${status.pending_changes ? 'yes' : 'no'}`,
    `Automatic sync: ${autoSyncText(status, now)}`,
    status.remote === null ? 'Server backup: none' : `Server backup: ${origin(status.remote, now)}`,
  ];
  if (status.remote_error !== null) lines.push(`Could not look at the server: ${status.remote_error}`);
  if (status.restore_offer) lines.push('This device has no data of its own: `sync pull` restores the server backup here.');
  else if (status.stale) lines.push('The server holds a backup this device has not synced: `sync pull` gets it, `sync push --force --yes` replaces it.');
  return lines.join('\n');
}

function requireActive(core: AppCore): void {
  const status = core.premiumStatus();
  if (!status.premium_active) throw new AppError(status.reason ?? 'premium_not_set_up', status.message ?? 'rotki Premium is not active for this user');
}

/** `sync status|history|push|pull` (and `upload|download`, their older names). */
export function addSyncCommands(program: Command): void {
  const sync = program.command('sync').description('the encrypted backup of a user on the rotki server');

  sync
    .command('status')
    .description('when this device last synced, local changes, and the server backup (who uploaded it, when)')
    .requiredOption('--user <name>', 'local user name')
    .action(async (options: SyncOptions, command: Command) => {
      await withUser(command, options.user, async (core) => {
        requireActive(core);
        const status = await core.syncStatus(true);
        print(command, statusText(status, Math.floor(core.now() / 1000)), status);
      });
    });

  sync
    .command('history')
    .description('the backup versions the server keeps, newest first, with who uploaded each')
    .requiredOption('--user <name>', 'local user name')
    .action(async (options: SyncOptions, command: Command) => {
      await withUser(command, options.user, async (core) => {
        requireActive(core);
        const history = await core.backupHistory();
        const now = Math.floor(core.now() / 1000);
        const rows = history.versions.map((v) => `${v.current ? '*' : ' '} ${origin(v, now)}`);
        const head = history.versions.length === 0 ? 'No backup on the server' : `${plural(history.versions.length, 'version')} (your plan keeps ${history.versions_kept}; * current)`;
        print(command, [head, ...rows].join('\n'), history);
      });
    });

  const transfers = [
    ['push', 'upload', 'upload this device\'s data (refused when the server holds a backup this device has not synced)'],
    ['upload', 'upload', 'the same as push'],
    ['pull', 'download', 'download the server backup over this device\'s data (kept as a file)'],
    ['download', 'download', 'the same as pull'],
  ] as const;
  for (const [name, action, description] of transfers) {
    const forceHelp =
      action === 'upload'
        ? "replace the server's backup even when another device uploaded since this one synced"
        : 'replace local changes that were not uploaded';
    sync
      .command(name)
      .description(description)
      .requiredOption('--user <name>', 'local user name')
      .option('--force', forceHelp)
      .option('--yes', 'confirm --force')
      .action(async (options: SyncOptions, command: Command) => {
        const force = options.force === true;
        if (force && options.yes !== true) {
          throw new UsageError(
            action === 'upload'
              ? "--force replaces the backup on the server with this device's data; changes another device uploaded are lost. Add --yes to confirm."
              : "--force replaces this device's data with the server backup, local changes that were not uploaded included (the database is kept as a file). Add --yes to confirm.",
          );
        }
        await withUser(command, options.user, async (core) => {
          requireActive(core);
          if (name === 'pull' && !force) {
            const status = await core.syncStatus(true);
            if (status.pending_changes) {
              throw new AppError(
                'sync_conflict',
                "Not downloaded: this device has local changes that were not uploaded, and the download would replace them (the database would be kept as a file). Upload first with `sync push`, or add --force --yes to replace them.",
              );
            }
          }
          const reporter = progressReporter();
          try {
            const outcome = await core.sync(action, (p) => reporter.update(p), { force });
            reporter.stop();
            print(command, outcome.message, outcome);
          } catch (error) {
            reporter.stop();
            throw error;
          }
        });
      });
  }
}
