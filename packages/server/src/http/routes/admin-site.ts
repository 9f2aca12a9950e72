import { existsSync } from 'node:fs';
import { join } from 'node:path';
import type { FastifyInstance } from 'fastify';
import { ADMIN_PAGES } from '@rotki-premium/protocol/admin-api';
import { PAGE, registerBuiltSite } from './built-site.ts';

export interface AdminSiteOptions {
  /** The built console (packages/admin/dist). */
  adminDir: string;
}

const NOT_BUILT = 'The operator console is not built. Run "npm run build" in the repository and restart the server.';

/**
 * The console's own Content-Security-Policy, stricter than the website's: its
 * own scripts, styles and fonts only, images from itself and data: URLs (the
 * authenticator QR code), no framing, and no referrer leaves it.
 */
export const ADMIN_CSP = [
  "default-src 'self'",
  "base-uri 'none'",
  "connect-src 'self'",
  "font-src 'self'",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "img-src 'self' data:",
  "object-src 'none'",
  "script-src 'self'",
  "script-src-attr 'none'",
  // The design system's colour-mode switch adds this one fixed <style> for a frame (see security-headers.ts).
  "style-src 'self' 'sha256-skqujXORqzxt1aE0NNXxujEanPTX6raoqSscTV/Ww/Y='",
].join('; ');

/** The operator console's single page under /admin: its built files, and index.html for each of its pages. */
export async function adminSiteRoutes(app: FastifyInstance, options: AdminSiteOptions): Promise<void> {
  app.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', ADMIN_CSP).header('referrer-policy', 'no-referrer').header('x-robots-tag', 'noindex');
  });
  const pages = Object.values(ADMIN_PAGES);
  if (!existsSync(join(options.adminDir, 'index.html'))) {
    app.log.warn({ adminDir: options.adminDir }, 'operator console not built; its pages answer 503');
    for (const page of pages) app.get(page, { schema: PAGE }, async (_request, reply) => reply.code(503).type('text/plain; charset=utf-8').send(NOT_BUILT));
    return;
  }
  await registerBuiltSite(app, { dir: options.adminDir, prefix: '/admin/' });
  for (const page of pages) {
    app.get(page, { schema: PAGE }, async (_request, reply) => reply.header('cache-control', 'no-cache').sendFile('index.html', options.adminDir));
  }
}
