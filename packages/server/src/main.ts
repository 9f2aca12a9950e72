import { runCli } from './cli.ts';

/** The `rotki-premium` program: runs one command and exits, except `start`, which keeps serving. */
const code = await runCli(process.argv.slice(2));
if (process.argv[2] !== 'start' || code !== 0) process.exit(code);
