/**
 * HTTP/1.1 chunked transfer coding, decoded as the bytes arrive: the data
 * is handed on as ranges of the buffers read (no copy). Our server answers
 * a download with a Content-Length; a proxy in front of it may not.
 */

const LINE_LIMIT = 4096;

type State = 'size' | 'data' | 'data-end' | 'trailer' | 'done';

export class ChunkedDecoder {
  #state: State = 'size';
  #line = '';
  #left = 0;

  /**
   * Decodes `buffer[start, end)`, calling `emit(from, to)` for each range of
   * data in it; returns true once the last chunk and the trailer are read
   * (bytes after that are ignored). Throws on a malformed coding.
   */
  feed(buffer: Buffer, start: number, end: number, emit: (from: number, to: number) => void): boolean {
    let at = start;
    while (at < end && this.#state !== 'done') {
      if (this.#state === 'data') {
        const take = Math.min(this.#left, end - at);
        emit(at, at + take);
        at += take;
        this.#left -= take;
        if (this.#left === 0) this.#state = 'data-end';
        continue;
      }
      const newline = buffer.subarray(at, end).indexOf(10);
      const stop = newline < 0 ? end : at + newline;
      this.#line += buffer.toString('latin1', at, stop);
      if (this.#line.length > LINE_LIMIT) throw new Error('malformed chunked answer: line too long');
      if (newline < 0) break;
      at = stop + 1;
      const line = this.#line.endsWith('\r') ? this.#line.slice(0, -1) : this.#line;
      this.#line = '';
      this.#endOfLine(line);
    }
    return this.#state === 'done';
  }

  #endOfLine(line: string): void {
    if (this.#state === 'data-end') {
      if (line !== '') throw new Error('malformed chunked answer: no line end after a chunk');
      this.#state = 'size';
    } else if (this.#state === 'size') {
      const size = (line.split(';')[0] ?? '').trim();
      if (!/^[0-9a-fA-F]{1,12}$/.test(size)) throw new Error('malformed chunked answer: bad chunk size');
      this.#left = Number.parseInt(size, 16);
      this.#state = this.#left === 0 ? 'trailer' : 'data';
    } else if (line === '') {
      this.#state = 'done';
    }
  }
}
