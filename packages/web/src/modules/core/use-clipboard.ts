/**
 * Copies text. The Clipboard API needs a secure context (HTTPS or localhost);
 * a server reached over plain HTTP on another address falls back to a
 * temporary selection.
 */
export async function copyText(text: string): Promise<void> {
  if (window.isSecureContext && navigator.clipboard !== undefined) {
    await navigator.clipboard.writeText(text);
    return;
  }
  const area = document.createElement('textarea');
  area.value = text;
  area.setAttribute('readonly', '');
  area.className = 'site-visually-hidden';
  document.body.append(area);
  area.select();
  const copied = document.execCommand('copy');
  area.remove();
  if (!copied) throw new Error('The browser refused to copy');
}

export function useClipboard() {
  return { copyText };
}
