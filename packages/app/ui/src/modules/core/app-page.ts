/** The app's pages; each has its address (`#/premium`, `#/notes`), so Back and Forward work and a reload stays. */
export type Page = 'premium' | 'notes';

export const PAGE_TITLES: Record<Page, string> = { premium: 'rotki Premium', notes: 'Notes' };

export function pageOf(hash: string): Page {
  return hash === '#/notes' ? 'notes' : 'premium';
}
