import cliProgress from 'cli-progress';
import type { SyncProgress } from '../sync/sync-service.ts';

/** Upload and download progress on standard error: a bar on a terminal, a line per step otherwise. */
export function progressReporter(): { update(p: SyncProgress): void; stop(): void } {
  if (process.stderr.isTTY === true) {
    const bar = new cliProgress.SingleBar(
      { format: '{phase} [{bar}] {detail}', hideCursor: true, stream: process.stderr },
      cliProgress.Presets.shades_classic,
    );
    let started = false;
    return {
      update(p) {
        const detail =
          p.phase === 'uploading'
            ? `chunk ${p.chunk} of ${p.total_chunks} | ${p.bytes}/${p.total_bytes} bytes`
            : p.total_bytes > 0
              ? `${p.bytes}/${p.total_bytes} bytes`
              : '';
        const payload = { phase: p.phase.padEnd(11), detail };
        if (!started) {
          bar.start(Math.max(p.total_bytes, 1), p.bytes, payload);
          started = true;
        }
        bar.setTotal(Math.max(p.total_bytes, 1));
        bar.update(p.bytes, payload);
      },
      stop: () => bar.stop(),
    };
  }
  let last = '';
  return {
    update(p) {
      const line = p.phase === 'uploading' ? `uploading chunk ${p.chunk} of ${p.total_chunks}` : p.phase;
      if (line !== last) process.stderr.write(`${line}\n`);
      last = line;
    },
    stop: () => {},
  };
}
