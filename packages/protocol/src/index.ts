export * from './urlencode.ts';
export * from './signing.ts';
export * from './credentials.ts';
export * from './errors.ts';
export * from './schemas.ts';
export * from './request-params.ts';
export * from './json-limits.ts';
export * from './text.ts';
