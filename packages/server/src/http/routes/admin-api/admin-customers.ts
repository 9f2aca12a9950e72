import type { FastifyInstance, FastifyRequest } from 'fastify';
import { z } from 'zod';
import {
  ADMIN_API,
  ADMIN_API_PATHS,
  CustomerAction,
  CustomerDetail,
  CustomerSearchQuery,
  CustomerSearchResult,
  GrantRequest,
  RecordPaymentRequest,
  RefundRequest,
  SuspendRequest,
} from '@rotki-premium/protocol/admin-api';
import { getAccount } from '../../../domain/accounts.ts';
import type { DomainContext } from '../../../domain/context.ts';
import { removeDevice } from '../../../domain/devices.ts';
import { recordOperatorPayment } from '../../../domain/payments/manual.ts';
import { recordRefund } from '../../../domain/payments/refunds.ts';
import { customerDetail, endCustomerSessions, revokeCredentials, searchCustomers } from '../../../domain/operators/customers.ts';
import { cancelSubscription, expireSubscription, grantSubscription } from '../../../domain/subscriptions.ts';
import { suspendAccount, unsuspendAccount } from '../../../domain/suspension.ts';
import { IdParam, webRoute } from '../../openapi/route-schema.ts';
import { asOperator } from './admin-plugin.ts';

const base = ADMIN_API_PATHS.customers.slice(ADMIN_API.length);
const DeviceParam = IdParam.extend({ deviceId: z.coerce.number().int().positive() });
const ActionParam = IdParam.extend({ action: CustomerAction });
const BODY_LIMIT = 8 * 1024;

/** A customer action's documentation: it answers with the customer's page as it is afterwards. */
function customerDoc(summary: string, body?: z.ZodType) {
  return webRoute({ summary, params: IdParam, ...(body === undefined ? {} : { body }), response: { 200: CustomerDetail } });
}

function idOf(request: FastifyRequest): number {
  return IdParam.parse(request.params).id;
}

/** Finding a customer, their page, and what the console does to an account (each audited with the operator's name). */
export async function adminCustomerRoutes(app: FastifyInstance, options: { ctx: DomainContext }): Promise<void> {
  const { ctx } = options;
  const operator = { console: 'operator' as const };

  app.get(base, { schema: webRoute({ summary: 'Find customers by username, e-mail, API-key prefix or device id', querystring: CustomerSearchQuery, response: { 200: CustomerSearchResult } }), config: operator }, async (request): Promise<CustomerSearchResult> => {
    const { q } = CustomerSearchQuery.parse(request.query);
    return { customers: await searchCustomers(ctx, q) };
  });

  app.get(`${base}/:id`, { schema: customerDoc('A customer\'s page: profile, subscriptions, payments, credentials, devices, backup, sessions, audit'), config: operator }, async (request): Promise<CustomerDetail> => customerDetail(ctx, idOf(request)));

  app.post(`${base}/:id/grant`, { schema: customerDoc('Grant or extend a subscription', GrantRequest), bodyLimit: BODY_LIMIT, config: operator }, async (request): Promise<CustomerDetail> => {
    const id = idOf(request);
    const body = GrantRequest.parse(request.body ?? {});
    await getAccount(ctx, id);
    await asOperator(request, () => grantSubscription(ctx, id, body.tier, body.months, body.paymentReference ?? null));
    return customerDetail(ctx, id);
  });

  app.post(`${base}/:id/payment`, { schema: customerDoc('Record a payment received outside the service', RecordPaymentRequest), bodyLimit: BODY_LIMIT, config: operator }, async (request): Promise<CustomerDetail> => {
    const id = idOf(request);
    const body = RecordPaymentRequest.parse(request.body ?? {});
    await getAccount(ctx, id);
    await asOperator(request, () =>
      recordOperatorPayment(ctx, { accountId: id, amountMinor: body.amountMinor, reference: body.reference, tierName: body.tier, period: body.period }),
    );
    return customerDetail(ctx, id);
  });

  app.post(`${base}/:id/refund`, { schema: customerDoc('Record a refund on one of the customer\'s payments (at most what is left of it), with the reason', RefundRequest), bodyLimit: BODY_LIMIT, config: operator }, async (request): Promise<CustomerDetail> => {
    const id = idOf(request);
    const body = RefundRequest.parse(request.body ?? {});
    await getAccount(ctx, id);
    await asOperator(request, () => recordRefund(ctx, { accountId: id, paymentId: body.paymentId, amountMinor: body.amountMinor, reason: body.reason }));
    return customerDetail(ctx, id);
  });

  app.post(`${base}/:id/suspend`, { schema: customerDoc('Suspend the account: its signed requests are refused with account_suspended', SuspendRequest), bodyLimit: BODY_LIMIT, config: operator }, async (request): Promise<CustomerDetail> => {
    const id = idOf(request);
    const { reason } = SuspendRequest.parse(request.body ?? {});
    await asOperator(request, () => suspendAccount(ctx, id, reason));
    return customerDetail(ctx, id);
  });

  app.post(`${base}/:id/:action`, { schema: { ...customerDoc('cancel (renewal), expire (now), unsuspend, revoke-credentials, end-sessions'), params: ActionParam }, bodyLimit: BODY_LIMIT, config: operator }, async (request): Promise<CustomerDetail> => {
    const { id, action } = ActionParam.parse(request.params);
    await getAccount(ctx, id);
    await asOperator(request, async () => {
      switch (action) {
        case 'cancel':
          return cancelSubscription(ctx, id);
        case 'expire':
          return expireSubscription(ctx, id);
        case 'unsuspend':
          return unsuspendAccount(ctx, id);
        case 'revoke-credentials':
          return revokeCredentials(ctx, id);
        case 'end-sessions':
          return endCustomerSessions(ctx, id);
      }
    });
    return customerDetail(ctx, id);
  });

  app.delete(`${base}/:id/devices/:deviceId`, { schema: { ...customerDoc('Remove a device'), params: DeviceParam }, config: operator }, async (request): Promise<CustomerDetail> => {
    const { id, deviceId } = DeviceParam.parse(request.params);
    const account = await getAccount(ctx, id);
    await asOperator(request, () => removeDevice(ctx, { accountId: id, username: account.username }, { id: deviceId }, { via: 'console' }));
    return customerDetail(ctx, id);
  });
}
