import { randomBytes } from 'node:crypto';
import { Readable } from 'node:stream';
import { sql } from 'kysely';
import type { BlobStore } from '../../store/blob-store.ts';
import type { Store } from '../../store/database.ts';
import { migrationStatus } from '../../store/migrate.ts';

export interface CheckResult {
  ok: boolean;
  /** What failed, in words an operator can act on; never a credential. */
  detail?: string;
}

export interface Readiness {
  ready: boolean;
  checks: { database: CheckResult; migrations: CheckResult; blobStore: CheckResult };
}

function failure(error: unknown): string {
  const text = error instanceof Error ? error.message : String(error);
  // A driver message can be long (a stack of causes); the first line says enough.
  return text.split('\n')[0]?.slice(0, 200) ?? 'failed';
}

export async function checkDatabase(store: Store): Promise<CheckResult> {
  try {
    await sql`select 1`.execute(store.db);
    return { ok: true };
  } catch (error) {
    return { ok: false, detail: `database unreachable: ${failure(error)}` };
  }
}

export async function checkMigrations(store: Store): Promise<CheckResult> {
  try {
    const { pending } = await migrationStatus(store);
    return pending.length === 0 ? { ok: true } : { ok: false, detail: `migrations not applied: ${pending.join(', ')}` };
  } catch (error) {
    return { ok: false, detail: `migrations unreadable: ${failure(error)}` };
  }
}

const PROBE = Buffer.from('ready');

/**
 * Writes and removes a small object through the store's own upload calls, so
 * the probe exercises exactly the permissions an upload needs.
 */
export async function checkBlobStore(blobs: BlobStore): Promise<CheckResult> {
  const ref = blobs.uploadRef(`readiness-${randomBytes(8).toString('hex')}`);
  try {
    await blobs.writeChunk(ref, 0, PROBE.length, Readable.from([PROBE]));
    return { ok: true };
  } catch (error) {
    return { ok: false, detail: `blob store not writable (${blobs.kind}): ${failure(error)}` };
  } finally {
    await blobs.removeUpload(ref).catch(() => undefined);
  }
}

/** What a load balancer asks before sending traffic: every check runs, each says what failed. */
export async function checkReadiness(store: Store, blobs: BlobStore): Promise<Readiness> {
  const schema = async (): Promise<[CheckResult, CheckResult]> => {
    const database = await checkDatabase(store);
    return [database, database.ok ? await checkMigrations(store) : { ok: false, detail: 'not checked: database unreachable' }];
  };
  const [[database, migrations], blobStore] = await Promise.all([schema(), checkBlobStore(blobs)]);
  return { ready: database.ok && migrations.ok && blobStore.ok, checks: { database, migrations, blobStore } };
}
