import { spawn, type ChildProcess } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { createServer } from 'node:net';
import { join } from 'node:path';
import {
  createPublicClient,
  createWalletClient,
  encodeFunctionData,
  http,
  parseAbi,
  type Abi,
  type Address,
  type Hash,
  type PublicClient,
  type WalletClient,
} from 'viem';
import { REPO_ROOT } from './server-process.ts';

/**
 * A real local EVM node for the crypto payment tests: `hardhat node` from
 * npm (chain id 31337, automining, twenty funded unlocked accounts), and a
 * test ERC-20 compiled from test-support/evm/TestToken.sol by the solc npm
 * package (its bundled compiler: nothing is downloaded) and deployed here.
 */

const HARDHAT_CLI = join(REPO_ROOT, 'node_modules/hardhat/internal/cli/cli.js');
const HARDHAT_CONFIG = join(REPO_ROOT, 'test-support/evm/hardhat.config.cjs');
const TOKEN_SOURCE = join(REPO_ROOT, 'test-support/evm/TestToken.sol');
export const HARDHAT_CHAIN_ID = 31337;

export const ERC20_ABI = parseAbi([
  'function transfer(address to, uint256 value) returns (bool)',
  'function balanceOf(address owner) view returns (uint256)',
  'function batchTransfer(address[] to, uint256[] value)',
]);

let compiled: { abi: Abi; bytecode: `0x${string}` } | null = null;

/** Compiles TestToken.sol with the solc npm package (once per process). */
export function compileTestToken(): { abi: Abi; bytecode: `0x${string}` } {
  if (compiled !== null) return compiled;
  const require = createRequire(import.meta.url);
  const solc = require('solc') as { compile(input: string): string };
  const input = {
    language: 'Solidity',
    sources: { 'TestToken.sol': { content: readFileSync(TOKEN_SOURCE, 'utf8') } },
    settings: { optimizer: { enabled: true, runs: 200 }, evmVersion: 'paris', outputSelection: { '*': { '*': ['abi', 'evm.bytecode.object'] } } },
  };
  const output = JSON.parse(solc.compile(JSON.stringify(input))) as {
    errors?: { severity: string; formattedMessage: string }[];
    contracts: Record<string, Record<string, { abi: Abi; evm: { bytecode: { object: string } } }>>;
  };
  const errors = (output.errors ?? []).filter((e) => e.severity === 'error');
  if (errors.length > 0) throw new Error(`solc: ${errors.map((e) => e.formattedMessage).join('\n')}`);
  const contract = output.contracts['TestToken.sol']?.TestToken;
  if (contract === undefined) throw new Error('solc produced no TestToken');
  compiled = { abi: contract.abi, bytecode: `0x${contract.evm.bytecode.object}` };
  return compiled;
}

function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      const port = typeof address === 'object' && address !== null ? address.port : 0;
      server.close(() => resolve(port));
    });
  });
}

export class EvmNode {
  readonly public: PublicClient;
  readonly wallet: WalletClient;

  private constructor(
    readonly url: string,
    private readonly child: ChildProcess,
    readonly accounts: Address[],
  ) {
    this.public = createPublicClient({ transport: http(url) });
    this.wallet = createWalletClient({ transport: http(url) });
  }

  /** Starts `hardhat node` on a free port and waits until it answers. */
  static async start(): Promise<EvmNode> {
    const port = await freePort();
    const child = spawn(process.execPath, [HARDHAT_CLI, 'node', '--config', HARDHAT_CONFIG, '--hostname', '127.0.0.1', '--port', String(port)], {
      cwd: join(REPO_ROOT, 'test-support/evm'),
      env: { ...process.env, HARDHAT_DISABLE_TELEMETRY_PROMPT: 'true', CI: 'true' },
      stdio: ['ignore', 'pipe', 'pipe'],
    });
    let output = '';
    child.stdout?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    child.stderr?.on('data', (chunk: Buffer) => (output += chunk.toString()));
    await new Promise<void>((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error(`hardhat node did not start:\n${output}`)), 120_000);
      const check = () => {
        if (output.includes('Started HTTP')) {
          clearTimeout(timer);
          resolve();
        }
      };
      child.stdout?.on('data', check);
      child.once('exit', (code) => {
        clearTimeout(timer);
        reject(new Error(`hardhat node exited with ${code}:\n${output}`));
      });
    });
    // Stop collecting: the node logs every call.
    child.stdout?.removeAllListeners('data');
    child.stdout?.resume();
    const url = `http://127.0.0.1:${port}`;
    const probe = createPublicClient({ transport: http(url) });
    const accounts = (await probe.request({ method: 'eth_accounts' } as never)) as Address[];
    return new EvmNode(url, child, accounts);
  }

  async stop(): Promise<void> {
    if (this.child.exitCode !== null) return;
    const exited = new Promise((resolve) => this.child.once('exit', resolve));
    this.child.kill('SIGTERM');
    await exited;
  }

  private rpc(method: string, params: unknown[] = []): Promise<unknown> {
    return this.public.request({ method, params } as never);
  }

  /** Deploys a fresh TestToken; the first account holds `supply` base units. */
  async deployToken(symbol: string, decimals: number, supply: bigint): Promise<Address> {
    const { abi, bytecode } = compileTestToken();
    const hash = await this.wallet.deployContract({ abi, bytecode, account: this.accounts[0] as Address, chain: null, args: [`Test ${symbol}`, symbol, decimals, supply] });
    const receipt = await this.public.waitForTransactionReceipt({ hash });
    if (receipt.contractAddress === null || receipt.contractAddress === undefined) throw new Error('token not deployed');
    return receipt.contractAddress;
  }

  /** Sends `amount` of the token from account `from` (index) to `to`. */
  async payToken(token: Address, to: Address, amount: bigint, from = 1): Promise<Hash> {
    const hash = await this.wallet.sendTransaction({
      account: this.accounts[from] as Address,
      chain: null,
      to: token,
      data: encodeFunctionData({ abi: ERC20_ABI, functionName: 'transfer', args: [to, amount] }),
    });
    await this.public.waitForTransactionReceipt({ hash });
    return hash;
  }

  /** One transaction with a Transfer log per payee. */
  async payTokenBatch(token: Address, payees: { to: Address; amount: bigint }[], from = 1): Promise<Hash> {
    const hash = await this.wallet.sendTransaction({
      account: this.accounts[from] as Address,
      chain: null,
      to: token,
      data: encodeFunctionData({ abi: ERC20_ABI, functionName: 'batchTransfer', args: [payees.map((p) => p.to), payees.map((p) => p.amount)] }),
    });
    await this.public.waitForTransactionReceipt({ hash });
    return hash;
  }

  async payNative(to: Address, amount: bigint, from = 1): Promise<Hash> {
    const hash = await this.wallet.sendTransaction({ account: this.accounts[from] as Address, chain: null, to, value: amount });
    await this.public.waitForTransactionReceipt({ hash });
    return hash;
  }

  /** Gives account `to` tokens from the deployer. */
  async fund(token: Address, to: number, amount: bigint): Promise<void> {
    await this.payToken(token, this.accounts[to] as Address, amount, 0);
  }

  async mine(blocks: number): Promise<void> {
    await this.rpc('hardhat_mine', [`0x${blocks.toString(16)}`]);
  }

  async head(): Promise<bigint> {
    return this.public.getBlockNumber({ cacheTime: 0 });
  }

  async snapshot(): Promise<string> {
    return (await this.rpc('evm_snapshot')) as string;
  }

  async revert(id: string): Promise<void> {
    if ((await this.rpc('evm_revert', [id])) !== true) throw new Error('evm_revert failed');
  }

  /** The next block's timestamp (seconds since the epoch). */
  async setNextBlockTime(ms: number): Promise<void> {
    await this.rpc('evm_setNextBlockTimestamp', [Math.floor(ms / 1000)]);
  }

  /** Forwards a wallet (EIP-1193) request to the node, where the test accounts are unlocked. */
  request(method: string, params: unknown[] = []): Promise<unknown> {
    return this.rpc(method, params);
  }
}
