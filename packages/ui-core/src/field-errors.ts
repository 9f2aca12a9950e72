/**
 * Per-field form validation: the first problem of each field, from a schema's
 * issues (zod's `error.issues`), and the attributes that tie a field to its
 * message for screen readers.
 */

export interface Issue {
  readonly path: readonly PropertyKey[];
  readonly message: string;
}

export type FieldErrors = Record<string, string>;

export function fieldErrors(issues: readonly Issue[]): FieldErrors {
  const errors: FieldErrors = {};
  for (const issue of issues) {
    const field = String(issue.path[0] ?? '');
    if (!(field in errors)) errors[field] = issue.message;
  }
  return errors;
}

/** `aria-invalid` and `aria-describedby` for a field whose message line has `messageId`. */
export function fieldAria(error: string | undefined, messageId: string, hasHint = false): Record<string, string> {
  const aria: Record<string, string> = {};
  if (error !== undefined && error !== '') aria['aria-invalid'] = 'true';
  if ((error !== undefined && error !== '') || hasHint) aria['aria-describedby'] = messageId;
  return aria;
}

/** Moves the focus to the first field marked invalid in `form`, so the keyboard lands on what to fix. */
export function focusFirstInvalid(form: HTMLElement | null): void {
  form?.querySelector<HTMLElement>('[aria-invalid="true"]')?.focus();
}
