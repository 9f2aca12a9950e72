import { ADMIN_API, ADMIN_CSRF_HEADER } from '@rotki-premium/protocol/admin-api';
import { API_KEY_HEADER, API_SIGN_HEADER } from '@rotki-premium/protocol';
import { CSRF_HEADER } from '@rotki-premium/protocol/web-api';

/** What the OpenAPI document says besides the schemas: the areas, how each one authenticates, and the signing scheme. */

export const API_DESCRIPTION = `
The HTTP interfaces of a rotki premium server, generated from the schemas the
server parses its input with.

- **Premium API** (\`/api/1\`, \`/nest/1\`): what the rotki desktop app calls.
  Requests are signed with the subscriber's API key and secret (below). Errors
  are \`{"error": "<message shown to the user>", "code"?: "<reason>"}\`.
- **Website API** (\`/webapi\`): the subscriber website. A session cookie
  (\`rp_session\`) from login or sign-up, and the session's CSRF token in
  \`${CSRF_HEADER}\` on every change. Errors are \`{"error": {"code", "message", "field"?}}\`.
- **Console API** (\`${ADMIN_API}\`): the operator console. Its own cookie
  (\`rp_console\`, after the password and the authenticator code), the CSRF token
  in \`${ADMIN_CSRF_HEADER}\` on every change, and a role per call. Same error shape
  as the website API.
- **Operations**: health checks, metrics, payment providers' webhooks.

## Signing a premium request

1. Take the call's parameters in the documented order, \`nonce\` last (the
   current Unix time in milliseconds; \`watchers\` has none).
2. S = Python's \`urllib.parse.urlencode\` of that list (\`quote_plus\`, UTF-8,
   uppercase hex; a space is \`+\`, \`*!'()\` are escaped, \`~\` is not).
3. M = ASCII \`/api/1/<sign method>\` followed by SHA-256(S): as 64 lowercase hex
   characters for \`devices\`, \`limits\`, \`backup\` and \`backup/range\`, as the
   32 raw bytes for \`last_data_metadata\`, \`statistics_rendererv2\` and \`watchers\`.
   \`/nest/1/devices/check\` and every device call sign as \`/api/1/devices\`.
4. \`${API_SIGN_HEADER.toUpperCase()}\` = standard base64 of HMAC-SHA512(key = the
   base64-decoded API secret, message = M); \`${API_KEY_HEADER.toUpperCase()}\` = the API key.

Where the parameters travel: the query string (\`GET /nest/1/devices\`,
\`limits\`, \`backup\`: S is the raw query string as sent), a form body on a GET
(\`last_data_metadata\`, \`statistics_rendererv2\`: S is the raw body), a JSON
body (the other device calls and \`watchers\`: S is rebuilt from the fields in
arrival order), or the text parts of a multipart body (\`backup/range\`, before
the \`chunk_data\` file part, which is not signed). A nonce is accepted once,
within the server's window around its clock; a refusal for the window carries
\`x-server-time-ms\`.
`.trim();

export const TAGS = [
  { name: 'Premium API', description: 'Signed calls of the rotki app: plan, limits, devices, backups.' },
  { name: 'Website API', description: 'The subscriber website: account, credentials, devices, checkout and billing.' },
  { name: 'Console API', description: 'The operator console: customers, tiers, audit log, payments, mail and the system.' },
  { name: 'Operations', description: 'Health checks, metrics and webhooks.' },
];

export const SECURITY_SCHEMES = {
  apiKey: { type: 'apiKey', in: 'header', name: 'API-KEY', description: 'The subscriber\'s API key.' },
  apiSign: { type: 'apiKey', in: 'header', name: 'API-SIGN', description: 'The request\'s signature: see "Signing a premium request".' },
  websiteSession: { type: 'apiKey', in: 'cookie', name: 'rp_session', description: `The website session; changes also need \`${CSRF_HEADER}\`.` },
  consoleSession: { type: 'apiKey', in: 'cookie', name: 'rp_console', description: `The console session; changes also need \`${ADMIN_CSRF_HEADER}\`.` },
  metricsToken: { type: 'http', scheme: 'bearer', description: 'ROTKI_PREMIUM_METRICS_TOKEN, when /metrics is served on the public port.' },
} as const;

export function tagOf(url: string): string {
  if (url.startsWith('/api/') || url.startsWith('/nest/')) return 'Premium API';
  if (url.startsWith('/webapi')) return 'Website API';
  if (url.startsWith(ADMIN_API)) return 'Console API';
  return 'Operations';
}

/** What a route's config says about how it authenticates (the fields the plugins read). */
export interface AuthConfig {
  premium?: { endpoint: { signMethod: string | null } };
  session?: 'required' | 'optional';
  console?: 'public' | 'password' | 'operator' | 'admin';
}

export function securityOf(url: string, config: AuthConfig | undefined): Record<string, string[]>[] {
  if (config?.premium !== undefined && config.premium.endpoint.signMethod !== null) return [{ apiKey: [], apiSign: [] }];
  if (config?.session === 'required') return [{ websiteSession: [] }];
  if (config?.console === 'operator' || config?.console === 'admin' || config?.console === 'password') return [{ consoleSession: [] }];
  if (url === '/metrics') return [{ metricsToken: [] }];
  return [];
}
