import type { RouteOptions } from 'fastify';

/** The request phases a plugin adds per-route hooks to. */
export type RoutePhase = 'onRequest' | 'preValidation' | 'preHandler';

/**
 * Adds `hook` to one route only, first among the route's own hooks of that
 * phase: it runs after the app-wide hooks and before any hook the route
 * declares itself. Called from an `onRoute` hook, it keeps a hook off every
 * route that does not need it (each app-wide hook costs every request its
 * call, and an async one a promise and a microtask turn).
 */
export function prependRouteHook(route: RouteOptions, phase: RoutePhase, hook: NonNullable<RouteOptions[RoutePhase]>): void {
  const own = route[phase] as unknown;
  const list = own === undefined || own === null ? [] : Array.isArray(own) ? own : [own];
  (route as unknown as Record<RoutePhase, unknown[]>)[phase] = [hook, ...list];
}
