import { execFileSync } from 'node:child_process';
import { createHmac, randomUUID } from 'node:crypto';
import { readFileSync } from 'node:fs';
import { hostname, type as osType, userInfo } from 'node:os';
import { PremiumClientError } from './errors.ts';

/**
 * Device identity (PROTOCOL.md decision 9): the same machine and user name
 * give the same device id here as in the rotki app, so one machine takes one
 * device slot whichever of the two registers it.
 */

/** Replaces the machine id: for tests, and for several profiles on one machine. */
export const MACHINE_ID_ENV = 'ROTKI_PREMIUM_MACHINE_ID';

export class MachineIdUnavailableError extends PremiumClientError {
  constructor(detail: string) {
    super(`Could not read this machine's id (${detail}). Set ${MACHINE_ID_ENV} to a stable value to use instead.`);
  }
}

/** Control characters and whitespace are not part of the id. */
export function sanitizeMachineId(raw: string): string {
  // eslint-disable-next-line no-control-regex
  return raw.replace(/[\x00-\x1f\x7f-\x9f\s]/g, '');
}

function readFirstFile(paths: readonly string[]): string | null {
  for (const path of paths) {
    try {
      const id = sanitizeMachineId(readFileSync(path, 'utf8'));
      if (id !== '') return id;
    } catch {
      // Missing or unreadable: try the next source.
    }
  }
  return null;
}

function run(command: string, args: readonly string[]): string | null {
  try {
    return execFileSync(command, args, { encoding: 'utf8', stdio: ['ignore', 'pipe', 'ignore'], timeout: 10_000, windowsHide: true });
  } catch {
    return null;
  }
}

/** `IOPlatformUUID` from `ioreg -d2 -c IOPlatformExpertDevice` output. */
export function parseIoregPlatformUuid(output: string): string | null {
  return /"IOPlatformUUID"\s*=\s*"([^"]+)"/.exec(output)?.[1] ?? null;
}

/** `MachineGuid` from `reg query HKLM\SOFTWARE\Microsoft\Cryptography /v MachineGuid` output. */
export function parseRegMachineGuid(output: string): string | null {
  return /MachineGuid\s+REG_SZ\s+(\S+)/i.exec(output)?.[1] ?? null;
}

/**
 * This machine's id: `ROTKI_PREMIUM_MACHINE_ID` when set; otherwise
 * `/var/lib/dbus/machine-id` or `/etc/machine-id` on Linux, `IOPlatformUUID`
 * on macOS, the registry `MachineGuid` on Windows. Whitespace removed.
 */
export function machineId(env: NodeJS.ProcessEnv = process.env, platform: NodeJS.Platform = process.platform): string {
  const override = sanitizeMachineId(env[MACHINE_ID_ENV] ?? '');
  if (override !== '') return override;

  let id: string | null = null;
  if (platform === 'linux') {
    id = readFirstFile(['/var/lib/dbus/machine-id', '/etc/machine-id']);
  } else if (platform === 'darwin') {
    const output = run('ioreg', ['-d2', '-c', 'IOPlatformExpertDevice']);
    id = output === null ? null : parseIoregPlatformUuid(output);
  } else if (platform === 'win32') {
    const output = run('reg', ['query', 'HKEY_LOCAL_MACHINE\\SOFTWARE\\Microsoft\\Cryptography', '/v', 'MachineGuid']);
    id = output === null ? null : parseRegMachineGuid(output);
  } else if (platform === 'freebsd' || platform === 'openbsd') {
    id = readFirstFile(['/etc/hostid']);
  }
  const clean = id === null ? '' : sanitizeMachineId(id);
  if (clean === '') throw new MachineIdUnavailableError(`no machine id source found on ${platform}`);
  return clean;
}

/** HMAC-SHA256(key = user name as UTF-8, message = machine id), lowercase hex. */
export function hashDeviceIdentifier(username: string, machine: string): string {
  return createHmac('sha256', Buffer.from(username, 'utf8')).update(machine, 'utf8').digest('hex');
}

/**
 * This device's identifier for `username` (default: the local user name).
 * The rotki app keys it by its profile name; pass that to get the same id.
 */
export function deviceIdentifier(username: string = userInfo().username, env: NodeJS.ProcessEnv = process.env): string {
  return hashDeviceIdentifier(username, machineId(env));
}

/** The platform name as Python's `platform.system()` gives it: `Linux`, `Darwin`, `Windows`, … */
export function platformName(): string {
  const name = osType();
  return name === 'Windows_NT' ? 'Windows' : name;
}

/**
 * The name a new device is registered with: this computer's host name (its
 * first label, so `laptop.local` becomes `laptop`), or a random UUID when
 * there is none. The rotki app sends a random UUID; we prefer the host name
 * because the device list, and the device-limit dialog that asks which
 * device to remove, are only useful when a person can tell the devices apart.
 * The name goes only to the subscriber's own premium server and can be
 * renamed at any time.
 */
export function defaultDeviceName(host: string = hostname()): string {
  const label = host.trim().split('.')[0]?.trim() ?? '';
  if (label === '' || label === 'localhost') return randomUUID();
  return [...label].slice(0, 100).join('');
}
