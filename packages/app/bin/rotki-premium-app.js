#!/usr/bin/env node
// Runs the TypeScript sources directly (no build step): tsx registers the loader.
import { register } from 'tsx/esm/api';

register();
const { runCli, isServing } = await import('../src/cli.ts');
const code = await runCli(process.argv.slice(2));
// The app server keeps running; every other command ends here.
if (!isServing() || code !== 0) process.exit(code);
