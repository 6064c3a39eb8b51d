// A plain copy of one buffer into another, as a Prepared: what a compiled plan runs to move the
// result of a layer that has no lowering of its own (it runs its forward) into the plan's arena.
import type { Shape } from '../tensor.js';
import { kernels } from '../wasm/engine.js';
import type { Prepared } from './prepared.js';
import { shapeArg } from './validate.js';

/** Copies inputs[0] (of xShape) to out. */
export function prepareCopy(xShape: Shape): Prepared {
  const shape = shapeArg('copy', 'xShape', xShape);
  const n = shape.reduce((a, b) => a * b, 1);
  return {
    outShape: shape,
    scratchBytes: 0,
    run(inputs, out) {
      if (n > 0 && inputs[0] !== out) kernels().copy_f32_simd(inputs[0], out, n);
    },
    dispose() {},
  };
}
