import { existsSync } from 'node:fs';
import { readFile } from 'node:fs/promises';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { BILLING_SITE_PATHS } from '@rotki-premium/protocol/billing-api';
import { SITE_PATHS } from '@rotki-premium/protocol/web-api';
import { PAGE, registerBuiltSite } from './built-site.ts';

export interface WebsiteOptions {
  /** The built website (packages/web/dist). */
  webDir: string;
}

/** Paths that answer as APIs: an unknown one stays a JSON 404, never the website's page. */
const API_PREFIXES = ['/api/', '/nest/', '/webapi', '/admin', '/health', '/metrics', '/webhooks'];

function isApiPath(path: string): boolean {
  return API_PREFIXES.some((prefix) => path === prefix.replace(/\/$/, '') || path.startsWith(prefix));
}

const NOT_BUILT =
  'The rotki premium website is not built. Run "npm run build" in the repository and restart the server.';

/**
 * The subscriber website: built files under their own paths (hashed assets
 * cached for a year, the rest revalidated) and the single page's index.html
 * for every page path, where the client-side router takes over. Any other
 * address that is not an API's answers 404 with the same page (which shows
 * "Page not found"), and a page path with a trailing slash is redirected.
 */
export async function websiteRoutes(app: FastifyInstance, options: WebsiteOptions): Promise<void> {
  const pagePaths = [...Object.values(SITE_PATHS), BILLING_SITE_PATHS.checkout, `${BILLING_SITE_PATHS.order}/:reference`];
  if (!existsSync(join(options.webDir, 'index.html'))) {
    app.log.warn({ webDir: options.webDir }, 'website not built; its pages answer 503');
    for (const path of pagePaths) {
      app.get(path, { schema: PAGE }, async (_request, reply) => reply.code(503).type('text/plain; charset=utf-8').send(NOT_BUILT));
    }
    return;
  }

  await registerBuiltSite(app, { dir: options.webDir, prefix: '/' });

  for (const path of pagePaths) {
    app.get(path, { schema: PAGE }, async (_request, reply) => reply.header('cache-control', 'no-cache').sendFile('index.html', options.webDir));
  }

  // Addresses no route knows: the site's own "Page not found" page, or a redirect without the trailing slash.
  const indexFile = join(options.webDir, 'index.html');
  app.pageNotFound.handler = (request, reply) => {
    const [path = '/', query] = request.url.split(/\?(.*)/s, 2);
    if (isApiPath(path)) return null;
    if (path.length > 1 && path.endsWith('/')) {
      // Leading slashes collapsed too: `//host/` must not become a redirect to another site.
      const bare = `/${path.replace(/^\/+|\/+$/g, '')}`;
      return Promise.resolve(reply.redirect(query === undefined || query === '' ? bare : `${bare}?${query}`, 301));
    }
    return readFile(indexFile).then((html) => reply.code(404).header('cache-control', 'no-cache').type('text/html; charset=utf-8').send(html));
  };
}
