import { randomBytes } from 'node:crypto';
import { hostname } from 'node:os';
import { sql } from 'kysely';
import type { DomainContext } from '../context.ts';

const HOUR_MS = 60 * 60 * 1000;
/** How often an instance reports; the console lists instances seen within a few of these. */
export const HEARTBEAT_INTERVAL_MS = 30_000;
export const INSTANCE_SEEN_WINDOW_MS = 5 * 60 * 1000;

export type ActivityName = 'signature_failed';

/**
 * What one server instance reports: that it runs (a heartbeat row) and counts
 * of frequent events (failed signatures), kept in memory on the request path
 * and added to hourly rows in one write per interval, so the console can sum
 * them over every instance without a write per event.
 */
export class InstanceTelemetry {
  readonly instanceId = `${hostname()}-${process.pid}-${randomBytes(3).toString('hex')}`;
  readonly #startedAt: number;
  readonly #version: string;
  #pending = new Map<string, number>();

  constructor(
    private readonly ctx: DomainContext,
    version: string,
  ) {
    this.#startedAt = ctx.clock.now();
    this.#version = version;
  }

  count(name: ActivityName, by = 1): void {
    const hour = Math.floor(this.ctx.clock.now() / HOUR_MS) * HOUR_MS;
    const key = `${hour}:${name}`;
    this.#pending.set(key, (this.#pending.get(key) ?? 0) + by);
  }

  /** Writes the heartbeat and the counts gathered since the last report. */
  async report(): Promise<void> {
    const { db } = this.ctx.store;
    const now = this.ctx.clock.now();
    await db
      .insertInto('instance_heartbeats')
      .values({ instance_id: this.instanceId, hostname: hostname(), pid: process.pid, version: this.#version, started_at: this.#startedAt, last_seen_at: now })
      .onConflict((oc) => oc.column('instance_id').doUpdateSet({ last_seen_at: now }))
      .execute();
    const pending = this.#pending;
    this.#pending = new Map();
    try {
      for (const [key, count] of pending) {
        const [hour, name] = [Number(key.slice(0, key.indexOf(':'))), key.slice(key.indexOf(':') + 1)];
        await db
          .insertInto('activity_counts')
          .values({ hour_start: hour, name, count })
          .onConflict((oc) => oc.columns(['hour_start', 'name']).doUpdateSet({ count: sql`activity_counts.count + ${count}` }))
          .execute();
      }
    } catch (error) {
      // Counted again at the next report rather than lost.
      for (const [key, count] of pending) this.#pending.set(key, (this.#pending.get(key) ?? 0) + count);
      throw error;
    }
  }

  /** The last report at shutdown; the row stays, marked by its last time seen. */
  async stop(): Promise<void> {
    await this.report();
  }
}

export interface InstanceSeen {
  id: string;
  hostname: string;
  pid: number;
  version: string;
  startedAt: Date;
  lastSeenAt: Date;
}

/** Instances that reported within the window, newest first. */
export async function instancesSeen(ctx: DomainContext, windowMs = INSTANCE_SEEN_WINDOW_MS): Promise<InstanceSeen[]> {
  const rows = await ctx.store.db
    .selectFrom('instance_heartbeats')
    .selectAll()
    .where('last_seen_at', '>=', ctx.clock.now() - windowMs)
    .orderBy('last_seen_at', 'desc')
    .execute();
  return rows.map((r) => ({
    id: r.instance_id,
    hostname: r.hostname,
    pid: r.pid,
    version: r.version,
    startedAt: new Date(Number(r.started_at)),
    lastSeenAt: new Date(Number(r.last_seen_at)),
  }));
}
