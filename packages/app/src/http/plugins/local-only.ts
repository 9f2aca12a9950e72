import type { FastifyInstance } from 'fastify';
import fp from 'fastify-plugin';

const LOOPBACK_HOSTS = new Set(['127.0.0.1', 'localhost', '[::1]']);

function hostnameOf(host: string): string {
  return host.startsWith('[') ? host.slice(0, host.indexOf(']') + 1) : (host.split(':')[0] ?? '');
}

/**
 * The local API holds the user's data and premium keys. Besides listening on
 * 127.0.0.1 only, it refuses requests that a web page elsewhere could make a
 * browser send: a Host that is not loopback (DNS rebinding), an Origin that is
 * not this app, and bodies in the form types a page may post without asking.
 */
async function localOnly(app: FastifyInstance): Promise<void> {
  app.removeContentTypeParser('text/plain');
  app.addHook('onRequest', async (request, reply) => {
    const host = request.headers.host ?? '';
    if (!LOOPBACK_HOSTS.has(hostnameOf(host))) {
      return reply.code(403).send({ result: null, message: 'This app answers on 127.0.0.1 only', error: 'forbidden' });
    }
    const origin = request.headers.origin;
    if (origin !== undefined && origin !== 'null') {
      let originHost = '';
      try {
        originHost = new URL(origin).host;
      } catch {
        originHost = '';
      }
      if (originHost !== host) {
        return reply.code(403).send({ result: null, message: 'Requests from other sites are not accepted', error: 'forbidden' });
      }
    } else if (origin === 'null') {
      return reply.code(403).send({ result: null, message: 'Requests from other sites are not accepted', error: 'forbidden' });
    }
    return undefined;
  });
}

export default fp(localOnly, { name: 'local-only' });
