// Progress output for fit(): a one-line bar with throughput and ETA in a Node terminal, plain
// lines elsewhere (or to a custom sink).

export type LogSink = (line: string, transient: boolean) => void;

interface Proc { stderr?: { isTTY?: boolean; write(s: string): unknown; columns?: number } }

/**
 * The default sink: rewrites one line on a TTY; elsewhere (piped, CI, a browser console) prints
 * the progress line at most every `everyMs` (default 5 s) and every finished line.
 */
export function defaultSink(everyMs = 5000): LogSink {
  const proc = (globalThis as { process?: Proc }).process;
  const tty = proc?.stderr?.isTTY === true;
  let last = Date.now();
  return (line, transient) => {
    if (tty) proc!.stderr!.write(`\r\x1b[2K${line}${transient ? '' : '\n'}`);
    else if (!transient || Date.now() - last >= everyMs) {
      console.log(line);
      last = Date.now();
    }
  };
}

export function bar(done: number, total: number, width = 24): string {
  const f = total > 0 ? Math.min(1, done / total) : 1;
  const full = Math.round(f * width);
  return `[${'='.repeat(Math.max(0, full - 1))}${full > 0 ? (f < 1 ? '>' : '=') : ''}${' '.repeat(width - full)}]`;
}

export function duration(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(1)}s`;
  const m = Math.floor(s / 60);
  return `${m}m${String(Math.round(s - 60 * m)).padStart(2, '0')}s`;
}
