import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import SwaggerParser from '@apidevtools/swagger-parser';
import type { FastifyInstance } from 'fastify';
import Stripe from 'stripe';
import { afterAll, beforeAll, describe, expect, it } from 'vitest';
import { buildConfig } from '../src/config/config.ts';
import { stripeGateway } from '../src/domain/payments/stripe/client.ts';
import { buildApp } from '../src/http/app.ts';
import { DOCS_PATH, docsPagePolicy, type RegisteredRoute } from '../src/http/openapi/api-docs.ts';
import { createLogger } from '../src/logger.ts';
import { createTestContext, type TestContext } from './support/test-context.ts';

/** Where API routes live: none of them may be left out of the document. */
const API_PREFIXES = ['/api/', '/nest/', '/webapi/', '/admin/api/', '/health', '/metrics', '/webhooks/'];

interface OpenApiDocument {
  openapi: string;
  paths: Record<string, Record<string, { summary?: string; tags?: string[]; security?: unknown[]; responses: Record<string, unknown> }>>;
  components: { securitySchemes: Record<string, unknown> };
}

/** Why a route fails the rule "every route has a schema", or null when it passes. */
function missingSchema(route: RegisteredRoute): string | null {
  const schema = route.schema;
  if (schema === undefined) return 'no schema';
  const isApi = API_PREFIXES.some((prefix) => route.url.startsWith(prefix));
  if (schema.hide === true) return isApi ? 'an API route hidden from the document' : null;
  if (typeof schema.summary !== 'string' || schema.summary === '') return 'no summary';
  const response = schema.response as Record<string, unknown> | undefined;
  if (response === undefined || !Object.keys(response).some((status) => /^\d\d\d$/.test(status))) return 'no answer documented';
  if (route.url.includes(':') && schema.params === undefined) return 'path parameters without a params schema';
  return null;
}

function toOpenApiPath(url: string): string {
  return url.replace(/:([A-Za-z0-9_]+)/g, '{$1}');
}

describe('the API document generated from the schemas', () => {
  let tc: TestContext;
  let dir: string;
  let app: FastifyInstance;
  let document: OpenApiDocument;

  beforeAll(async () => {
    tc = await createTestContext(Date.now());
    dir = mkdtempSync(join(tmpdir(), 'rotki-premium-openapi-'));
    // Every optional area on: Stripe's webhook and /metrics on the public port.
    const config = buildConfig({ dataDir: join(dir, 'data'), webDir: join(dir, 'web'), adminDir: join(dir, 'admin') });
    const client = new Stripe('sk_test_documentation', { telemetry: false });
    const stripe = { client, gateway: stripeGateway(client, async () => null), webhookSecret: 'whsec_documentation' };
    app = await buildApp({
      ctx: tc.ctx,
      config,
      logger: createLogger('silent'),
      providers: { gateways: { stripe: null, evm: null }, stripe },
      metricsToken: 'a-metrics-token',
    });
    await app.ready();
    const response = await app.inject({ method: 'GET', url: `${DOCS_PATH}/openapi.json` });
    expect(response.statusCode).toBe(200);
    document = response.json<OpenApiDocument>();
  });
  afterAll(async () => {
    await app?.close();
    await tc?.cleanup();
    rmSync(dir, { recursive: true, force: true });
  });

  it('is a valid OpenAPI 3.1 document', async () => {
    expect(document.openapi).toBe('3.1.0');
    await expect(SwaggerParser.validate(structuredClone(document) as never)).resolves.toBeDefined();
  });

  it('has a schema for every route, and every API route in the document', () => {
    const failures = app.registeredRoutes
      .filter((route) => route.method !== 'HEAD')
      .map((route) => ({ route: `${route.method} ${route.url}`, why: missingSchema(route) }))
      .filter((entry) => entry.why !== null);
    expect(failures).toEqual([]);

    const apiRoutes = app.registeredRoutes.filter((route) => route.method !== 'HEAD' && route.schema?.hide !== true);
    expect(apiRoutes.length).toBeGreaterThan(50);
    for (const route of apiRoutes) {
      const operation = document.paths[toOpenApiPath(route.url)]?.[route.method.toLowerCase()];
      expect(operation, `${route.method} ${route.url}`).toBeDefined();
      expect(operation?.summary).toBe(route.schema?.summary);
    }
  });

  it('refuses, by the same rule, a route without a schema, an API route hidden, or one whose parameters are undocumented', () => {
    expect(missingSchema({ method: 'GET', url: '/webapi/new/', schema: undefined })).toBe('no schema');
    expect(missingSchema({ method: 'GET', url: '/nest/1/new', schema: { hide: true } })).toBe('an API route hidden from the document');
    expect(missingSchema({ method: 'GET', url: '/signup', schema: { hide: true } })).toBeNull();
    expect(missingSchema({ method: 'GET', url: '/admin/api/x/:id', schema: { summary: 'x', response: { 200: {} } } })).toBe(
      'path parameters without a params schema',
    );
    expect(missingSchema({ method: 'GET', url: '/health/x', schema: { summary: 'x' } })).toBe('no answer documented');
  });

  it('names how each area authenticates', () => {
    expect(Object.keys(document.components.securitySchemes).sort()).toEqual(['apiKey', 'apiSign', 'consoleSession', 'metricsToken', 'websiteSession']);
    expect(document.paths['/nest/1/devices']?.put?.security).toEqual([{ apiKey: [], apiSign: [] }]);
    expect(document.paths['/nest/1/limits/unlocks']?.get?.security).toEqual([]);
    expect(document.paths['/webapi/account/']?.get?.security).toEqual([{ websiteSession: [] }]);
    expect(document.paths['/admin/api/tiers/{id}']?.put?.security).toEqual([{ consoleSession: [] }]);
    expect(document.paths['/nest/1/devices']?.put?.tags).toEqual(['Premium API']);
    // The device limit's 422 body is documented from the same schema the route answers with.
    expect(Object.keys(document.paths['/nest/1/devices']?.put?.responses ?? {})).toEqual(expect.arrayContaining(['201', '409', '422', '4XX']));
  });

  it('is served at /docs with the viewer from this server and a policy that allows only its own inline script', async () => {
    const redirect = await app.inject({ method: 'GET', url: DOCS_PATH });
    expect(redirect.statusCode).toBe(301);
    expect(redirect.headers.location).toBe(`${DOCS_PATH}/`);
    expect(redirect.headers['content-type']).toBeUndefined();
    const page = await app.inject({ method: 'GET', url: `${DOCS_PATH}/` });
    expect(page.statusCode).toBe(200);
    expect(page.headers['content-type']).toContain('text/html');
    expect(page.body).not.toMatch(/https?:\/\/(cdn|fonts)\./);
    const policy = String(page.headers['content-security-policy']);
    expect(policy).toBe(docsPagePolicy(page.body));
    expect(policy).toMatch(/script-src 'self' 'sha256-[A-Za-z0-9+/]+=*'/);
    expect(policy).not.toContain("script-src 'self' 'unsafe-inline'");
    const script = await app.inject({ method: 'GET', url: `${DOCS_PATH}/js/scalar.js` });
    expect(script.statusCode).toBe(200);
    expect(script.headers['content-type']).toContain('javascript');
    expect(script.body.length).toBeGreaterThan(100_000);
    const yaml = await app.inject({ method: 'GET', url: `${DOCS_PATH}/openapi.yaml` });
    expect(yaml.statusCode).toBe(200);
    expect(yaml.body).toContain("openapi: 3.1.0");
    expect((await app.inject({ method: 'GET', url: `${DOCS_PATH}/no-such-file` })).statusCode).toBe(404);
  });
});
