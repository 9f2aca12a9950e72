/**
 * Helpers of bench/backup/run.ts: timing a transfer with the CPU time of both
 * sides and the server's RSS, and the bare Node.js HTTP transfer the backup
 * path is compared with.
 */
import { execFileSync, spawn } from 'node:child_process';
import { createReadStream, createWriteStream, readFileSync, rmSync, statSync } from 'node:fs';
import { request } from 'node:http';
import { pipeline } from 'node:stream/promises';
import { processCpuMicros } from '../signed-requests/load.ts';

export const MIB = 1024 * 1024;

function rssKiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match?.[1] === undefined ? 0 : Number(match[1]);
}

export interface Transfer {
  seconds: number;
  /** CPU time (user + system) of the server and of this process (the client) during the transfer, in ms. */
  serverCpuMs: number;
  clientCpuMs: number;
}

function clientCpuMs(): number {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
}

/** Runs `work` while sampling the server's RSS; returns seconds taken, CPU times and the peak RSS growth in MiB. */
export async function measure(pid: number, work: () => Promise<unknown>): Promise<Transfer & { rssGrowthMiB: number }> {
  const baseline = rssKiB(pid);
  const serverCpu = processCpuMicros(pid);
  const clientCpu = clientCpuMs();
  let peak = baseline;
  const sampler = setInterval(() => {
    peak = Math.max(peak, rssKiB(pid));
  }, 20);
  const started = performance.now();
  try {
    await work();
  } finally {
    clearInterval(sampler);
  }
  const seconds = (performance.now() - started) / 1000;
  peak = Math.max(peak, rssKiB(pid));
  return {
    seconds,
    serverCpuMs: (processCpuMicros(pid) - serverCpu) / 1000,
    clientCpuMs: clientCpuMs() - clientCpu,
    rssGrowthMiB: (peak - baseline) / 1024,
  };
}

export function timeCommand(command: string, args: string[]): number {
  const started = performance.now();
  execFileSync(command, args, { stdio: 'inherit' });
  return (performance.now() - started) / 1000;
}

/** Writes dirty pages out so that one measurement does not pay for the previous one's writes. */
export function settle(): void {
  execFileSync('sync');
}

/** A receiver that drops POST bodies and serves the file on GET, in a process of its own. */
const BARE_SERVER = `
const http = require('node:http');
const fs = require('node:fs');
const file = process.argv[1];
http.createServer((req, res) => {
  if (req.method === 'POST') { req.resume(); req.on('end', () => res.end('ok')); return; }
  res.writeHead(200, { 'content-length': fs.statSync(file).size });
  fs.createReadStream(file, { highWaterMark: 1 << 20 }).pipe(res);
}).listen(0, '127.0.0.1', function () { console.log('PORT ' + this.address().port); });`;

export async function bareHttp(file: string, target: string): Promise<{ upload: Transfer; download: Transfer; downloadFlushed: Transfer }> {
  const child = spawn(process.execPath, ['-e', BARE_SERVER, file], { stdio: ['ignore', 'pipe', 'inherit'] });
  try {
    const port = await new Promise<number>((resolve) => {
      let out = '';
      child.stdout.on('data', (chunk: Buffer) => {
        out += chunk.toString();
        const match = /PORT (\d+)/.exec(out);
        if (match?.[1] !== undefined) resolve(Number(match[1]));
      });
    });
    const pid = child.pid;
    if (pid === undefined) throw new Error('no bare server pid');
    const timed = async (work: () => Promise<void>): Promise<Transfer> => {
      const serverCpu = processCpuMicros(pid);
      const clientCpu = clientCpuMs();
      const started = performance.now();
      await work();
      return {
        seconds: (performance.now() - started) / 1000,
        serverCpuMs: (processCpuMicros(pid) - serverCpu) / 1000,
        clientCpuMs: clientCpuMs() - clientCpu,
      };
    };
    const upload = await timed(() => new Promise<void>((resolve, reject) => {
      const req = request({ host: '127.0.0.1', port, method: 'POST', headers: { 'content-length': String(statSync(file).size) } }, (res) => {
        res.resume();
        res.on('end', () => resolve());
      });
      req.on('error', reject);
      createReadStream(file, { highWaterMark: MIB }).pipe(req);
    }));
    const get = (flush: boolean) => () => new Promise<void>((resolve, reject) => {
      request({ host: '127.0.0.1', port, method: 'GET' }, (res) => {
        pipeline(res, createWriteStream(target, { highWaterMark: MIB, flush })).then(resolve, reject);
      })
        .on('error', reject)
        .end();
    });
    const download = await timed(get(false));
    rmSync(target);
    settle();
    const downloadFlushed = await timed(get(true));
    rmSync(target);
    return { upload, download, downloadFlushed };
  } finally {
    child.kill();
  }
}
