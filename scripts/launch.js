// Starts a command-line program of this repository (`rotki-premium`, `rotki-premium-app`):
// its compiled build when the build matches the sources, else the TypeScript
// sources through the tsx loader. Plain JavaScript: it runs before any loader.
import { readFileSync, statSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath, pathToFileURL } from 'node:url';

/** The file, beside a build's entry, that lists the files the build was made from. */
export const BUILD_INFO = 'build-info.json';

/**
 * True when the build in `buildDir` was made from the files as they are now:
 * each input it recorded (paths relative to `buildDir`) still exists with the
 * modification time it had then. About a hundred `stat` calls: well under a
 * millisecond, against the tenths of a second a stale build could cost in
 * confusion (old code on a newer database).
 */
export function isBuildFresh(buildDir) {
  let inputs;
  try {
    inputs = JSON.parse(readFileSync(join(buildDir, BUILD_INFO), 'utf8')).inputs;
  } catch {
    return false;
  }
  if (typeof inputs !== 'object' || inputs === null) return false;
  for (const [file, mtimeMs] of Object.entries(inputs)) {
    try {
      if (statSync(resolve(buildDir, file)).mtimeMs !== mtimeMs) return false;
    } catch {
      return false;
    }
  }
  return true;
}

/**
 * Runs the program whose bin file is `binUrl`: `build` (its compiled entry)
 * when that build is fresh, else `sources` (its TypeScript entry) with tsx
 * registered. Both paths are relative to the bin file.
 */
export async function launch(binUrl, { build, sources }) {
  const binDir = dirname(fileURLToPath(binUrl));
  const entry = resolve(binDir, build);
  if (isBuildFresh(dirname(entry))) {
    await import(pathToFileURL(entry).href);
    return;
  }
  if (process.stderr.isTTY === true) {
    process.stderr.write('(running the TypeScript sources: `npm run build:cli` makes commands start faster)\n');
  }
  const { register } = await import('tsx/esm/api');
  register();
  await import(pathToFileURL(resolve(binDir, sources)).href);
}
