import { createPublicClient, decodeEventLog, http, parseAbiItem, type PublicClient } from 'viem';
import type { EvmChain } from '../../billing/settings.ts';
import type { DomainContext } from '../../context.ts';
import { NATIVE_LOG_INDEX, type ChainReader, type ChainTransfer } from './chain-reader.ts';

/**
 * The chain reader over the operator's JSON-RPC node, with viem. Loaded only
 * when crypto chains are configured (the library is large).
 */

export const TRANSFER_EVENT = parseAbiItem('event Transfer(address indexed from, address indexed to, uint256 value)');

/** At most this many blocks per `eth_getLogs` call: public nodes refuse wide ranges. */
const LOG_RANGE = 1_000n;

export function createChainReader(chain: EvmChain, client?: PublicClient): ChainReader {
  const rpc: PublicClient = client ?? createPublicClient({ transport: http(chain.rpcUrl, { retryCount: 1, timeout: 15_000 }) });
  const receiving = chain.receivingAddress.toLowerCase();
  const erc20 = chain.tokens.filter((t) => t.address !== null).map((t) => t.address as `0x${string}`);
  const acceptsNative = chain.tokens.some((t) => t.address === null);

  async function nativeIn(from: bigint, to: bigint): Promise<ChainTransfer[]> {
    const found: ChainTransfer[] = [];
    for (let n = from; n <= to; n += 1n) {
      const block = await rpc.getBlock({ blockNumber: n, includeTransactions: true });
      for (const tx of block.transactions) {
        if (tx.to?.toLowerCase() !== receiving || tx.value === 0n) continue;
        const receipt = await rpc.getTransactionReceipt({ hash: tx.hash });
        if (receipt.status !== 'success') continue;
        found.push({
          chainId: chain.chainId,
          txHash: tx.hash.toLowerCase(),
          logIndex: NATIVE_LOG_INDEX,
          blockNumber: n,
          blockHash: (block.hash ?? '').toLowerCase(),
          token: 'native',
          from: tx.from.toLowerCase(),
          amount: tx.value,
        });
      }
    }
    return found;
  }

  async function logsIn(from: bigint, to: bigint): Promise<ChainTransfer[]> {
    if (erc20.length === 0) return [];
    const found: ChainTransfer[] = [];
    for (let start = from; start <= to; start += LOG_RANGE) {
      const end = start + LOG_RANGE - 1n < to ? start + LOG_RANGE - 1n : to;
      const logs = await rpc.getLogs({ address: erc20, event: TRANSFER_EVENT, args: { to: chain.receivingAddress }, fromBlock: start, toBlock: end });
      for (const log of logs) {
        if (log.removed || log.blockNumber === null || log.transactionHash === null || log.logIndex === null) continue;
        found.push({
          chainId: chain.chainId,
          txHash: log.transactionHash.toLowerCase(),
          logIndex: log.logIndex,
          blockNumber: log.blockNumber,
          blockHash: (log.blockHash ?? '').toLowerCase(),
          token: log.address.toLowerCase(),
          from: (log.args.from ?? '').toLowerCase(),
          amount: log.args.value ?? 0n,
        });
      }
    }
    return found;
  }

  return {
    chain,
    head: () => rpc.getBlockNumber({ cacheTime: 0 }),
    async transfersIn(from, to) {
      if (to < from) return [];
      const [logs, native] = await Promise.all([logsIn(from, to), acceptsNative ? nativeIn(from, to) : Promise.resolve([])]);
      return [...logs, ...native].sort((a, b) => (a.blockNumber === b.blockNumber ? a.logIndex - b.logIndex : a.blockNumber < b.blockNumber ? -1 : 1));
    },
    async transfersInTx(txHash) {
      let receipt;
      try {
        receipt = await rpc.getTransactionReceipt({ hash: txHash });
      } catch (error) {
        if ((error as Error).name === 'TransactionReceiptNotFoundError') return null;
        throw error;
      }
      if (receipt.status !== 'success') return [];
      const found: ChainTransfer[] = [];
      const base = { chainId: chain.chainId, txHash: receipt.transactionHash.toLowerCase(), blockNumber: receipt.blockNumber, blockHash: receipt.blockHash.toLowerCase() };
      for (const log of receipt.logs) {
        const token = log.address.toLowerCase();
        if (!erc20.some((a) => a.toLowerCase() === token)) continue;
        try {
          const decoded = decodeEventLog({ abi: [TRANSFER_EVENT], data: log.data, topics: log.topics });
          if (decoded.args.to.toLowerCase() !== receiving) continue;
          found.push({ ...base, logIndex: log.logIndex, token, from: decoded.args.from.toLowerCase(), amount: decoded.args.value });
        } catch {
          // Not a Transfer event of this token.
        }
      }
      if (acceptsNative && receipt.to?.toLowerCase() === receiving) {
        const tx = await rpc.getTransaction({ hash: txHash });
        if (tx.value > 0n) found.push({ ...base, logIndex: NATIVE_LOG_INDEX, token: 'native', from: tx.from.toLowerCase(), amount: tx.value });
      }
      return found;
    },
    async blockHash(number) {
      try {
        const block = await rpc.getBlock({ blockNumber: number });
        return block.hash === null ? null : block.hash.toLowerCase();
      } catch (error) {
        if ((error as Error).name === 'BlockNotFoundError') return null;
        throw error;
      }
    },
    async blockTime(number) {
      const block = await rpc.getBlock({ blockNumber: number });
      return Number(block.timestamp) * 1000;
    },
  };
}

/** A reader per configured chain (shared by the watcher and the web API). */
export function openChainReaders(ctx: DomainContext): Map<number, ChainReader> {
  return new Map((ctx.billing.evm?.chains ?? []).map((chain) => [chain.chainId, createChainReader(chain)]));
}
