import { existsSync, readdirSync } from 'node:fs';
import { join, resolve, sep } from 'node:path';
import fastifyStatic from '@fastify/static';
import type { FastifyInstance } from 'fastify';

/** Pages and files, not API: left out of the API document. */
export const PAGE = { hide: true };

/** Vite names every file under assets/ by a hash of its content: it never changes. */
const HASHED = 'public, max-age=31536000, immutable';

export interface BuiltSite {
  /** The build folder (Vite's output: index.html and the like, and assets/). */
  dir: string;
  /** Where it is served, ending in `/`. */
  prefix: string;
}

/** The files under `dir` outside `assets/` (Vite copies `public/` there, folders included), as paths relative to `dir` with `/`. */
function filesBesideAssets(dir: string, under = ''): string[] {
  const files: string[] = [];
  for (const entry of readdirSync(join(dir, under), { withFileTypes: true })) {
    const path = under === '' ? entry.name : `${under}/${entry.name}`;
    if (entry.isFile()) files.push(path);
    else if (entry.isDirectory() && path !== 'assets') files.push(...filesBesideAssets(dir, path));
  }
  return files;
}

/**
 * Serves a built single-page site: the files under `assets/`, cached for a
 * year, through one route (an unknown name there falls to the not-found
 * handler), and every other file (index.html, what `public/` held) through a
 * route of its own, revalidated on every use. Pages send `index.html` with
 * `reply.sendFile`. One route for the assets rather than one per file: a
 * start registers a handful of routes instead of two per built file.
 */
export async function registerBuiltSite(app: FastifyInstance, site: BuiltSite): Promise<void> {
  const dir = resolve(site.dir);
  const assets = join(dir, 'assets');
  await app.register(fastifyStatic, {
    root: existsSync(assets) ? assets : dir,
    prefix: `${site.prefix}assets/`,
    serve: existsSync(assets),
    index: false,
    cacheControl: false,
    // Every file this plugin sends, the routes' below included.
    setHeaders(reply, path) {
      reply.header('cache-control', path.startsWith(`${assets}${sep}`) ? HASHED : 'no-cache');
    },
  });
  for (const file of filesBesideAssets(dir)) {
    app.get(`${site.prefix}${file}`, { schema: PAGE }, async (_request, reply) => reply.sendFile(file, dir));
  }
}
