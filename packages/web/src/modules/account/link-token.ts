/** The token of a link from a mail: it travels in the fragment (`#token=…`), which no server ever receives. */
export function tokenFromLocation(): string {
  return new URLSearchParams(window.location.hash.slice(1)).get('token') ?? '';
}
