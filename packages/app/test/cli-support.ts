import { spawn } from 'node:child_process';
import { join, resolve } from 'node:path';

export const APP_BIN = join(resolve(import.meta.dirname, '..'), 'bin/rotki-premium-app.js');

export interface AppCliResult {
  code: number;
  stdout: string;
  stderr: string;
}

/** Runs `rotki-premium-app <args>` as a person would, with `input` on standard input. */
export function runAppCli(args: string[], env: NodeJS.ProcessEnv, input = ''): Promise<AppCliResult> {
  return new Promise((resolvePromise, reject) => {
    const clean: NodeJS.ProcessEnv = { ...process.env };
    for (const name of Object.keys(clean)) if (name.startsWith('ROTKI_PREMIUM_')) delete clean[name];
    const child = spawn(process.execPath, [APP_BIN, ...args], { env: { ...clean, ...env }, stdio: ['pipe', 'pipe', 'pipe'] });
    let stdout = '';
    let stderr = '';
    child.stdout.on('data', (chunk: Buffer) => (stdout += chunk.toString()));
    child.stderr.on('data', (chunk: Buffer) => (stderr += chunk.toString()));
    child.on('error', reject);
    child.on('close', (code) => resolvePromise({ code: code ?? -1, stdout, stderr }));
    child.stdin.end(input);
  });
}
