/**
 * The ladder's first rung: a bare Fastify 5 server in a process of its own,
 * answering one route with fixed bytes (the body our unauthenticated route
 * answered, given in BARE_BODY): what any Fastify server pays per request.
 */
import { spawn, type ChildProcess } from 'node:child_process';

const PROGRAM = `
const { default: Fastify } = await import('fastify');
const body = process.env.BARE_BODY;
const app = Fastify({ logger: false });
app.get('/bare', (_request, reply) => { reply.type('application/json; charset=utf-8').send(body); });
await app.listen({ host: '127.0.0.1', port: 0 });
process.stdout.write('listening ' + app.server.address().port + '\\n');
// A clean exit, so that a --cpu-prof profile is written.
process.once('SIGTERM', () => app.close().then(() => process.exit(0)));
`;

export async function startBareServer(
  body: string,
  nodeArgs: string[] = [],
): Promise<{ url: string; process: ChildProcess; stop(): Promise<void> }> {
  const child = spawn(process.execPath, [...nodeArgs, '--input-type=module', '-e', PROGRAM], {
    env: { ...process.env, BARE_BODY: body },
    stdio: ['ignore', 'pipe', 'inherit'],
  });
  const port = await new Promise<number>((resolve, reject) => {
    let out = '';
    child.stdout?.on('data', (chunk: Buffer) => {
      out += chunk.toString();
      const match = /listening (\d+)/.exec(out);
      if (match !== null) resolve(Number(match[1]));
    });
    child.once('exit', (code) => reject(new Error(`the bare server exited (${code})`)));
  });
  return {
    url: `http://127.0.0.1:${port}`,
    process: child,
    stop: () =>
      new Promise((resolve) => {
        child.once('exit', () => resolve());
        child.kill('SIGTERM');
      }),
  };
}
