/** Errors the domain raises on purpose; the HTTP layer and the CLI map `kind` to a status or exit code. */
export type DomainErrorKind = 'not_found' | 'conflict' | 'invalid' | 'forbidden';

export class DomainError extends Error {
  readonly kind: DomainErrorKind;
  /** A more precise code for the web API (`weak_password`, `bad_token`…), when the kind alone is not enough. */
  readonly code: string | undefined;

  constructor(kind: DomainErrorKind, message: string, code?: string) {
    super(message);
    this.name = 'DomainError';
    this.kind = kind;
    this.code = code;
  }
}

export const notFound = (message: string) => new DomainError('not_found', message);
export const conflict = (message: string) => new DomainError('conflict', message);
export const invalid = (message: string) => new DomainError('invalid', message);
export const forbidden = (message: string) => new DomainError('forbidden', message);
