/**
 * The signed path's database work alone, per request: one signer read (key,
 * account, latest subscription, tier-list version) and one replay record,
 * committed in batches of `--batch` as the group commit does under load, round
 * `--keys` signers, through the store's own hot statements (no HTTP); a
 * batch's reads are asked for together, as concurrent requests' are. Prints
 * CPU time per request of this process and, on PostgreSQL, of the database
 * backends; with `--baseline DIR` the same is measured from another checkout's
 * sources in rounds alternated with this one's, each in a process of its own.
 *
 *   npx tsx bench/signed-requests/db-path.ts [--dialects sqlite,postgres] [--requests 40000] [--rounds 5] [--batch 20] [--keys 32] [--baseline DIR]
 */
import { execFileSync } from 'node:child_process';
import { randomBytes } from 'node:crypto';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join, resolve } from 'node:path';
import { parseArgs } from 'node:util';
import { fileURLToPath } from 'node:url';
import { createScratchPostgres } from '../../test-support/databases.ts';
import { processCpuMicros } from './load.ts';

const { values } = parseArgs({
  options: {
    dialects: { type: 'string', default: 'sqlite,postgres' },
    requests: { type: 'string', default: '40000' },
    rounds: { type: 'string', default: '5' },
    batch: { type: 'string', default: '20' },
    keys: { type: 'string', default: '32' },
    baseline: { type: 'string' },
    // Internal: one measurement of one checkout.
    worker: { type: 'string' },
    dialect: { type: 'string' },
  },
});
const requests = Number(values.requests);
const batch = Number(values.batch);

interface Figures {
  clientMicros: number;
  databaseMicros: number | null;
}

async function measure(root: string, dialect: string): Promise<Figures> {
  const { openStore } = await import(join(root, 'packages/server/src/store/database.ts'));
  const { migrateToLatest } = await import(join(root, 'packages/server/src/store/migrate.ts'));
  const dataDir = mkdtempSync(join(tmpdir(), 'rotki-premium-db-path-'));
  const scratch = dialect === 'postgres' ? await createScratchPostgres() : null;
  const store = openStore({ dataDir, databaseUrl: scratch?.url ?? '' });
  try {
    await migrateToLatest(store);
    const now = Date.now();
    const keys: string[] = [];
    for (let i = 0; i < Number(values.keys); i++) {
      const account = await store.db
        .insertInto('accounts')
        .values({ username: `signer${i}`, email: `signer${i}@example.org`, password_hash: 'x', created_at: now })
        .returning('id')
        .executeTakeFirstOrThrow();
      const apiKey = randomBytes(24).toString('base64');
      keys.push(apiKey);
      await store.db.insertInto('api_credentials').values({ account_id: account.id, api_key: apiKey, secret_ciphertext: 'c'.repeat(120), created_at: now }).execute();
    }
    const signatures = Array.from({ length: 1024 }, () => randomBytes(64).toString('base64'));
    let nonce = now;
    const backends = async (): Promise<number[]> => {
      if (scratch === null) return [];
      const rows = await store.db.selectFrom('pg_stat_activity' as never).select('pid' as never).where('datname' as never, '=', new URL(scratch.url).pathname.slice(1) as never).execute();
      return (rows as { pid: number }[]).map((r) => r.pid);
    };
    const backendMicros = async () => (await backends()).reduce((sum, pid) => sum + processCpuMicros(pid), 0);
    const run = async (): Promise<Figures> => {
      const db0 = await backendMicros();
      const cpu0 = process.cpuUsage();
      for (let i = 0; i < requests; i += batch) {
        // A batch's requests arrive together: their reads are asked for in one turn (PostgreSQL reads them in one statement).
        const apiKeys = Array.from({ length: batch }, (_, j) => keys[(i + j) % keys.length]!);
        const signers = await Promise.all(apiKeys.map((apiKey) => store.hot.signerRow(apiKey)));
        if (signers.includes(undefined)) throw new Error('signer not found');
        const rows = apiKeys.map((apiKey, j) => ({ api_key: apiKey, nonce: String(nonce++), signature: signatures[(i + j) % signatures.length]!, expires_at: now + 600_000 }));
        await store.hot.insertReplayRows(rows);
      }
      const cpu = process.cpuUsage(cpu0);
      const db = scratch === null ? null : ((await backendMicros()) - db0) / requests;
      return { clientMicros: (cpu.user + cpu.system) / requests, databaseMicros: db };
    };
    await run(); // warm-up
    return await run();
  } finally {
    await store.destroy();
    await scratch?.drop();
    rmSync(dataDir, { recursive: true, force: true });
  }
}

if (values.worker !== undefined) {
  console.log(JSON.stringify(await measure(values.worker, values.dialect ?? 'sqlite')));
} else {
  const self = fileURLToPath(import.meta.url);
  const ours = resolve(self, '../../..');
  const roots: [string, string][] = [['this', ours], ...(values.baseline === undefined ? [] : [['baseline', resolve(values.baseline)] as [string, string]])];
  const median = (xs: number[]) => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]!;
  for (const dialect of values.dialects.split(',')) {
    const figures = new Map<string, Figures[]>(roots.map(([name]) => [name, []]));
    for (let round = 0; round < Number(values.rounds); round++) {
      for (const [name, root] of roots) {
        const args = ['tsx', self, '--worker', root, '--dialect', dialect, '--requests', String(requests), '--batch', String(batch), '--keys', String(values.keys)];
        const out = execFileSync('npx', args, { cwd: ours, encoding: 'utf8' });
        figures.get(name)!.push(JSON.parse(out.trim().split('\n').at(-1)!) as Figures);
      }
    }
    console.log(`${dialect}: ${requests} requests per round, replay rows committed ${batch} at a time, median of ${values.rounds} rounds`);
    for (const [name] of roots) {
      const f = figures.get(name)!;
      const client = median(f.map((x) => x.clientMicros));
      const db = f[0]!.databaseMicros === null ? null : median(f.map((x) => x.databaseMicros!));
      console.log(`  ${name.padEnd(9)} ${client.toFixed(1)} µs per request in this process${db === null ? '' : ` + ${db.toFixed(1)} µs in the database`}`);
    }
  }
}
