import helmet from '@fastify/helmet';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * The one inline style the pages use: the design system's colour-mode switch
 * (a vueuse helper) adds, for one frame, a fixed `<style>` that pauses CSS
 * transitions. Allowed by its hash, so no other inline style is.
 */
const TRANSITION_PAUSE_STYLE_HASH = "'sha256-skqujXORqzxt1aE0NNXxujEanPTX6raoqSscTV/Ww/Y='";

/**
 * Security headers on every response. The website's built pages load only
 * their own scripts, styles and fonts (no inline script), so the policy allows
 * nothing else. `upgrade-insecure-requests` is left out: a server reached over
 * plain HTTP (a local install) would otherwise break its own pages.
 */
async function securityHeadersPlugin(app: FastifyInstance): Promise<void> {
  await app.register(helmet, {
    contentSecurityPolicy: {
      useDefaults: false,
      directives: {
        'default-src': ["'self'"],
        'base-uri': ["'self'"],
        'connect-src': ["'self'"],
        'font-src': ["'self'", 'data:'],
        'form-action': ["'self'"],
        'frame-ancestors': ["'none'"],
        'img-src': ["'self'", 'data:'],
        'object-src': ["'none'"],
        'script-src': ["'self'"],
        'script-src-attr': ["'none'"],
        'style-src': ["'self'", TRANSITION_PAUSE_STYLE_HASH],
      },
    },
    referrerPolicy: { policy: 'same-origin' },
  });
}

export default fp(securityHeadersPlugin, { name: 'security-headers', fastify: '5.x' });
