// The shared shape of the elementwise map ops (activation.ts, unary.ts, clip.ts, gated.ts): a Prepared that runs
// one kernel over every element, and the eager backward dx = g(dy, u). Not exported from
// ops/index.ts.
import { Tensor } from '../tensor.js';
import type { Prepared } from './prepared.js';
import { fmtShape, shapeArg, tensorArg } from './validate.js';

/**
 * The Prepared of an elementwise map over x of xShape (checked here, naming `op`): inputs [x],
 * output of xShape. In place allowed (out === x): every kernel loads a vector of x before it
 * stores the same lanes of y, and the tail stores only live lanes.
 */
export function prepareMap(op: string, xShape: unknown, call: (x: number, y: number, n: number) => void): Prepared {
  const shape = shapeArg(op, 'xShape', xShape);
  const n = shape.reduce((a, b) => a * b, 1);
  return {
    outShape: shape,
    scratchBytes: 0,
    run(inputs, out) {
      if (n > 0) call(inputs[0], out, n);
    },
    dispose() {},
  };
}

/**
 * dx = g(dy, u) elementwise, u the saved forward input x or output y (named uName); dy and u
 * must be live and of one shape. A new tensor.
 */
export function mapBackward(
  op: string, dy: unknown, u: unknown, uName: string, call: (dy: number, u: number, dx: number, n: number) => void,
): Tensor {
  const d = tensorArg(op, 'dy', dy);
  const t = tensorArg(op, uName, u);
  if (d.rank !== t.rank || d.shape.some((v, i) => v !== t.shape[i])) {
    throw new RangeError(
      `${op}: dy has shape ${fmtShape(d.shape)} but ${uName} has shape ${fmtShape(t.shape)}; ` +
        `dy must have the shape of the forward output, which is that of ${uName}`,
    );
  }
  const dx = Tensor.empty(t.shape);
  if (t.size > 0) call(d.ptr, t.ptr, dx.ptr, t.size);
  return dx;
}
