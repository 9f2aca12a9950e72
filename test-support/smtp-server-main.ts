import { mkdirSync, renameSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { parseArgs } from 'node:util';
import { SMTPServer } from 'smtp-server';

/**
 * The tests' SMTP server, run as its own process by `startSmtpServer`: the
 * `smtp-server` package on 127.0.0.1 with a free port, requiring the given
 * login, writing each accepted message to `<dir>/<n>.eml`. `--fail-first N`
 * answers the first N messages with a temporary failure (451), as a relay
 * under load does.
 */
const { values } = parseArgs({
  options: {
    dir: { type: 'string' },
    user: { type: 'string' },
    pass: { type: 'string' },
    'fail-first': { type: 'string', default: '0' },
  },
});
const dir = values.dir ?? '';
if (dir === '') throw new Error('--dir is required');
mkdirSync(dir, { recursive: true });
let failuresLeft = Number(values['fail-first']);
let received = 0;

const server = new SMTPServer({
  secure: false,
  // Plain SMTP on the loopback: no certificate to manage; the login still has to be right.
  disabledCommands: ['STARTTLS'],
  allowInsecureAuth: true,
  authOptional: values.user === undefined,
  logger: false,
  onAuth(auth, _session, callback) {
    if (auth.username === values.user && auth.password === values.pass) callback(null, { user: auth.username });
    else callback(new Error('Invalid username or password'));
  },
  onData(stream, _session, callback) {
    const chunks: Buffer[] = [];
    stream.on('data', (chunk: Buffer) => chunks.push(chunk));
    stream.on('end', () => {
      if (failuresLeft > 0) {
        failuresLeft -= 1;
        const error = new Error('Try again later') as Error & { responseCode: number };
        error.responseCode = 451;
        callback(error);
        return;
      }
      received += 1;
      const file = join(dir, `${String(received).padStart(6, '0')}.eml`);
      writeFileSync(`${file}.partial`, Buffer.concat(chunks));
      renameSync(`${file}.partial`, file);
      callback(null);
    });
  },
});

server.listen(0, '127.0.0.1', () => {
  const address = server.server.address();
  const port = typeof address === 'object' && address !== null ? address.port : 0;
  process.stdout.write(`listening on 127.0.0.1:${port}\n`);
});
process.on('SIGTERM', () => server.close(() => process.exit(0)));
