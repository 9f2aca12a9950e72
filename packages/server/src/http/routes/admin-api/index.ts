import type { FastifyInstance } from 'fastify';
import type { MailConfig } from '../../../config/mail-config.ts';
import type { Backups } from '../../../domain/backups.ts';
import type { DomainContext } from '../../../domain/context.ts';
import type { PaymentGateways } from '../../../domain/payments/gateways.ts';
import type { CounterStore } from '../../../domain/failure-counters.ts';
import { adminAuthRoutes } from './admin-auth.ts';
import { adminConsoleRoutes } from './admin-console.ts';
import { adminCustomerCareRoutes } from './admin-customer-care.ts';
import { adminCustomerRoutes } from './admin-customers.ts';
import { adminOperationsRoutes } from './admin-operations.ts';
import { consolePlumbing } from './admin-plugin.ts';

export interface AdminApiOptions {
  ctx: DomainContext;
  /** The backup store: the System page names it; support deletes a customer's backups (and account) with it. */
  backups: Backups;
  counters: CounterStore;
  /** Where mail goes, for the System page. */
  mail: MailConfig;
  /** The payment providers: replaying an event may call one (moving a card renewal to an upgraded plan). */
  gateways: PaymentGateways;
}

/** The operator console's API under `/admin/api` (register with that prefix). */
export async function adminApiRoutes(app: FastifyInstance, options: AdminApiOptions): Promise<void> {
  // Only these: the options Fastify hands a plugin also hold its prefix, which must not apply twice.
  const shared = { ctx: options.ctx, blobs: options.backups.blobs, mail: options.mail };
  await consolePlumbing(app, shared);
  await app.register(adminAuthRoutes, { ctx: options.ctx, counters: options.counters });
  await app.register(adminCustomerRoutes, shared);
  await app.register(adminCustomerCareRoutes, { backups: options.backups });
  await app.register(adminConsoleRoutes, shared);
  await app.register(adminOperationsRoutes, { ctx: options.ctx, gateways: options.gateways });
}
