// Inference over a large batch in slices: the model's first output for every sample, computed
// batchSize samples at a time and joined.
import type { Tensor } from '../tensor.js';
import { indexSelect } from '../ops/gather.js';
import { concat } from '../ops/concat.js';

export function predictInBatches(run: (x: Tensor) => Tensor, t: Tensor, bs: number): Tensor {
  const n = t.shape[0];
  if (n <= bs) return run(t);
  const parts: Tensor[] = [];
  try {
    for (let s = 0; s < n; s += bs) {
      const xb = indexSelect(t, Uint32Array.from({ length: Math.min(bs, n - s) }, (_, i) => s + i));
      try {
        parts.push(run(xb));
      } finally {
        xb.dispose();
      }
    }
    return concat(parts, 0);
  } finally {
    for (const p of parts) p.dispose();
  }
}
