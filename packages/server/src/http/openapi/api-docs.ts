import { createHash } from 'node:crypto';
// For the type of `swagger()` only: the plugin is loaded when the document is first asked for.
import type {} from '@fastify/swagger';
import type {
  FastifyContextConfig,
  FastifyInstance,
  FastifyReply,
  FastifyRequest,
  FastifySchemaCompiler,
  FastifySerializerCompiler,
  FastifyServerOptions,
  HTTPMethods,
  RouteOptions,
} from 'fastify';
import { jsonSchemaTransform } from 'fastify-type-provider-zod';
import { SERVER_VERSION } from '../../version.ts';
import { API_DESCRIPTION, SECURITY_SCHEMES, TAGS, securityOf, tagOf } from './document-text.ts';

export const DOCS_PATH = '/docs';

/** A route as registered, one per method: what the check that every route is documented reads. */
export interface RegisteredRoute {
  method: string;
  url: string;
  schema: Record<string, unknown> | undefined;
}

declare module 'fastify' {
  interface FastifyInstance {
    /** Every route of the app, with its schema (filled as routes are registered). */
    registeredRoutes: RegisteredRoute[];
  }
}

type CompilersFactory = NonNullable<NonNullable<FastifyServerOptions['schemaController']>['compilersFactory']>;
const passThroughValidator: FastifySchemaCompiler<unknown> = () => (data) => ({ value: data });
const plainSerializer: FastifySerializerCompiler<unknown> = () => (data) => JSON.stringify(data);

/**
 * The route's zod schemas document it; they are also what its handler parses
 * its input with, once the request is authenticated (a signature, a session
 * and CSRF token, or an operator's session), so the order and shape of every
 * refusal stay what clients know. Fastify's own validation step therefore
 * passes the input through, and answers are serialized as Fastify does for a
 * route without a schema (JSON.stringify): documenting a route changes no byte
 * on the wire. Given to `Fastify()`, so that Fastify never loads its own
 * (JSON-schema) compilers either.
 */
export const PASS_THROUGH_SCHEMAS: NonNullable<FastifyServerOptions['schemaController']> = {
  compilersFactory: {
    // Fastify's types name its own compilers' factories; at run time a factory returns any compiler of this shape.
    buildValidator: (() => passThroughValidator) as unknown as CompilersFactory['buildValidator'],
    buildSerializer: (() => plainSerializer) as unknown as CompilersFactory['buildSerializer'],
  },
};

/** A route as it was added (one entry for all its methods), to be added again where the document is made. */
export interface RouteSource {
  method: HTTPMethods | HTTPMethods[];
  url: string;
  schema: Record<string, unknown> | undefined;
  config: FastifyContextConfig | undefined;
}

/**
 * Records every route as it is added, for the API document. Register before
 * any route. The document itself (OpenAPI 3.1 from the routes' zod schemas)
 * is made when it is first asked for (`openViewer`), not at every start:
 * give what this returns to `docsRoutes`.
 */
export function recordRoutes(app: FastifyInstance): RouteSource[] {
  const routes: RegisteredRoute[] = [];
  const sources: RouteSource[] = [];
  app.decorate('registeredRoutes', routes);
  app.addHook('onRoute', (route: RouteOptions) => {
    const schema = route.schema as Record<string, unknown> | undefined;
    const config = route.config as FastifyContextConfig | undefined;
    sources.push({ method: route.method, url: route.url, schema, config });
    for (const method of Array.isArray(route.method) ? route.method : [route.method]) routes.push({ method, url: route.url, schema });
  });
  return sources;
}

/**
 * The API document of `routes`: `@fastify/swagger` with
 * `fastify-type-provider-zod`'s transform, registered in `documenter` (a
 * server of its own) before the routes are added to it again, without their
 * handlers. HEAD routes and hidden ones (pages, files) are left out, as the
 * document of the app itself would leave them out.
 */
async function documentRoutes(documenter: FastifyInstance, routes: readonly RouteSource[]): Promise<void> {
  const { default: swagger } = await import('@fastify/swagger');
  await documenter.register(swagger, {
    openapi: {
      openapi: '3.1.0',
      info: { title: 'rotki premium', version: SERVER_VERSION, description: API_DESCRIPTION },
      tags: TAGS,
      components: { securitySchemes: SECURITY_SCHEMES },
    },
    hideUntagged: false,
    transform: (input) => {
      const transformed = jsonSchemaTransform(input);
      const schema = transformed.schema as Record<string, unknown>;
      if (schema.hide === true) return transformed;
      const config = (input.route as RouteOptions).config as Parameters<typeof securityOf>[1];
      return {
        ...transformed,
        schema: { tags: [tagOf(input.url)], security: securityOf(input.url, config), ...schema },
      };
    },
  });
  await documenter.register(async (scope) => {
    for (const route of routes) {
      if (route.method === 'HEAD' || route.schema?.hide === true) continue;
      const { method, url, schema, config } = route;
      scope.route({ method, url, ...(schema === undefined ? {} : { schema }), ...(config === undefined ? {} : { config }), handler: noAnswer });
    }
  });
}

async function noAnswer(_request: FastifyRequest, reply: FastifyReply): Promise<void> {
  await reply.code(404).send();
}

function sha256Source(text: string): string {
  return `'sha256-${createHash('sha256').update(text).digest('base64')}'`;
}

/**
 * The reference page's policy: its own script and the one inline script that
 * starts it (allowed by hash, computed from the page as sent); the viewer
 * injects its stylesheet at run time, so styles may be inline. Nothing is
 * loaded from elsewhere.
 */
export function docsPagePolicy(html: string): string {
  const inline = [...html.matchAll(/<script(?![^>]*\bsrc=)[^>]*>([\s\S]*?)<\/script>/g)].map((match) => sha256Source(match[1] ?? ''));
  return [
    "default-src 'self'",
    "base-uri 'none'",
    "connect-src 'self'",
    "font-src 'self' data:",
    "form-action 'none'",
    "frame-ancestors 'none'",
    "img-src 'self' data:",
    "object-src 'none'",
    `script-src 'self' ${inline.join(' ')}`.trim(),
    "script-src-attr 'none'",
    "style-src 'self' 'unsafe-inline'",
  ].join('; ');
}

/** Headers of the viewer's answers that are passed on (the outer server sets its own length, date and connection). */
const VIEWER_HEADERS = ['content-type', 'content-disposition', 'location', 'access-control-allow-origin', 'access-control-allow-methods'];

/**
 * The viewer: `@scalar/fastify-api-reference` in a server of its own, made on
 * the first request under `/docs`. The plugin carries its 5 MB browser script
 * in its code, and compiling that at every start delayed the first answer
 * (docs/benchmarks.md, Start-up); it is now compiled only when someone reads
 * the reference. The document it shows is this server's, read at each request.
 */
async function openViewer(routes: readonly RouteSource[]): Promise<FastifyInstance> {
  const [{ default: fastify }, { default: scalar }] = await Promise.all([import('fastify'), import('@scalar/fastify-api-reference')]);
  const viewer = fastify({ logger: false, exposeHeadRoutes: false, schemaController: PASS_THROUGH_SCHEMAS });
  await documentRoutes(viewer, routes);
  await viewer.register(scalar, {
    routePrefix: DOCS_PATH,
    configuration: {
      content: () => viewer.swagger(),
      pageTitle: 'rotki premium API',
      withDefaultFonts: false,
      hideClientButton: true,
      telemetry: false,
    },
  });
  await viewer.ready();
  return viewer;
}

/** The API reference at `/docs` (a viewer served from this server, no CDN) and the document at `/docs/openapi.json`. */
export async function docsRoutes(app: FastifyInstance, options: { routes: readonly RouteSource[] }): Promise<void> {
  app.addHook('onSend', async (_request, reply, payload) => {
    if (typeof payload === 'string' && String(reply.getHeader('content-type') ?? '').startsWith('text/html')) {
      reply.header('content-security-policy', docsPagePolicy(payload));
    }
    reply.header('cache-control', 'no-cache');
    return payload;
  });
  let viewer: Promise<FastifyInstance> | undefined;
  app.addHook('onClose', async () => {
    await (await viewer?.catch(() => undefined))?.close();
  });
  const forward = async (request: FastifyRequest, reply: FastifyReply) => {
    viewer ??= openViewer(options.routes).catch((error: unknown) => {
      viewer = undefined;
      throw error;
    });
    const answer = await (await viewer).inject({ method: 'GET', url: request.url });
    reply.code(answer.statusCode);
    for (const name of VIEWER_HEADERS) {
      const value = answer.headers[name];
      if (value !== undefined) reply.header(name, value);
    }
    // A redirect has no body; text stays text, so the page's policy above is computed from what is sent.
    if (answer.rawPayload.length === 0) return reply.send();
    return reply.send(String(answer.headers['content-type'] ?? '').startsWith('text/') ? answer.body : answer.rawPayload);
  };
  app.get(DOCS_PATH, { schema: { hide: true } }, forward);
  app.get(`${DOCS_PATH}/*`, { schema: { hide: true } }, forward);
}
