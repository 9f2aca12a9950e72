#!/usr/bin/env node
// The compiled build when it is up to date (`npm run build:cli`), else the TypeScript sources.
import { launch } from '../../../scripts/launch.js';

await launch(import.meta.url, { build: '../dist/cli/main.js', sources: '../src/main.ts' });
