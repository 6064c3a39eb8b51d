// Activation memory by liveness: each value lives from the step that makes it to the last step
// that reads it; buffers whose lifetimes do not overlap share bytes in one arena. Offsets are
// assigned greedily, largest first, at the lowest address that fits (as TFLite's arena planner).

export interface Lifetime {
  /** Bytes needed (rounded up to 16 by the planner). */
  bytes: number;
  /** First step that writes it. */
  first: number;
  /** Last step that reads it (inclusive). */
  last: number;
}

export interface ArenaPlan {
  /** Byte offset of each buffer inside the arena, in the input order. */
  offsets: number[];
  /** Arena size: the peak activation memory. */
  size: number;
  /** What the buffers would take without sharing. */
  total: number;
}

export function planArena(buffers: readonly Lifetime[]): ArenaPlan {
  const sz = buffers.map((b) => Math.ceil(b.bytes / 16) * 16 + 16);
  const order = buffers.map((_, i) => i).sort((a, b) => sz[b] - sz[a] || buffers[a].first - buffers[b].first);
  const placed: { off: number; end: number; first: number; last: number }[] = [];
  const offsets = new Array<number>(buffers.length).fill(0);
  let size = 0;
  for (const i of order) {
    const b = buffers[i];
    const clashes = placed
      .filter((p) => p.first <= b.last && b.first <= p.last)
      .sort((x, y) => x.off - y.off);
    let off = 0;
    for (const c of clashes) {
      if (off + sz[i] <= c.off) break;
      off = Math.max(off, c.end);
    }
    offsets[i] = off;
    placed.push({ off, end: off + sz[i], first: b.first, last: b.last });
    size = Math.max(size, off + sz[i]);
  }
  return { offsets, size, total: sz.reduce((a, b) => a + b, 0) };
}
