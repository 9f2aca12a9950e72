import { AuthErrorCode } from '@rotki-premium/protocol';
import { Counter, Gauge, Histogram, Registry, collectDefaultMetrics } from 'prom-client';
import type { Store } from '../../store/database.ts';

/** Outcomes of a signed request's authentication: accepted, refused for a reason, or rate-limited. */
export type SignedAuthOutcome = 'accepted' | AuthErrorCode | 'rate_limited';
export type DeviceRegistrationOutcome = 'registered' | 'already_registered' | 'limit_reached';

const PREFIX = 'rotki_premium_';

/** Request latency: the signed API answers in milliseconds, backup chunks take seconds. */
const REQUEST_BUCKETS = [0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 0.5, 1, 2.5, 5, 10, 30];
const QUERY_BUCKETS = [0.0001, 0.00025, 0.0005, 0.001, 0.0025, 0.005, 0.01, 0.025, 0.05, 0.1, 0.25, 1];
const UPLOAD_BUCKETS = [0.1, 0.5, 1, 2.5, 5, 10, 30, 60, 120, 300, 900, 3600];

/** The label values of one (route, method, status), made once and reused by every later request. */
interface RequestLabels {
  method: string;
  route: string;
  status_code: string;
}

/**
 * Everything this instance reports to Prometheus, in a registry of its own
 * (so several apps in one process never share counters). Hot-path calls are
 * one counter increment or one histogram observation with label objects made
 * once; figures that live in the database are read at scrape time.
 */
export class ServerMetrics {
  readonly registry = new Registry();
  readonly #requestDuration: Histogram<keyof RequestLabels>;
  /** route → method → status → labels: three lookups and no allocation on the request path. */
  readonly #requestLabels = new Map<string, Map<string, Map<number, RequestLabels>>>();
  readonly #signedAuth: Counter<'outcome'>;
  readonly #signedAuthLabels = new Map<string, { outcome: string }>();
  readonly #deviceRegistrations: Counter<'outcome'>;
  readonly #backupUploadBytes: Counter;
  readonly #backupDownloadBytes: Counter;
  readonly #backupUploadDuration: Histogram;
  readonly #queryDuration: Histogram;
  readonly #queryErrors: Counter;

  constructor(store: Store) {
    const registers = [this.registry];
    collectDefaultMetrics({ register: this.registry });
    this.#requestDuration = new Histogram({
      name: `${PREFIX}http_request_duration_seconds`,
      help: 'Time from receiving a request to sending its answer, by route template, method and status',
      labelNames: ['method', 'route', 'status_code'],
      buckets: REQUEST_BUCKETS,
      registers,
    });
    this.#signedAuth = new Counter({
      name: `${PREFIX}signed_auth_total`,
      help: 'Signed premium API requests by authentication outcome: accepted, or the reason they were refused',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of ['accepted', 'rate_limited', ...Object.values(AuthErrorCode)]) {
      const labels = { outcome };
      this.#signedAuthLabels.set(outcome, labels);
      // Every outcome shows from the first scrape, at 0, so rates and alerts have a series to work on.
      this.#signedAuth.inc(labels, 0);
    }
    this.#deviceRegistrations = new Counter({
      name: `${PREFIX}device_registrations_total`,
      help: 'Device registrations by outcome: registered, already registered, refused at the device limit',
      labelNames: ['outcome'],
      registers,
    });
    for (const outcome of ['registered', 'already_registered', 'limit_reached']) this.#deviceRegistrations.inc({ outcome }, 0);
    this.#backupUploadBytes = new Counter({
      name: `${PREFIX}backup_upload_bytes_total`,
      help: 'Backup bytes received and stored in chunks',
      registers,
    });
    this.#backupDownloadBytes = new Counter({
      name: `${PREFIX}backup_download_bytes_total`,
      help: 'Backup bytes sent to downloads',
      registers,
    });
    this.#backupUploadDuration = new Histogram({
      name: `${PREFIX}backup_upload_duration_seconds`,
      help: 'Time from the first chunk of a backup upload to the backup being stored',
      buckets: UPLOAD_BUCKETS,
      registers,
    });
    this.#queryDuration = new Histogram({
      name: `${PREFIX}db_query_duration_seconds`,
      help: 'Database query latency',
      buckets: QUERY_BUCKETS,
      registers,
    });
    this.#queryErrors = new Counter({ name: `${PREFIX}db_query_errors_total`, help: 'Database queries that failed', registers });
    new Gauge({
      name: `${PREFIX}db_pool_connections`,
      help: 'PostgreSQL pool connections by pool and state (total, idle, waiting clients); SQLite has one connection and no pool',
      labelNames: ['pool', 'state'],
      registers,
      collect() {
        for (const pool of store.poolStats()) {
          this.set({ pool: pool.name, state: 'total' }, pool.total);
          this.set({ pool: pool.name, state: 'idle' }, pool.idle);
          this.set({ pool: pool.name, state: 'waiting' }, pool.waiting);
        }
      },
    });
    new Gauge({
      name: `${PREFIX}backup_stored_bytes`,
      help: 'Bytes of the stored backups of all accounts (read from the database at scrape; the same on every instance)',
      registers,
      async collect() {
        const row = await store.db
          .selectFrom('backups')
          .select((eb) => eb.fn.coalesce(eb.fn.sum<number | string>('size'), eb.lit(0)).as('bytes'))
          .executeTakeFirst();
        this.set(Number(row?.bytes ?? 0));
      },
    });
    store.observeQueries((durationMs, failed) => {
      this.#queryDuration.observe(durationMs / 1000);
      if (failed) this.#queryErrors.inc();
    });
  }

  /** One answered request; `route` is the route template (never the raw URL), or `unmatched`. */
  observeRequest(method: string, route: string, statusCode: number, seconds: number): void {
    let byMethod = this.#requestLabels.get(route);
    if (byMethod === undefined) this.#requestLabels.set(route, (byMethod = new Map()));
    let byStatus = byMethod.get(method);
    if (byStatus === undefined) byMethod.set(method, (byStatus = new Map()));
    let labels = byStatus.get(statusCode);
    if (labels === undefined) byStatus.set(statusCode, (labels = { method, route, status_code: String(statusCode) }));
    this.#requestDuration.observe(labels, seconds);
  }

  signedAuth(outcome: SignedAuthOutcome): void {
    const labels = this.#signedAuthLabels.get(outcome);
    if (labels !== undefined) this.#signedAuth.inc(labels);
  }

  deviceRegistration(outcome: DeviceRegistrationOutcome): void {
    this.#deviceRegistrations.inc({ outcome });
  }

  backupChunkStored(bytes: number): void {
    this.#backupUploadBytes.inc(bytes);
  }

  backupStored(uploadMs: number): void {
    this.#backupUploadDuration.observe(Math.max(0, uploadMs) / 1000);
  }

  backupDownloaded(bytes: number): void {
    this.#backupDownloadBytes.inc(bytes);
  }

  /** The Prometheus text exposition. */
  async exposition(): Promise<{ contentType: string; body: string }> {
    return { contentType: this.registry.contentType, body: await this.registry.metrics() };
  }
}
