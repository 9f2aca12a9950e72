import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { chmodSync, copyFileSync, existsSync, mkdirSync, mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/** A DNS host name: labels of letters, digits and inner hyphens. */
const HOST_NAME = /^(?=.{1,253}$)([a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)(\.[a-z0-9](?:[a-z0-9-]{0,61}[a-z0-9])?)+$/;

/** The usual CA bundle of Debian/Ubuntu and of Fedora/RHEL, appended to `ca-bundle.pem` when found. */
const SYSTEM_BUNDLES = ['/etc/ssl/certs/ca-certificates.crt', '/etc/pki/tls/certs/ca-bundle.crt'];

/** Under the 398 days that browsers and macOS accept for a server certificate. */
const CERT_DAYS = 397;
const CA_DAYS = 1825;

export interface IssuedCertificate {
  hostname: string;
  /** The CA certificate to trust (REQUESTS_CA_BUNDLE, or the system's trust store). */
  caFile: string;
  /** The CA and the system's public CAs in one file, so that other HTTPS still verifies; null when no system bundle was found. */
  bundleFile: string | null;
  /** The server's certificate and key (`--tls-cert`, `--tls-key`). */
  certFile: string;
  keyFile: string;
  notAfter: Date;
}

function openssl(args: string[], cwd: string): string {
  try {
    return execFileSync('openssl', args, { cwd, encoding: 'utf8', stdio: ['ignore', 'pipe', 'pipe'] });
  } catch (error) {
    const failure = error as NodeJS.ErrnoException & { stderr?: string };
    if (failure.code === 'ENOENT') throw new Error('this command needs the openssl program (Debian: apt-get install openssl)');
    throw new Error(`openssl ${args[0]} failed: ${(failure.stderr ?? failure.message).trim()}`);
  }
}

export function isHostName(name: string): boolean {
  return HOST_NAME.test(name);
}

/**
 * Makes a certificate for `hostname` signed by a new local CA, with openssl.
 * The CA is made for this one name: a name constraint lets it vouch for
 * `hostname` and its subdomains only, and its private key is deleted as soon
 * as the certificate is signed. Whoever trusts the CA therefore trusts nothing
 * else, and nobody, the operator included, can sign another certificate with
 * it. Renewing makes a new CA, trusted anew.
 */
export function issueCertificate(hostname: string, outDir: string, options: { force?: boolean } = {}): IssuedCertificate {
  if (!isHostName(hostname)) throw new Error(`"${hostname}" is not a host name such as rotki.com`);
  const files = { caFile: join(outDir, 'ca.pem'), bundleFile: join(outDir, 'ca-bundle.pem'), certFile: join(outDir, 'cert.pem'), keyFile: join(outDir, 'key.pem') };
  const present = Object.values(files).filter((file) => existsSync(file));
  if (present.length > 0 && options.force !== true) throw new Error(`${present.join(', ')} exist already; pass --force to replace them`);
  mkdirSync(outDir, { recursive: true, mode: 0o700 });
  const work = mkdtempSync(join(tmpdir(), 'rotki-premium-tls-'));
  try {
    writeFileSync(
      join(work, 'ca.cnf'),
      [
        '[req]',
        'distinguished_name = dn',
        'x509_extensions = ca_ext',
        'prompt = no',
        '[dn]',
        `CN = rotki premium local CA for ${hostname} (${randomBytes(4).toString('hex')})`,
        '[ca_ext]',
        'basicConstraints = critical, CA:TRUE, pathlen:0',
        'keyUsage = critical, keyCertSign, cRLSign',
        'subjectKeyIdentifier = hash',
        `nameConstraints = critical, permitted;DNS:${hostname}`,
        '',
      ].join('\n'),
    );
    writeFileSync(
      join(work, 'leaf.cnf'),
      [
        '[leaf_ext]',
        'basicConstraints = critical, CA:FALSE',
        'keyUsage = critical, digitalSignature',
        'extendedKeyUsage = serverAuth',
        `subjectAltName = DNS:${hostname}`,
        'subjectKeyIdentifier = hash',
        'authorityKeyIdentifier = keyid',
        '',
      ].join('\n'),
    );
    const ec = ['-newkey', 'ec', '-pkeyopt', 'ec_paramgen_curve:prime256v1', '-nodes'];
    openssl(['req', '-x509', ...ec, '-config', 'ca.cnf', '-keyout', 'ca.key', '-out', 'ca.pem', '-days', String(CA_DAYS), '-sha256'], work);
    openssl(['req', '-new', ...ec, '-keyout', 'key.pem', '-out', 'leaf.csr', '-subj', `/CN=${hostname}`], work);
    openssl(
      [
        'x509', '-req', '-in', 'leaf.csr', '-CA', 'ca.pem', '-CAkey', 'ca.key', '-set_serial', `0x${randomBytes(16).toString('hex')}`,
        '-days', String(CERT_DAYS), '-sha256', '-extfile', 'leaf.cnf', '-extensions', 'leaf_ext', '-out', 'cert.pem',
      ],
      work,
    );
    openssl(['verify', '-CAfile', 'ca.pem', '-verify_hostname', hostname, '-purpose', 'sslserver', 'cert.pem'], work);
    const notAfter = new Date(openssl(['x509', '-in', 'cert.pem', '-noout', '-enddate'], work).trim().replace(/^notAfter=/, ''));

    copyFileSync(join(work, 'ca.pem'), files.caFile);
    copyFileSync(join(work, 'cert.pem'), files.certFile);
    writeFileSync(files.keyFile, readFileSync(join(work, 'key.pem')), { mode: 0o600 });
    chmodSync(files.keyFile, 0o600);
    const system = SYSTEM_BUNDLES.find((file) => existsSync(file));
    if (system === undefined) rmSync(files.bundleFile, { force: true });
    else writeFileSync(files.bundleFile, `${readFileSync(files.caFile, 'utf8')}${readFileSync(system, 'utf8')}`);
    return { hostname, ...files, bundleFile: system === undefined ? null : files.bundleFile, notAfter };
  } finally {
    // With the CA's private key: nothing can be signed with this CA any more.
    rmSync(work, { recursive: true, force: true });
  }
}
