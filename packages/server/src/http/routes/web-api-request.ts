import type { FastifyRequest } from 'fastify';
import type { AuditSource } from '../../domain/credentials.ts';
import type { DeviceOwner } from '../../domain/devices.ts';
import type { WebSession } from '../../domain/sessions.ts';

/** Where the website's JSON API lives; its routes share the body limit and the helpers below. */
export const WEB_API_PREFIX = '/webapi';
/** Web API bodies are small forms. */
export const WEB_BODY_LIMIT = 16 * 1024;

/** Paths are declared in full in the protocol package; routes live under the plugin's prefix. */
export function route(path: string): string {
  return path.slice(WEB_API_PREFIX.length);
}

export function sessionOf(request: FastifyRequest): WebSession {
  if (request.webSession === null) throw new Error('route reached without a session');
  return request.webSession;
}

export function ownerOf(request: FastifyRequest): DeviceOwner {
  const { accountId, username } = sessionOf(request);
  return { accountId, username };
}

export function sourceOf(request: FastifyRequest): AuditSource {
  return { ip: request.ip, via: 'web' };
}
