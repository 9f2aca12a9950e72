import { randomBytes } from 'node:crypto';
import { renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import type { Command } from 'commander';
import type { BackupCommandHelpers } from './cli-backups.ts';
import { buildConfig, readSecrets } from './config/config.ts';
import { MASTER_KEY_FILE, keyFingerprint, loadMasterKey, parseOtherMasterKeys } from './domain/keyring.ts';
import { rotateMasterKey } from './domain/master-key.ts';
import { openContext } from './server.ts';

interface RotateOptions {
  data?: string;
  database?: string;
  json?: boolean;
}

/**
 * `admin master-key rotate`: re-encrypts every stored secret under a new
 * master key (`ROTKI_PREMIUM_NEW_MASTER_KEY`, or a fresh one written to the
 * data folder's key file when the key lives there). See docs/security.md for
 * the order of steps with several instances.
 */
export function registerMasterKeyCommands(admin: Command, helpers: BackupCommandHelpers): void {
  const masterKey = admin.command('master-key').description('the master key that encrypts the stored secrets');
  helpers
    .jsonOption(helpers.storeOptions(masterKey.command('rotate').description('re-encrypt every stored secret under a new master key')))
    .action(async (options: RotateOptions) => {
      const config = buildConfig({ dataDir: options.data, databaseUrl: options.database });
      const secrets = readSecrets();
      const fromEnvironment = secrets.masterKey !== undefined && secrets.masterKey !== '';
      const currentKey = loadMasterKey(secrets.masterKey, config.dataDir);
      const given = process.env.ROTKI_PREMIUM_NEW_MASTER_KEY;
      if (fromEnvironment && (given === undefined || given === '')) {
        throw new Error('Set ROTKI_PREMIUM_NEW_MASTER_KEY to the new key (64 hex characters): the current one comes from ROTKI_PREMIUM_MASTER_KEY');
      }
      const newKey = given === undefined || given === '' ? randomBytes(32) : parseKey(given);
      const others = [currentKey, ...parseOtherMasterKeys(secrets.otherMasterKeys)];
      const ctx = await openContext(config, { ...secrets, masterKey: newKey.toString('hex'), otherMasterKeys: others.map((k) => k.toString('hex')).join(',') });
      let report;
      try {
        report = await rotateMasterKey(ctx.store.db, ctx.keyRing, ctx.clock.now());
      } finally {
        await ctx.store.destroy();
      }
      let keyFile: string | null = null;
      if (!fromEnvironment) {
        // The key lives in the data folder: the new one replaces it; the old one is kept for backups made before.
        keyFile = join(config.dataDir, MASTER_KEY_FILE);
        const retiredFile = join(config.dataDir, `${MASTER_KEY_FILE}.retired-${keyFingerprint(currentKey).replaceAll(':', '')}`);
        const nextFile = `${keyFile}.next`;
        writeFileSync(nextFile, `${newKey.toString('hex')}\n`, { mode: 0o600 });
        renameSync(keyFile, retiredFile);
        renameSync(nextFile, keyFile);
      }
      const text = [
        `${report.reencrypted} secret(s) re-encrypted; the master key is now ${report.current} (retired: ${report.retired.join(', ') || 'none'}).`,
        keyFile === null
          ? 'Start every instance with ROTKI_PREMIUM_MASTER_KEY set to the new key (see docs/security.md for the order without downtime).'
          : `The new key is in ${keyFile} (the old one beside it, for backups made before). Restart the server.`,
      ].join('\n');
      helpers.print(options.json, text, { reencrypted: report.reencrypted, fingerprint: report.current, retired: report.retired, key_file: keyFile });
    });
}

function parseKey(text: string): Buffer {
  return parseOtherMasterKeys(text)[0] ?? Buffer.alloc(0);
}
