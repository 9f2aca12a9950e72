/**
 * Every mail is written once as structured content and rendered twice, as
 * plain text and as HTML, so the two never drift apart. All text is escaped in
 * the HTML part; templates cannot inject markup.
 */

export interface MailAction {
  label: string;
  url: string;
}

export interface MailContent {
  subject: string;
  /** Paragraphs before the action. */
  paragraphs: string[];
  /** The one thing the mail asks to do: a button in HTML, a bare link in text. */
  action?: MailAction;
  /** Paragraphs after the action (expiry, "if this was not you"). */
  after?: string[];
}

export interface RenderedMail {
  subject: string;
  text: string;
  html: string;
}

/** Where the mail comes from, for links and the footer. */
export interface MailSite {
  /** Public address of the website, without a trailing slash. */
  siteUrl: string;
}

const HTML_ESCAPES: Record<string, string> = { '&': '&amp;', '<': '&lt;', '>': '&gt;', '"': '&quot;', "'": '&#39;' };

export function escapeHtml(text: string): string {
  return text.replace(/[&<>"']/g, (ch) => HTML_ESCAPES[ch] ?? ch);
}

export function renderMail(content: MailContent, site: MailSite): RenderedMail {
  const after = content.after ?? [];
  const footer = `rotki premium · ${site.siteUrl}`;
  const text = [
    ...content.paragraphs,
    ...(content.action === undefined ? [] : [`${content.action.label}:\n${content.action.url}`]),
    ...after,
    `-- \n${footer}`,
  ].join('\n\n');

  const paragraph = (p: string) => `<p style="margin:0 0 16px;line-height:1.5">${escapeHtml(p).replace(/\n/g, '<br>')}</p>`;
  const action =
    content.action === undefined
      ? ''
      : `<p style="margin:24px 0"><a href="${escapeHtml(content.action.url)}" style="background:#7e4a3b;color:#ffffff;padding:12px 20px;border-radius:4px;text-decoration:none;font-weight:500">${escapeHtml(content.action.label)}</a></p>` +
        `<p style="margin:0 0 16px;font-size:13px;color:#555555;word-break:break-all">${escapeHtml(content.action.url)}</p>`;
  const html = [
    '<!doctype html>',
    `<html lang="en"><head><meta charset="utf-8"><title>${escapeHtml(content.subject)}</title></head>`,
    '<body style="margin:0;padding:24px;background:#f5f5f5;font-family:Roboto,Arial,sans-serif;color:#212121">',
    '<div style="max-width:560px;margin:0 auto;background:#ffffff;padding:32px;border-radius:8px">',
    content.paragraphs.map(paragraph).join(''),
    action,
    after.map(paragraph).join(''),
    `<p style="margin:32px 0 0;font-size:12px;color:#757575">${escapeHtml(footer)}</p>`,
    '</div></body></html>',
  ].join('');
  return { subject: content.subject, text: `${text}\n`, html };
}
