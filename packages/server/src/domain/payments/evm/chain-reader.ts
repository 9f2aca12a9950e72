import type { EvmChain } from '../../billing/settings.ts';
import { tokenKey } from './amounts.ts';

/**
 * What the server reads from an EVM chain, through the operator's JSON-RPC
 * node (viem): the head, and the transfers to the receiving address of the
 * tokens the operator accepts — ERC-20 `Transfer` logs and plain native
 * transfers (a transaction whose `to` is the address, that succeeded).
 * The reader over viem is in viem-reader.ts, loaded only when chains are configured.
 */

/** log index of a native transfer, which has no log. */
export const NATIVE_LOG_INDEX = -1;

export interface ChainTransfer {
  chainId: number;
  txHash: string;
  /** NATIVE_LOG_INDEX for a native transfer. */
  logIndex: number;
  blockNumber: bigint;
  blockHash: string;
  /** tokenKey(): "native" or the contract address in lower case. */
  token: string;
  from: string;
  amount: bigint;
}

export interface ChainReader {
  readonly chain: EvmChain;
  head(): Promise<bigint>;
  /** Transfers to the receiving address in blocks `from`..`to` (inclusive), in chain order. */
  transfersIn(from: bigint, to: bigint): Promise<ChainTransfer[]>;
  /** The transaction's transfers to the receiving address; null when it is not (yet) in a block. */
  transfersInTx(txHash: `0x${string}`): Promise<ChainTransfer[] | null>;
  /** The canonical block's hash at `number`, or null past the head. */
  blockHash(number: bigint): Promise<string | null>;
  /** When the block was made, in epoch milliseconds. */
  blockTime(number: bigint): Promise<number>;
}

/** The token configuration a transfer is of. */
export function tokenOf(chain: EvmChain, key: string) {
  return chain.tokens.find((t) => tokenKey(t) === key) ?? null;
}
