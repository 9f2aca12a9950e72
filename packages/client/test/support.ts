import { randomUUID } from 'node:crypto';
import { vi } from 'vitest';
import type { ServerHandle } from '../../../test-support/server-process.ts';
import { MACHINE_ID_ENV, deviceIdentifier } from '../src/device-identity.ts';

/** The device id a machine called `machine` gives `username` (decision 9, via the test override). */
export function deviceOf(username: string, machine: string): string {
  return deviceIdentifier(username, { [MACHINE_ID_ENV]: machine });
}

interface LogLine {
  msg?: string;
  code?: string;
  req?: { url?: string };
}

/** The server's JSON log lines so far. */
export function logLines(server: ServerHandle): LogLine[] {
  return server
    .logs()
    .split('\n')
    .flatMap((line) => {
      try {
        return [JSON.parse(line) as LogLine];
      } catch {
        return []; // not JSON, or the last line is still arriving
      }
    });
}

export function countLogs(server: ServerHandle, match: (line: LogLine) => boolean): number {
  return logLines(server).filter(match).length;
}

export const incoming = (line: LogLine) => line.msg === 'incoming request';
export const refusedFor = (code: string) => (line: LogLine) => line.msg === 'premium request refused' && line.code === code;

/**
 * Returns once the server's log holds every line of every request answered
 * before this call. The log arrives through a pipe, apart from the HTTP
 * answers, so a marker request is sent and awaited in the log: the server
 * writes its lines in order.
 */
export async function logBarrier(server: ServerHandle): Promise<void> {
  const marker = `/health?barrier=${randomUUID()}`;
  const response = await fetch(`${server.url}${marker}`);
  await response.arrayBuffer();
  await vi.waitFor(
    () => {
      if (!logLines(server).some((line) => line.msg === 'incoming request' && line.req?.url === marker)) {
        throw new Error('the server has not logged the marker request yet');
      }
    },
    { timeout: 5_000, interval: 20 },
  );
}
