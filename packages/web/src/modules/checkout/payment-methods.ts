import type { PaymentMethod } from '@rotki-premium/protocol/billing-api';

/** How the checkout names each payment method. */
export const METHOD_LABELS: Record<PaymentMethod, { title: string; detail: string }> = {
  card: { title: 'Card', detail: 'Pay on the card payment page; renews itself until you cancel.' },
  crypto: { title: 'Crypto', detail: 'Send the exact amount from your wallet; renew by hand before the end.' },
  bank_transfer: { title: 'Bank transfer', detail: 'Transfer with the order reference; active once the money arrives.' },
};
