/**
 * Backup transfer throughput: a random file uploaded and downloaded through
 * the client SDK against a local server started here (SQLite, file blob
 * store, data folder on the same disk), beside `cp` of the same file on the
 * same disk in the same run. Prints MiB/s of each, the ratios, and the
 * server's peak RSS growth during each transfer (VmRSS of the server process,
 * sampled every 20 ms).
 *
 * The server makes every backup durable (fsync before the rename), and the
 * client flushes the downloaded file before renaming it, so `cp` is measured
 * twice: as is, and followed by an fsync of the copy (`cp` + `sync <file>`).
 * A bare Node.js HTTP transfer of the same file between two processes (no
 * signature, hash or storage: the receiver drops the bytes, the sender reads
 * the file) shows what the loopback and the runtime allow on this machine.
 * The bare download writes the file, without a flush; it is also measured
 * with the flush before close that the client SDK does (`bare HTTP download
 * + fsync`), printed beside the target's ratio, which stays against the
 * plain bare download.
 *
 * `--cpu-prof DIR` starts the server with `--cpu-prof` (profiles written into
 * DIR when it stops); `--only upload|download` skips the other direction.
 *
 *   npx tsx bench/backup/run.ts [--size-mb 512] [--repeat 1] [--blob-store file|s3] [--cpu-prof DIR] [--only upload|download]
 */
import { execFileSync, spawn } from 'node:child_process';
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, createWriteStream, mkdtempSync, openSync, readFileSync, rmSync, statSync, writeSync } from 'node:fs';
import { request } from 'node:http';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { pipeline } from 'node:stream/promises';
import { parseArgs } from 'node:util';
import { PremiumClient } from '@rotki-premium/client';
import { startS3Server, type S3Server } from '../../test-support/s3-server.ts';
import { processCpuMicros } from '../signed-requests/load.ts';
import { createSubscriber, createTestStorage, startServer } from '../../test-support/server-process.ts';

const { values } = parseArgs({
  options: {
    'size-mb': { type: 'string', default: '512' },
    repeat: { type: 'string', default: '1' },
    'blob-store': { type: 'string', default: 'file' },
    'cpu-prof': { type: 'string' },
    only: { type: 'string' },
  },
});
const sizeMiB = Number(values['size-mb']);
const repeat = Number(values.repeat);
const blobStore = values['blob-store'];
if (blobStore !== 'file' && blobStore !== 's3') throw new Error('--blob-store must be file or s3');
const only = values.only;
if (only !== undefined && only !== 'upload' && only !== 'download') throw new Error('--only must be upload or download');
const profileDir = values['cpu-prof'];
const size = sizeMiB * 1024 * 1024;
const MIB = 1024 * 1024;

function rssKiB(pid: number): number {
  const match = /VmRSS:\s+(\d+) kB/.exec(readFileSync(`/proc/${pid}/status`, 'utf8'));
  return match?.[1] === undefined ? 0 : Number(match[1]);
}

interface Transfer {
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
async function measure(pid: number, work: () => Promise<unknown>): Promise<Transfer & { rssGrowthMiB: number }> {
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

function timeCommand(command: string, args: string[]): number {
  const started = performance.now();
  execFileSync(command, args, { stdio: 'inherit' });
  return (performance.now() - started) / 1000;
}

/** Writes dirty pages out so that one measurement does not pay for the previous one's writes. */
function settle(): void {
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

async function bareHttp(file: string, target: string): Promise<{ upload: Transfer; download: Transfer; downloadFlushed: Transfer }> {
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

function best(results: number[]): number {
  return Math.min(...results);
}

const scratch = mkdtempSync(join(tmpdir(), 'rotki-premium-bench-'));
const source = join(scratch, 'backup.bin');
const copy = join(scratch, 'copy.bin');
const downloaded = join(scratch, 'downloaded.bin');

// Random bytes, written in 8 MiB blocks so the generator itself stays small.
const fd = openSync(source, 'w');
for (let written = 0; written < size; written += 8 * MIB) writeSync(fd, randomBytes(Math.min(8 * MIB, size - written)));
closeSync(fd);
settle();
const hasher = createHash('sha256');
for await (const block of createReadStream(source, { highWaterMark: MIB })) hasher.update(block as Buffer);
const sourceHash = hasher.digest('base64');

let s3: S3Server | null = null;
const storage = await createTestStorage('sqlite');
let env: NodeJS.ProcessEnv = { ROTKI_PREMIUM_LOG_LEVEL: 'warn' };
if (blobStore === 's3') {
  s3 = await startS3Server();
  await s3.createBucket('bench');
  env = { ...env, ...s3.envFor('bench') };
}
const nodeArgs = profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir];
const server = await startServer({ dialect: 'sqlite', dataDir: storage.dataDir, env, nodeArgs });
try {
  const pid = server.process.pid;
  if (pid === undefined) throw new Error('no server pid');
  const subscriber = await createSubscriber(server, 'Advanced');
  const client = new PremiumClient({ baseUrl: server.url, apiKey: subscriber.apiKey, apiSecret: subscriber.apiSecret, deviceIdentifier: null });

  const bareUpload: Transfer[] = [];
  const bareDownload: Transfer[] = [];
  const bareDownloadFlushed: Transfer[] = [];
  const cp: number[] = [];
  const cpSync: number[] = [];
  const upload: Transfer[] = [];
  const uploadKnownHash: Transfer[] = [];
  const download: Transfer[] = [];
  let uploadRss = 0;
  let downloadRss = 0;
  // Something to download when the uploads are not measured.
  if (only === 'download') await client.uploadBackup(source, { lastModifyTs: Math.floor(Date.now() / 1000), fileHash: sourceHash });
  for (let run = 0; run < repeat; run += 1) {
    settle();
    cp.push(timeCommand('cp', [source, copy]));
    rmSync(copy);
    settle();
    cpSync.push(timeCommand('sh', ['-c', 'cp "$0" "$1" && sync "$1"', source, copy]));
    rmSync(copy);
    settle();
    const bare = await bareHttp(source, copy);
    bareUpload.push(bare.upload);
    bareDownload.push(bare.download);
    bareDownloadFlushed.push(bare.downloadFlushed);
    settle();

    if (only !== 'download') {
      const up = await measure(pid, () => client.uploadBackup(source, { lastModifyTs: Math.floor(Date.now() / 1000) }));
      upload.push(up);
      uploadRss = Math.max(uploadRss, up.rssGrowthMiB);
      settle();

      // The same, with the file's SHA-256 passed in (an app that hashed the blob while writing it): no pre-pass over the file.
      const known = await measure(pid, () => client.uploadBackup(source, { lastModifyTs: Math.floor(Date.now() / 1000), fileHash: sourceHash }));
      uploadKnownHash.push(known);
      uploadRss = Math.max(uploadRss, known.rssGrowthMiB);
      settle();
    }

    if (only !== 'upload') {
      let received: { sha256: string } | null = null;
      const down = await measure(pid, async () => {
        received = await client.downloadBackup(downloaded);
      });
      download.push(down);
      downloadRss = Math.max(downloadRss, down.rssGrowthMiB);
      if ((received as { sha256: string } | null)?.sha256 !== sourceHash) throw new Error('the downloaded bytes differ from the file');
      rmSync(downloaded);
    }
  }

  const rate = (seconds: number) => sizeMiB / seconds;
  const fastest = (transfers: Transfer[]) => transfers.reduce((a, b) => (b.seconds < a.seconds ? b : a));
  /** CPU ms per MiB of the server and the client in the fastest run. */
  const cpu = (transfers: Transfer[]) => {
    const t = fastest(transfers);
    return `CPU ms/MiB: server ${(t.serverCpuMs / sizeMiB).toFixed(2)}, client ${(t.clientCpuMs / sizeMiB).toFixed(2)}`;
  };
  const row = (name: string, transfers: Transfer[]): [string, number, string][] =>
    transfers.length === 0 ? [] : [[name, rate(fastest(transfers).seconds), cpu(transfers)]];
  const rows: [string, number, string][] = [
    ['cp', rate(best(cp)), ''],
    ['cp + fsync', rate(best(cpSync)), ''],
    ...row('bare HTTP upload', bareUpload),
    ...row('bare HTTP download', bareDownload),
    ...row('  … + fsync', bareDownloadFlushed),
    ...row('upload (client SDK)', upload),
    ...row('  … file_hash given', uploadKnownHash),
    ...row('download (client SDK)', download),
  ];
  const ratio = (a: Transfer[], b: Transfer[]) => (a.length === 0 ? '-' : (fastest(b).seconds / fastest(a).seconds).toFixed(2));
  console.log(`\nBackup transfer, ${sizeMiB} MiB random file, ${blobStore} blob store, SQLite, best of ${repeat}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  for (const [name, value, cpuText] of rows) console.log(`  ${name.padEnd(24)} ${value.toFixed(1).padStart(8)} MiB/s  ${cpuText}`);
  console.log(`  upload / bare HTTP               ${ratio(upload, bareUpload)}   (target ≥ 0.80)`);
  console.log(`  upload, hash given / bare HTTP   ${ratio(uploadKnownHash, bareUpload)}`);
  console.log(`  download / bare HTTP             ${ratio(download, bareDownload)}   (target ≥ 0.90)`);
  console.log(`  download / bare HTTP + fsync     ${ratio(download, bareDownloadFlushed)}`);
  console.log(`  server peak RSS growth   upload ${uploadRss.toFixed(1)} MiB, download ${downloadRss.toFixed(1)} MiB   (target ≤ 64)`);
} finally {
  await server.stop();
  await storage.cleanup();
  await s3?.stop();
  rmSync(scratch, { recursive: true, force: true });
}
