/**
 * Why the backup download reads its socket itself (packages/client/src/raw-get.ts):
 * the client's CPU per MiB and its rate reading and hashing one 256 MiB body
 * from a bare local file server, three ways alternated in one process that
 * holds a live heap like an app's (150 MiB of small objects): `rawGet`,
 * Node's built-in `fetch` (undici) and `node:http`. A reader that allocates a
 * buffer per read sets off major collections in such a process.
 *
 *   npx tsx bench/backup/readers.ts [--rounds 4]
 */
import { spawn } from 'node:child_process';
import { createHash } from 'node:crypto';
import { get } from 'node:http';
import { parseArgs } from 'node:util';
import { rawGet } from '../../packages/client/src/raw-get.ts';
// The SDK loaded, as in the app.
import '../../packages/client/src/index.ts';

const { values } = parseArgs({ options: { rounds: { type: 'string', default: '4' } } });

const MIB = 1024 * 1024;
const SIZE = 256 * MIB;
// A live heap like an app's: 150 MiB of small objects.
const keep: unknown[] = [];
for (let i = 0; i < 1_500_000; i += 1) keep.push({ i, s: `item-${i}`, a: [i, i + 1] });
/** The file server: the same random MiB written until SIZE bytes, with Content-Length. */
const FILE_SERVER = `
const http = require('node:http');
const block = require('node:crypto').randomBytes(${MIB});
http.createServer((_request, response) => {
  response.writeHead(200, { 'content-length': ${SIZE} });
  let sent = 0;
  const write = () => {
    while (sent < ${SIZE}) {
      sent += block.length;
      if (!response.write(block)) return response.once('drain', write);
    }
    response.end();
  };
  write();
}).listen(0, '127.0.0.1', function () { console.log(this.address().port); });
`;
const server = spawn(process.execPath, ['-e', FILE_SERVER], { stdio: ['ignore', 'pipe', 'inherit'] });
const port = await new Promise<number>((resolve) => server.stdout.once('data', (data: Buffer) => resolve(Number(String(data).trim()))));
const url = new URL(`http://127.0.0.1:${port}/`);
const cpu = () => {
  const usage = process.cpuUsage();
  return (usage.user + usage.system) / 1000;
};
async function viaRaw(): Promise<number> {
  const response = await rawGet(url, {}, 60_000, undefined);
  const hash = createHash('sha256');
  return response.stream(async (block) => { hash.update(block); });
}
async function viaFetch(): Promise<number> {
  const response = await fetch(url);
  const hash = createHash('sha256'); let n = 0;
  for await (const chunk of response.body as unknown as AsyncIterable<Uint8Array>) { hash.update(chunk); n += chunk.length; }
  return n;
}
function viaHttp(): Promise<number> {
  return new Promise((resolve, reject) => get(url, (res) => { const hash = createHash('sha256'); let n = 0; res.on('data', (c: Buffer) => { hash.update(c); n += c.length; }); res.on('end', () => resolve(n)); res.on('error', reject); }).on('error', reject));
}
const ways: [string, () => Promise<number>][] = [['raw-get', viaRaw], ['fetch (undici)', viaFetch], ['node:http', viaHttp]];
const results = new Map<string, { ms: number; cpu: number }[]>(ways.map(([n]) => [n, []]));
for (let round = 0; round < Number(values.rounds); round += 1) {
  for (const [name, way] of ways) {
    const c0 = cpu(); const t0 = performance.now();
    const n = await way();
    if (n !== SIZE) throw new Error(`${name} read ${n}`);
    results.get(name)?.push({ ms: performance.now() - t0, cpu: cpu() - c0 });
  }
}
for (const [name, list] of results) {
  const cpus = list.map((r) => (r.cpu / 256).toFixed(2)).join(', ');
  const rates = list.map((r) => (256 / (r.ms / 1000)).toFixed(0)).join(', ');
  console.log(`${name.padEnd(16)} client CPU ms/MiB ${cpus}   MiB/s ${rates}`);
}
console.log('heap kept', keep.length);
server.kill();
