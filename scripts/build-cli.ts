/**
 * Compiles the command-line programs to JavaScript, so that production runs
 * without a TypeScript loader: `rotki-premium` into packages/server/dist and
 * `rotki-premium-app` into packages/app/dist/cli. Each is one ESM bundle of our
 * workspace code and its dependencies, split at every dynamic `import()` so
 * that what a command does not use is not loaded (the HTTP stack for admin
 * commands, the PostgreSQL driver on SQLite). Packages with native code, and
 * the S3 client (large, loaded only by the S3 store), stay in node_modules.
 *
 *   npx tsx scripts/build-cli.ts              build both
 *   npx tsx scripts/build-cli.ts --if-stale   only those whose build no longer matches the sources
 *   npx tsx scripts/build-cli.ts --out DIR    build into DIR/<program> instead (tests)
 *
 * Each build records its inputs and their modification times in
 * build-info.json; the bins (scripts/launch.js) run a build only while it
 * matches, and the TypeScript sources otherwise.
 */
import { existsSync, readFileSync, renameSync, rmSync, statSync, writeFileSync } from 'node:fs';
import { dirname, join, relative, resolve, sep } from 'node:path';
import { build, type Plugin } from 'esbuild';
import { BUILD_INFO, isBuildFresh, type BuildInfo } from './launch.js';

const ROOT = resolve(import.meta.dirname, '..');

export interface CliProgram {
  name: string;
  /** Relative to the repository. */
  entry: string;
  outDir: string;
}

export const CLI_PROGRAMS: readonly CliProgram[] = [
  { name: 'rotki-premium', entry: 'packages/server/src/main.ts', outDir: 'packages/server/dist' },
  { name: 'rotki-premium-app', entry: 'packages/app/src/main.ts', outDir: 'packages/app/dist/cli' },
];

/**
 * Left to Node.js's resolver: native modules, the S3 client, and pdfkit, whose
 * built-in fonts are found through its package's `#standard-fonts/…` imports,
 * which a bundle cannot resolve (an invoice would fail to render). Also what
 * Fastify requires only when it is used, and we do not use at start: its
 * JSON-schema compilers (every app is given its own, `PASS_THROUGH_SCHEMAS`)
 * and `inject`'s request builder. Bundled, these 1.2 MB would be read and
 * compiled at every start for nothing.
 */
const EXTERNAL = [
  'better-sqlite3',
  'pg-native',
  '@aws-sdk/*',
  'pdfkit',
  '@fastify/ajv-compiler',
  '@fastify/fast-json-stringify-compiler',
  'light-my-request',
];

/** Files whose change makes a build stale besides the bundled sources: dependency versions and this script. */
const ALSO_DEPENDS_ON = ['package-lock.json', 'scripts/build-cli.ts'];

/**
 * Bundled CommonJS dependencies call `require` for Node.js built-ins, and
 * rewritten `import.meta` expressions (below) need two helpers.
 */
const BANNER = [
  "import { createRequire as __cliCreateRequire } from 'node:module';",
  "import { dirname as __cliDirname } from 'node:path';",
  "import { fileURLToPath as __cliFileURLToPath } from 'node:url';",
  'const require = __cliCreateRequire(import.meta.url);',
].join('\n');

const IMPORT_META = /\bimport\.meta\.(url|dirname|filename)\b/g;

/**
 * zod re-exports every one of its ~50 message locales (`z.locales.*`), 0.37 MB
 * of JavaScript that each command would parse at start. We use none but
 * English, which zod's schemas import by its own path and which stays: the
 * locale index is replaced by one that offers English only.
 */
function englishOnlyZod(): Plugin {
  return {
    name: 'english-only-zod',
    setup(builder) {
      builder.onResolve({ filter: /^\.\.\/locales\/index\.js$/ }, (args) => {
        if (!/[\\/]node_modules[\\/]zod[\\/]v4[\\/](?:classic|core)[\\/]/.test(args.importer)) return undefined;
        return { path: join(dirname(args.importer), '../locales/en.js'), namespace: 'zod-locales' };
      });
      builder.onLoad({ filter: /.*/, namespace: 'zod-locales' }, (args) => ({
        contents: `export { default as en } from ${JSON.stringify(args.path)};\n`,
        loader: 'js',
        resolveDir: dirname(args.path),
      }));
    },
  };
}

/**
 * `@fastify/static` requires `glob` (0.16 MB) as it loads, for one option we
 * do not use (`wildcard: false`, which lists a folder at start). It gets a
 * function that loads the real `glob` from node_modules on its first call.
 */
function globOnFirstUse(): Plugin {
  return {
    name: 'glob-on-first-use',
    setup(builder) {
      builder.onResolve({ filter: /^glob$/ }, (args) => {
        if (args.namespace === 'glob-on-first-use') return { path: 'glob', external: true };
        if (!/[\\/]node_modules[\\/]@fastify[\\/]static[\\/]/.test(args.importer)) return undefined;
        return { path: '@fastify/static/glob', namespace: 'glob-on-first-use' };
      });
      builder.onLoad({ filter: /.*/, namespace: 'glob-on-first-use' }, () => ({
        contents: "exports.glob = (...args) => require('glob').glob(...args);\n",
        loader: 'js',
      }));
    },
  };
}

/**
 * In a bundle every module shares the bundle file's `import.meta`. Our sources
 * use it to find files beside them (the built website, the app's UI), so each
 * use in a workspace source file is rewritten to mean that source file, found
 * from the bundle's own location: the build stays correct for any code that
 * relies on where its source lives, and moves with the checkout.
 */
function sourceLocation(finalOutDir: string): Plugin {
  return {
    name: 'source-location',
    setup(builder) {
      builder.onLoad({ filter: /[\\/]packages[\\/][^\\/]+[\\/]src[\\/].*\.ts$/ }, (args) => {
        const text = readFileSync(args.path, 'utf8');
        if (text.search(IMPORT_META) === -1) return undefined;
        const fromBundle = relative(finalOutDir, args.path).split(sep).join('/');
        const url = `new URL(${JSON.stringify(fromBundle)}, import.meta.url)`;
        const contents = text.replace(IMPORT_META, (_match, property: string) => {
          if (property === 'url') return `${url}.href`;
          if (property === 'filename') return `__cliFileURLToPath(${url})`;
          return `__cliDirname(__cliFileURLToPath(${url}))`;
        });
        return { contents, loader: 'ts' };
      });
    },
  };
}

/** Builds one program into `outDir` (absolute), replacing what was there in one rename. */
export async function buildCliProgram(program: CliProgram, outDir: string): Promise<void> {
  // A sibling, so that paths relative to the bundle are the same before and after the rename.
  const staging = `${outDir}.tmp-${process.pid}`;
  rmSync(staging, { recursive: true, force: true });
  const result = await build({
    absWorkingDir: ROOT,
    entryPoints: { main: join(ROOT, program.entry) },
    outdir: staging,
    bundle: true,
    splitting: true,
    format: 'esm',
    platform: 'node',
    target: 'node20.19',
    external: EXTERNAL,
    banner: { js: BANNER },
    plugins: [sourceLocation(outDir), englishOnlyZod(), globOnFirstUse()],
    metafile: true,
    logLevel: 'warning',
  });
  const inputs: BuildInfo['inputs'] = {};
  // Our sources only: not dependencies (their versions are in the lock file), nor modules made by a plugin (`namespace:path`).
  const ours = (file: string) => !file.includes('node_modules') && !/^[\w-]+:/.test(file);
  const files = [...Object.keys(result.metafile.inputs).filter(ours), ...ALSO_DEPENDS_ON];
  for (const file of files) {
    const absolute = resolve(ROOT, file);
    inputs[relative(outDir, absolute).split(sep).join('/')] = statSync(absolute).mtimeMs;
  }
  writeFileSync(join(staging, BUILD_INFO), `${JSON.stringify({ inputs } satisfies BuildInfo, null, 1)}\n`);
  const previous = `${outDir}.old-${process.pid}`;
  if (existsSync(outDir)) renameSync(outDir, previous);
  renameSync(staging, outDir);
  rmSync(previous, { recursive: true, force: true });
}

async function main(argv: string[]): Promise<void> {
  const ifStale = argv.includes('--if-stale');
  const outIndex = argv.indexOf('--out');
  const outRoot = outIndex === -1 ? null : resolve(argv[outIndex + 1] ?? '');
  for (const program of CLI_PROGRAMS) {
    const outDir = outRoot === null ? join(ROOT, program.outDir) : join(outRoot, program.name);
    if (ifStale && isBuildFresh(outDir)) continue;
    const started = performance.now();
    await buildCliProgram(program, outDir);
    const took = Math.round(performance.now() - started);
    process.stdout.write(`built ${program.name} into ${relative(process.cwd(), outDir) || '.'} (${took} ms)\n`);
  }
}

if (process.argv[1] !== undefined && resolve(process.argv[1]) === resolve(import.meta.filename)) {
  await main(process.argv.slice(2)).catch((error: unknown) => {
    process.stderr.write(`${error instanceof Error ? error.message : String(error)}\n`);
    process.exit(1);
  });
}

