import type { IncomingMessage, ServerResponse } from 'node:http';
import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';
import helmet from 'helmet';

/**
 * The one inline style the pages use: the design system's colour-mode switch
 * (a vueuse helper) adds, for one frame, a fixed `<style>` that pauses CSS
 * transitions. Allowed by its hash, so no other inline style is.
 */
const TRANSITION_PAUSE_STYLE_HASH = "'sha256-skqujXORqzxt1aE0NNXxujEanPTX6raoqSscTV/Ww/Y='";

/**
 * The website's built pages load only their own scripts, styles and fonts (no
 * inline script), so the policy allows nothing else. `upgrade-insecure-requests`
 * is left out: a server reached over plain HTTP (a local install) would
 * otherwise break its own pages.
 */
const HELMET_OPTIONS = {
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
  referrerPolicy: { policy: 'same-origin' as const },
};

/**
 * The headers helmet sets for these options, computed once: they depend on
 * nothing in the request (no nonce, no per-route policy), and helmet would
 * otherwise rebuild the policy string on every response. Helmet stays the one
 * definition of what each option means.
 */
export function securityHeaderValues(): { set: Record<string, string>; removed: string[] } {
  const set: Record<string, string> = {};
  const removed: string[] = [];
  const response = {
    setHeader: (name: string, value: string | number | readonly string[]) => {
      set[name.toLowerCase()] = String(value);
    },
    removeHeader: (name: string) => {
      removed.push(name.toLowerCase());
    },
  };
  let failure: unknown = null;
  helmet(HELMET_OPTIONS)({} as IncomingMessage, response as unknown as ServerResponse, (error?: unknown) => {
    failure = error ?? null;
  });
  if (failure !== null) throw failure instanceof Error ? failure : new Error(String(failure));
  return { set, removed };
}

/** Security headers on every response, set from the headers computed at start. */
async function securityHeadersPlugin(app: FastifyInstance): Promise<void> {
  const { set, removed } = securityHeaderValues();
  app.addHook('onRequest', (_request, reply, done) => {
    reply.headers(set);
    for (const name of removed) reply.removeHeader(name);
    done();
  });
}

export default fp(securityHeadersPlugin, { name: 'security-headers', fastify: '5.x' });
