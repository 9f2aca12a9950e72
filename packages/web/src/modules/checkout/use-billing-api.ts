import {
  BILLING_PATHS,
  HistoryResponse,
  OrderResponse,
  PaymentsResponse,
  PortalResponse,
  CryptoTxResponse,
  cryptoQuoteUrl,
  cryptoTxUrl,
  QuoteResponse,
  orderUrl,
  type CryptoQuoteRequest,
  type OrderRequest,
  type QuoteRequest,
} from '@rotki-premium/protocol/billing-api';
import { WebSubscription } from '@rotki-premium/protocol/web-api';
import { call } from '../core/use-web-api.ts';

/** Checkout, payments and the subscription's lifecycle, parsed at this boundary. */
export function useBillingApi() {
  return {
    quote: (request: QuoteRequest) => call('POST', BILLING_PATHS.quote, QuoteResponse, request),
    placeOrder: (request: OrderRequest) => call('POST', BILLING_PATHS.orders, OrderResponse, request),
    order: (reference: string) => call('GET', orderUrl(reference), OrderResponse),
    cryptoQuote: (reference: string, request: CryptoQuoteRequest) => call('POST', cryptoQuoteUrl(reference), OrderResponse, request),
    cryptoTx: (reference: string, txHash: string) => call('POST', cryptoTxUrl(reference), CryptoTxResponse, { txHash }),
    payments: () => call('GET', BILLING_PATHS.payments, PaymentsResponse),
    history: () => call('GET', BILLING_PATHS.history, HistoryResponse),
    resume: () => call('POST', BILLING_PATHS.resume, WebSubscription),
    portal: () => call('POST', BILLING_PATHS.portal, PortalResponse),
  };
}
