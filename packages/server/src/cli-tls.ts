import { join, resolve } from 'node:path';
import { Option, type Command } from 'commander';
import type { BackupCommandHelpers } from './cli-backups.ts';
import { requiredOption } from './cli-options.ts';
import { buildConfig } from './config/config.ts';
import { invalid } from './domain/errors.ts';
import { isHostName, issueCertificate } from './tls/issue-certificate.ts';

/** `tls issue`: a local CA and a certificate, so an unmodified rotki app can reach this server as rotki.com. */
export function registerTlsCommands(program: Command, helpers: BackupCommandHelpers): void {
  const tls = program.command('tls').description('certificates for serving HTTPS under a chosen name');
  helpers
    .jsonOption(
      helpers.storeOptions(
        tls
          .command('issue')
          .description('create a local CA (for this one name) and a certificate for --hostname, for --tls-cert and --tls-key')
          .addOption(requiredOption('--hostname <name>', 'the name clients call, e.g. rotki.com', 'ROTKI_PREMIUM_TLS_HOSTNAME'))
          .addOption(new Option('--out <dir>', 'where to write the files (default: <data>/tls)').env('ROTKI_PREMIUM_TLS_OUT'))
          .addOption(new Option('--force', 'replace the files of an earlier run')),
      ),
    )
    .action((options: { hostname: string; out?: string; force?: boolean; data?: string; json?: boolean }) => {
      const hostname = options.hostname.toLowerCase();
      if (!isHostName(hostname)) throw invalid(`--hostname must be a host name such as rotki.com, got "${options.hostname}"`);
      const outDir = resolve(options.out ?? join(buildConfig({ dataDir: options.data }).dataDir, 'tls'));
      const issued = issueCertificate(hostname, outDir, { force: options.force === true });
      const text = [
        `Certificate for ${hostname} until ${issued.notAfter.toISOString().slice(0, 10)}, signed by a new CA that can vouch for ${hostname} only (its private key is already deleted).`,
        `  CA to trust:   ${issued.caFile}`,
        ...(issued.bundleFile === null ? [] : [`  CA + public CAs (for REQUESTS_CA_BUNDLE): ${issued.bundleFile}`]),
        `  server:        --tls-cert ${issued.certFile} --tls-key ${issued.keyFile}`,
        '',
        `Serve it:  rotki-premium start --host 0.0.0.0 --port 443 --tls-cert ${issued.certFile} --tls-key ${issued.keyFile}`,
        `Then, on the computer with the rotki app, make ${hostname} resolve to this server and trust the CA: docs/rotki-app.md.`,
      ].join('\n');
      helpers.print(options.json, text, {
        hostname,
        ca_file: issued.caFile,
        bundle_file: issued.bundleFile,
        cert_file: issued.certFile,
        key_file: issued.keyFile,
        not_after: issued.notAfter.toISOString(),
      });
    });
}
