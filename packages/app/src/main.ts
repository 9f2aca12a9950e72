import { isServing, runCli } from './cli.ts';

/** The `rotki-premium-app` program: runs one command and exits, except when it serves the app. */
const code = await runCli(process.argv.slice(2));
if (!isServing() || code !== 0) process.exit(code);
