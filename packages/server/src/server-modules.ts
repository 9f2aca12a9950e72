/**
 * What a server start loads beyond what admin commands do: the HTTP stack,
 * metrics, payments, mail. One module, imported while the database opens, so
 * that its files are read as the database works and it splits the build once.
 */
export { buildApp } from './http/app.ts';
export { ServerMetrics } from './http/metrics/server-metrics.ts';
export { buildMetricsApp } from './http/routes/metrics.ts';
export { openPaymentProviders } from './domain/payments/providers.ts';
export { HEARTBEAT_INTERVAL_MS, InstanceTelemetry } from './domain/system/telemetry.ts';
export { createMailTransport } from './domain/mail/transport.ts';
export { startMailWorker } from './domain/mail/worker.ts';
export { sweepSubscriptionNotices } from './domain/payments/notices.ts';
