import { createInterface } from 'node:readline';
import { Writable } from 'node:stream';

/**
 * Secrets for the CLI come from the environment or standard input, never from
 * argv (which `ps` shows). Piped input gives one value a line, in the order
 * asked: the password first, then the API secret.
 */
export class SecretInput {
  readonly #env: NodeJS.ProcessEnv;
  readonly #stdin: NodeJS.ReadStream;
  #lines: string[] | null = null;

  constructor(env: NodeJS.ProcessEnv = process.env, stdin: NodeJS.ReadStream = process.stdin) {
    this.#env = env;
    this.#stdin = stdin;
  }

  async #pipedLines(): Promise<string[]> {
    if (this.#lines !== null) return this.#lines;
    const chunks: Buffer[] = [];
    for await (const chunk of this.#stdin) chunks.push(chunk as Buffer);
    this.#lines = Buffer.concat(chunks)
      .toString('utf8')
      .split(/\r?\n/)
      .filter((line, index, all) => !(index === all.length - 1 && line === ''));
    return this.#lines;
  }

  /** Asks on the terminal without echoing what is typed. */
  #prompt(question: string): Promise<string> {
    const muted = new Writable({ write: (_chunk, _encoding, done) => done() });
    process.stderr.write(question);
    const rl = createInterface({ input: this.#stdin, output: muted, terminal: true });
    return new Promise((resolve) => {
      rl.question('', (answer) => {
        rl.close();
        process.stderr.write('\n');
        resolve(answer);
      });
    });
  }

  /** The value of `envName`, else the next piped line, else a prompt on a terminal; null when there is none. */
  async read(envName: string, label: string): Promise<string | null> {
    const fromEnv = this.#env[envName];
    if (fromEnv !== undefined && fromEnv !== '') return fromEnv;
    if (this.#stdin.isTTY === true) return this.#prompt(`${label}: `);
    const lines = await this.#pipedLines();
    const next = lines.shift();
    return next === undefined || next === '' ? null : next;
  }
}
