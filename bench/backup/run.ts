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
 * `--baseline DIR` also measures another checkout (e.g. a worktree of main,
 * built with `npx tsx scripts/build-cli.ts` there): its server build and its
 * client SDK sources, on a server of its own, each of its transfers run next
 * to the same transfer of this checkout (first in odd runs, second in even
 * ones); the figures print side by side.
 *
 *   npx tsx bench/backup/run.ts [--size-mb 512] [--repeat 1] [--blob-store file|s3] [--cpu-prof DIR] [--only upload|download] [--baseline DIR]
 */
import { createHash, randomBytes } from 'node:crypto';
import { closeSync, createReadStream, mkdtempSync, openSync, rmSync, writeSync } from 'node:fs';
import { loadavg, tmpdir } from 'node:os';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { PremiumClient } from '@rotki-premium/client';
import { startS3Server, type S3Server } from '../../test-support/s3-server.ts';
import { createSubscriber, createTestStorage, startServer, type ServerHandle, type TestStorage } from '../../test-support/server-process.ts';
import { MIB, bareHttp, measure, settle, timeCommand, type Transfer } from './transfers.ts';

const { values } = parseArgs({
  options: {
    'size-mb': { type: 'string', default: '512' },
    repeat: { type: 'string', default: '1' },
    'blob-store': { type: 'string', default: 'file' },
    'cpu-prof': { type: 'string' },
    only: { type: 'string' },
    baseline: { type: 'string' },
  },
});
const sizeMiB = Number(values['size-mb']);
const repeat = Number(values.repeat);
const blobStore = values['blob-store'];
if (blobStore !== 'file' && blobStore !== 's3') throw new Error('--blob-store must be file or s3');
const only = values.only;
if (only !== undefined && only !== 'upload' && only !== 'download') throw new Error('--only must be upload or download');
const profileDir = values['cpu-prof'];
const size = sizeMiB * MIB;

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

/** A server with a subscriber and a client SDK to reach it: this checkout's, or the baseline's (its build, its client sources). */
interface Side {
  name: string;
  storage: TestStorage;
  server: ServerHandle;
  pid: number;
  client: PremiumClient;
  upload: Transfer[];
  uploadKnownHash: Transfer[];
  download: Transfer[];
  uploadRss: number;
  downloadRss: number;
}

let s3: S3Server | null = null;
const env: NodeJS.ProcessEnv = { ROTKI_PREMIUM_LOG_LEVEL: 'warn' };
if (blobStore === 's3') {
  s3 = await startS3Server();
  await s3.createBucket('bench');
  await s3.createBucket('baseline');
}
const nodeArgs = profileDir === undefined ? [] : ['--cpu-prof', '--cpu-prof-dir', profileDir];

async function startSide(name: string, checkout: string | undefined): Promise<Side> {
  const storage = await createTestStorage('sqlite');
  const sideEnv = s3 === null ? env : { ...env, ...s3.envFor(checkout === undefined ? 'bench' : 'baseline') };
  const bin = checkout === undefined ? undefined : join(checkout, 'packages/server/bin/rotki-premium.js');
  const server = await startServer({ dialect: 'sqlite', dataDir: storage.dataDir, env: sideEnv, nodeArgs, ...(bin === undefined ? {} : { bin }) });
  const pid = server.process.pid;
  if (pid === undefined) throw new Error('no server pid');
  const subscriber = await createSubscriber(server, 'Advanced');
  const Client: typeof PremiumClient =
    checkout === undefined ? PremiumClient : ((await import(join(checkout, 'packages/client/src/index.ts'))) as { PremiumClient: typeof PremiumClient }).PremiumClient;
  const client = new Client({ baseUrl: server.url, apiKey: subscriber.apiKey, apiSecret: subscriber.apiSecret, deviceIdentifier: null });
  return { name, storage, server, pid, client, upload: [], uploadKnownHash: [], download: [], uploadRss: 0, downloadRss: 0 };
}

const sides: Side[] = [];
try {
  if (values.baseline !== undefined) sides.push(await startSide('baseline', values.baseline));
  const ours = await startSide('this', undefined);
  sides.push(ours);

  const bareUpload: Transfer[] = [];
  const bareDownload: Transfer[] = [];
  const bareDownloadFlushed: Transfer[] = [];
  const cp: number[] = [];
  const cpSync: number[] = [];
  // Something to download when the uploads are not measured.
  if (only === 'download') for (const side of sides) await side.client.uploadBackup(source, { lastModifyTs: Math.floor(Date.now() / 1000), fileHash: sourceHash });
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

    // The sides take turns going first: the second of two transfers in a row ran slower whichever build it was.
    const order = run % 2 === 0 ? sides : [...sides].reverse();
    if (only !== 'download') {
      for (const side of order) {
        const up = await measure(side.pid, () => side.client.uploadBackup(source, { lastModifyTs: Math.floor(Date.now() / 1000) }));
        side.upload.push(up);
        side.uploadRss = Math.max(side.uploadRss, up.rssGrowthMiB);
        settle();
      }
      // The same, with the file's SHA-256 passed in (an app that hashed the blob while writing it): no pre-pass over the file.
      for (const side of order) {
        const known = await measure(side.pid, () => side.client.uploadBackup(source, { lastModifyTs: Math.floor(Date.now() / 1000), fileHash: sourceHash }));
        side.uploadKnownHash.push(known);
        side.uploadRss = Math.max(side.uploadRss, known.rssGrowthMiB);
        settle();
      }
    }

    if (only !== 'upload') {
      for (const side of order) {
        let received: { sha256: string } | null = null;
        const down = await measure(side.pid, async () => {
          received = await side.client.downloadBackup(downloaded);
        });
        side.download.push(down);
        side.downloadRss = Math.max(side.downloadRss, down.rssGrowthMiB);
        if ((received as { sha256: string } | null)?.sha256 !== sourceHash) throw new Error('the downloaded bytes differ from the file');
        rmSync(downloaded);
        settle();
      }
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
  const prefix = (side: Side) => (sides.length === 1 ? '' : `${side.name}: `);
  const rows: [string, number, string][] = [
    ['cp', rate(best(cp)), ''],
    ['cp + fsync', rate(best(cpSync)), ''],
    ...row('bare HTTP upload', bareUpload),
    ...row('bare HTTP download', bareDownload),
    ...row('  … + fsync', bareDownloadFlushed),
    ...sides.flatMap((side) => [
      ...row(`${prefix(side)}upload (client SDK)`, side.upload),
      ...row('  … file_hash given', side.uploadKnownHash),
      ...row(`${prefix(side)}download (client SDK)`, side.download),
    ]),
  ];
  const ratio = (a: Transfer[], b: Transfer[]) => (a.length === 0 ? '-' : (fastest(b).seconds / fastest(a).seconds).toFixed(2));
  console.log(`\nBackup transfer, ${sizeMiB} MiB random file, ${blobStore} blob store, SQLite, best of ${repeat}; load average ${loadavg().map((l) => l.toFixed(1)).join(' ')}`);
  for (const [name, value, cpuText] of rows) console.log(`  ${name.padEnd(32)} ${value.toFixed(1).padStart(8)} MiB/s  ${cpuText}`);
  for (const side of sides) {
    const p = prefix(side);
    console.log(`  ${p}upload / bare HTTP               ${ratio(side.upload, bareUpload)}   (target ≥ 0.80)`);
    console.log(`  ${p}upload, hash given / bare HTTP   ${ratio(side.uploadKnownHash, bareUpload)}`);
    console.log(`  ${p}download / bare HTTP             ${ratio(side.download, bareDownload)}   (target ≥ 0.90)`);
    console.log(`  ${p}download / bare HTTP + fsync     ${ratio(side.download, bareDownloadFlushed)}`);
    console.log(`  ${p}server peak RSS growth   upload ${side.uploadRss.toFixed(1)} MiB, download ${side.downloadRss.toFixed(1)} MiB   (target ≤ 64)`);
  }
  if (sides.length === 2 && only !== 'download') {
    const perRun = (list: (side: Side) => Transfer[]) => sides[1] === undefined || sides[0] === undefined ? '' :
      list(sides[1]).map((t, i) => ((list(sides[0] as Side)[i]?.seconds ?? NaN) / t.seconds).toFixed(2)).join(', ');
    console.log(`  this ÷ baseline, each run (speed): upload ${perRun((s) => s.upload)}; hash given ${perRun((s) => s.uploadKnownHash)}`);
    console.log(`  upload ÷ bare HTTP of the same run: baseline ${ratioRuns(sides[0] as Side)}; this ${ratioRuns(ours)}`);
  }

  function ratioRuns(side: Side): string {
    return side.upload.map((t, i) => ((bareUpload[i]?.seconds ?? NaN) / t.seconds).toFixed(2)).join(', ');
  }
} finally {
  for (const side of sides) {
    await side.server.stop();
    await side.storage.cleanup();
  }
  await s3?.stop();
  rmSync(scratch, { recursive: true, force: true });
}
