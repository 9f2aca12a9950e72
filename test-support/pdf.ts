import { execFileSync } from 'node:child_process';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';

/**
 * A PDF as a reader sees it, through Debian's poppler-utils: `pdftotext`
 * (layout kept) for the words and `pdftoppm` for the first page as a PNG.
 */
export function readPdf(pdf: Buffer, resolution = 50): { text: string; png: Buffer } {
  const dir = mkdtempSync(join(tmpdir(), 'rotki-premium-pdf-'));
  try {
    const file = join(dir, 'document.pdf');
    writeFileSync(file, pdf);
    const text = execFileSync('pdftotext', ['-layout', file, '-'], { encoding: 'utf8' });
    execFileSync('pdftoppm', ['-png', '-r', String(resolution), '-f', '1', '-l', '1', '-singlefile', file, join(dir, 'page')]);
    return { text, png: readFileSync(join(dir, 'page.png')) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

/** Width and height of a PNG, from its IHDR chunk. */
export function pngSize(png: Buffer): { width: number; height: number } {
  if (png.subarray(1, 4).toString('latin1') !== 'PNG') throw new Error('not a PNG');
  return { width: png.readUInt32BE(16), height: png.readUInt32BE(20) };
}
