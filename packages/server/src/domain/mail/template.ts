import type { z } from 'zod';
import type { MailContent, MailSite } from './layout.ts';

/** A mail template: the schema of its data (checked when the mail is queued) and its content. */
export interface MailTemplate<S extends z.ZodType = z.ZodType> {
  schema: S;
  render(data: z.output<S>, site: MailSite): MailContent;
}

export function defineTemplate<S extends z.ZodType>(template: MailTemplate<S>): MailTemplate<S> {
  return template;
}
