#!/usr/bin/env node
// Runs the TypeScript sources directly (no build step): tsx registers the loader.
import { register } from 'tsx/esm/api';

register();
const { runCli } = await import('../src/cli.ts');
const code = await runCli(process.argv.slice(2));
// `start` keeps running; every other command ends here.
if (process.argv[2] !== 'start' || code !== 0) process.exit(code);
