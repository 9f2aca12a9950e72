import type { Generated, Selectable } from 'kysely';

/** Tables of crypto payments on EVM chains. Timestamps are epoch milliseconds; token amounts are base-unit decimal strings. */

/** What a buyer was asked to send for an order: an exact amount of one token on one chain, valid until `expires_at`. */
export interface CryptoQuoteTable {
  id: Generated<number>;
  order_id: number;
  chain_id: number;
  /** "native" or the ERC-20 contract address in lower case. */
  token: string;
  symbol: string;
  decimals: number;
  amount: string;
  /** `amount mod tail_modulus`: unique among the chain's and token's recent quotes. */
  tail: string;
  tail_modulus: string;
  receiving_address: string;
  /** The chain's head when the quote was made: a payment cannot be older. */
  from_block: number;
  created_at: number;
  expires_at: number;
}
export type CryptoQuoteRow = Selectable<CryptoQuoteTable>;

export interface CryptoTailTable {
  chain_id: number;
  token: string;
  tail: string;
  quote_id: number;
  held_until: number;
}

export interface ChainCursorTable {
  chain_id: number;
  /** Every block up to this one has been read and its confirmed payments applied. */
  scanned_to: number;
  /** The newest block the node reported at the last scan. */
  head: number;
  updated_at: number;
}

/** A transfer for a quote in a block not yet confirmed: shown to the buyer, credited only once confirmed. */
export interface CryptoSightingTable {
  chain_id: number;
  tx_hash: string;
  /** -1 for a native transfer. */
  log_index: number;
  quote_id: number;
  amount: string;
  block_number: number;
  block_hash: string;
  seen_at: number;
}
export type CryptoSightingRow = Selectable<CryptoSightingTable>;
