import type { CryptoQuote } from '@rotki-premium/protocol/billing-api';

/**
 * "Pay with wallet" through the browser's injected wallet (EIP-1193,
 * `window.ethereum`): ask for an account, switch to the quote's chain, and
 * send exactly the quoted amount — a plain transfer of the native coin, or an
 * ERC-20 `transfer(address,uint256)` call. Returns the transaction hash.
 */

interface Eip1193Provider {
  request(args: { method: string; params?: unknown[] }): Promise<unknown>;
}

function injected(): Eip1193Provider | null {
  const candidate = (window as unknown as { ethereum?: Eip1193Provider }).ethereum;
  return candidate !== undefined && typeof candidate.request === 'function' ? candidate : null;
}

export function hasWallet(): boolean {
  return injected() !== null;
}

function word(hex: string): string {
  return hex.replace(/^0x/, '').toLowerCase().padStart(64, '0');
}

/** ABI encoding of `transfer(to, amount)`: selector a9059cbb and two 32-byte words. */
export function erc20TransferData(to: string, amount: bigint): string {
  return `0xa9059cbb${word(to)}${word(amount.toString(16))}`;
}

export async function payWithWallet(quote: CryptoQuote): Promise<string> {
  const wallet = injected();
  if (wallet === null) throw new Error('No browser wallet was found.');
  const accounts = (await wallet.request({ method: 'eth_requestAccounts' })) as string[];
  const from = accounts[0];
  if (from === undefined) throw new Error('The wallet shared no account.');
  const chainId = `0x${quote.chainId.toString(16)}`;
  if ((await wallet.request({ method: 'eth_chainId' })) !== chainId) {
    await wallet.request({ method: 'wallet_switchEthereumChain', params: [{ chainId }] });
  }
  const amount = BigInt(quote.amount);
  const tx =
    quote.tokenAddress === null
      ? { from, to: quote.address, value: `0x${amount.toString(16)}` }
      : { from, to: quote.tokenAddress, value: '0x0', data: erc20TransferData(quote.address, amount) };
  return (await wallet.request({ method: 'eth_sendTransaction', params: [tx] })) as string;
}
