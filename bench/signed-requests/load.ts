/**
 * What the signed-request benchmarks share: an autocannon run against a URL,
 * a fresh signature per request, and the server process's CPU time.
 */
import { readFileSync } from 'node:fs';
import autocannon from 'autocannon';
import { API_KEY_HEADER, API_SIGN_HEADER, decodeApiSecret, signEncoded } from '@rotki-premium/protocol';

export interface LoadFigures {
  requestsPerSecond: number;
  /** Requests answered in the run. */
  requests: number;
  p99: number;
  non2xx: number;
  errors: number;
  /** Server process CPU time (user + system) per answered request, in microseconds; null when not measured. */
  cpuMicrosPerRequest: number | null;
  /** The part of it spent in the kernel (system time: socket reads and writes, epoll, file locks). */
  systemCpuMicrosPerRequest: number | null;
  /** CPU time of the database's server processes per answered request (PostgreSQL), in microseconds. */
  databaseCpuMicrosPerRequest: number | null;
}

export type RequestSetup = () => { path: string; headers: Record<string, string> };

const CLOCK_TICKS_PER_SECOND = 100;

/** User and system CPU time of a process so far, in microseconds (Linux: /proc/<pid>/stat). */
export function processCpuTimes(pid: number): { user: number; system: number } {
  const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
  // The fields after the command name (which may hold spaces) in parentheses.
  const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
  const micros = (ticks: string | undefined) => (Number(ticks) * 1_000_000) / CLOCK_TICKS_PER_SECOND;
  return { user: micros(fields[11]), system: micros(fields[12]) };
}

/** User + system CPU time of a process so far, in microseconds. */
export function processCpuMicros(pid: number): number {
  const { user, system } = processCpuTimes(pid);
  return user + system;
}

/** User + system CPU time of processes, in microseconds; those that ended count 0. */
export function processesCpuMicros(pids: readonly number[]): number {
  let total = 0;
  for (const pid of pids) {
    try {
      total += processCpuMicros(pid);
    } catch {
      // gone
    }
  }
  return total;
}

export interface LoadOptions {
  connections: number;
  seconds: number;
  serverPid?: number;
  /** The database's server processes (PostgreSQL backends), read before and after the run. */
  databasePids?: () => Promise<number[]>;
}

/** Drives `connections` connections for `seconds` against `url`; `serverPid` adds the server's CPU time per request. */
export async function runLoad(url: string, options: LoadOptions, setup: RequestSetup): Promise<LoadFigures> {
  const dbPidsBefore = options.databasePids === undefined ? null : await options.databasePids();
  const dbBefore = dbPidsBefore === null ? null : new Map(dbPidsBefore.map((pid) => [pid, processesCpuMicros([pid])]));
  const figures = await runAutocannon(url, options, setup);
  if (dbBefore === null || options.databasePids === undefined) return figures;
  let dbCpu = 0;
  for (const pid of await options.databasePids()) dbCpu += processesCpuMicros([pid]) - (dbBefore.get(pid) ?? 0);
  return { ...figures, databaseCpuMicrosPerRequest: figures.requests === 0 ? null : dbCpu / figures.requests };
}

function runAutocannon(url: string, options: LoadOptions, setup: RequestSetup): Promise<LoadFigures> {
  const cpuBefore = options.serverPid === undefined ? null : processCpuTimes(options.serverPid);
  return new Promise((resolve, reject) => {
    autocannon(
      {
        url,
        connections: options.connections,
        duration: options.seconds,
        requests: [
          {
            method: 'GET',
            setupRequest: (request) => {
              const { path, headers } = setup();
              return { ...request, path, headers: { ...request.headers, ...headers } };
            },
          },
        ],
      },
      (error, result) => {
        if (error !== null && error !== undefined) {
          reject(error);
          return;
        }
        const requests = result.requests.total;
        const after = cpuBefore === null || options.serverPid === undefined ? null : processCpuTimes(options.serverPid);
        const perRequest = (micros: number) => (requests === 0 ? null : micros / requests);
        resolve({
          requestsPerSecond: result.requests.average,
          requests,
          p99: result.latency.p99,
          non2xx: result.non2xx,
          errors: result.errors,
          cpuMicrosPerRequest: after === null || cpuBefore === null ? null : perRequest(after.user + after.system - cpuBefore.user - cpuBefore.system),
          systemCpuMicrosPerRequest: after === null || cpuBefore === null ? null : perRequest(after.system - cpuBefore.system),
          databaseCpuMicrosPerRequest: null,
        });
      },
    );
  });
}

/** An API key and its secret, as `admin credentials create` prints them. */
export interface SigningKey {
  apiKey: string;
  apiSecret: string;
}

/** Keys the signed rungs sign with by default: one key per this many requests a second at most. */
export const DEFAULT_SIGNING_KEYS = 32;

/**
 * Signed `GET /nest/1/limits`, each request with a new nonce, so that none is
 * refused as a replay. The requests go round the keys: a key's nonces are
 * milliseconds (as the rotki app makes them) kept strictly increasing, so one
 * key signing more than 1,000 requests a second runs ahead of the clock and
 * leaves the server's nonce window within minutes (a refusal, rightly). With
 * 32 keys the bench stays inside it up to 32,000 signed requests a second.
 */
export function signedLimits(keys: readonly SigningKey[]): RequestSetup {
  if (keys.length === 0) throw new Error('at least one key');
  const signers = keys.map((key) => {
    const secret = decodeApiSecret(key.apiSecret);
    if (secret === null) throw new Error('bad secret');
    return { apiKey: key.apiKey, secret, lastNonce: 0 };
  });
  let next = 0;
  return () => {
    const signer = signers[next] as (typeof signers)[number];
    next = (next + 1) % signers.length;
    signer.lastNonce = Math.max(Date.now(), signer.lastNonce + 1);
    const query = `nonce=${signer.lastNonce}`;
    return { path: `/nest/1/limits?${query}`, headers: { [API_KEY_HEADER]: signer.apiKey, [API_SIGN_HEADER]: signEncoded(signer.secret, 'limits', query) } };
  };
}

/** `count` Basic subscribers with an API key each, made eight at a time. */
export async function createSigningKeys(create: () => Promise<SigningKey>, count: number): Promise<SigningKey[]> {
  const keys: SigningKey[] = [];
  while (keys.length < count) {
    const batch = Math.min(8, count - keys.length);
    keys.push(...(await Promise.all(Array.from({ length: batch }, create))));
  }
  return keys;
}

/** The unauthenticated `GET /nest/1/limits/unlocks`: the baseline of the same server. */
export const unauthenticatedUnlocks: RequestSetup = () => ({ path: '/nest/1/limits/unlocks', headers: {} });

/** The bare Fastify server's one route (`bare-server.ts`). */
export const bareRoute: RequestSetup = () => ({ path: '/bare', headers: {} });

export function describeFigures(name: string, f: LoadFigures): string {
  const db = f.databaseCpuMicrosPerRequest === null ? '' : ` + database ${f.databaseCpuMicrosPerRequest.toFixed(0)} µs`;
  const kernel = f.systemCpuMicrosPerRequest === null ? '' : ` (kernel ${f.systemCpuMicrosPerRequest.toFixed(0)})`;
  const cpu = f.cpuMicrosPerRequest === null ? '' : `, server CPU ${f.cpuMicrosPerRequest.toFixed(0)} µs/request${kernel}${db}`;
  return `  ${name.padEnd(44)} ${f.requestsPerSecond.toFixed(0).padStart(6)} req/s, p99 ${f.p99} ms${cpu}, non-2xx ${f.non2xx}, errors ${f.errors}`;
}
