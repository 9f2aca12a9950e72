import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

/**
 * The colour-mode switch of the UI library adds, for one frame, a fixed
 * `<style>` that pauses CSS transitions; allowed by its hash (as on the website).
 */
const TRANSITION_PAUSE_STYLE_HASH = "'sha256-skqujXORqzxt1aE0NNXxujEanPTX6raoqSscTV/Ww/Y='";

/** As strict as the website's: the built UI loads only its own scripts, styles, fonts and images. */
export const APP_CONTENT_SECURITY_POLICY = [
  "default-src 'self'",
  "base-uri 'self'",
  "connect-src 'self'",
  "font-src 'self' data:",
  "form-action 'self'",
  "frame-ancestors 'none'",
  "img-src 'self' data:",
  "object-src 'none'",
  "script-src 'self'",
  "script-src-attr 'none'",
  `style-src 'self' ${TRANSITION_PAUSE_STYLE_HASH}`,
].join('; ');

/**
 * Every response of the app, API and UI alike, refuses to be framed by another
 * page (clickjacking Log out, Delete keys, Remove device or a sync download)
 * and carries the content policy.
 */
async function securityHeaders(app: FastifyInstance): Promise<void> {
  app.addHook('onSend', async (_request, reply) => {
    reply.header('content-security-policy', APP_CONTENT_SECURITY_POLICY);
    reply.header('x-frame-options', 'DENY');
    reply.header('x-content-type-options', 'nosniff');
    reply.header('referrer-policy', 'same-origin');
    reply.header('cross-origin-opener-policy', 'same-origin');
    reply.header('cross-origin-resource-policy', 'same-origin');
  });
}

export default fp(securityHeaders, { name: 'security-headers' });
