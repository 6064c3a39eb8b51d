// argmax / argmin along one axis (torch.argmax / torch.argmin, ONNX ArgMax / ArgMin): the index of
// the greatest (least) element, ties to the first (selectLastIndex: the last), NaN chosen over any
// number as PyTorch does. x is seen as [outer, n, inner] around the axis; kernel argmax_f32_simd
// (assembly/argmax.ts), vectorised over the inner positions (the pixels, for the channels of NCHW).
// Indices are int32 tensors (simdnet's integer dtype; PyTorch returns int64), or float32 holding
// the same integers exactly when asked (dtype 'float32', what nn.ArgMax produces inside float32
// graphs; exact up to 2^24). Not differentiable: there is no backward.
import { Tensor, type DType, type Shape } from '../tensor.js';
import { kernels } from '../wasm/engine.js';
import { type Prepared, runOnce } from './prepared.js';
import { axisIndex, boolArg, sizeOf } from './axes.js';
import { enumArg, fmtShape, knownOptions, shapeArg, tensorArg } from './validate.js';

export interface ArgMaxOptions {
  /** Keep the reduced axis as a 1 (default false, as PyTorch; ONNX's keepdims defaults to 1). */
  keepDim?: boolean;
  /** Ties go to the last index instead of the first (ONNX select_last_index; default false). */
  selectLastIndex?: boolean;
  /** 'int32' (default) or 'float32' (the same integers as floats, exact up to 2^24). */
  dtype?: DType;
}

const ARGMIN = 1, LAST = 2, F32_OUT = 4;
/** The largest count whose every index a float32 holds exactly. */
const F32_EXACT = 2 ** 24;

/**
 * argmax (min false) or argmin prepared for x of xShape along `axis` (null: over all elements
 * flattened, as torch.argmax(x) with no dim). inputs [x]; output: xShape without the axis (kept as
 * 1 with keepDim; with no axis, [] or all 1s), of the requested dtype.
 */
export function prepareArgMax(xShape: Shape, axis: number | null | undefined, options: ArgMaxOptions | undefined, min: boolean): Prepared & { dtype: DType } {
  const op = min ? 'argmin' : 'argmax';
  const xs = shapeArg(op, 'xShape', xShape);
  const o = knownOptions(op, options, ['keepDim', 'selectLastIndex', 'dtype']) as ArgMaxOptions;
  const keep = boolArg(op, 'keepDim', o.keepDim, false);
  const last = boolArg(op, 'selectLastIndex', o.selectLastIndex, false);
  const dtype = enumArg<DType>(op, 'dtype', o.dtype, ['int32', 'float32'], 'int32');
  let outer: number, n: number, inner: number, outShape: number[];
  if (axis === undefined || axis === null) {
    [outer, n, inner] = [1, sizeOf(xs), 1];
    outShape = keep ? xs.map(() => 1) : [];
  } else {
    const a = axisIndex(op, 'axis', axis, xs);
    [outer, n, inner] = [sizeOf(xs.slice(0, a)), xs[a], sizeOf(xs.slice(a + 1))];
    outShape = keep ? xs.map((d, i) => (i === a ? 1 : d)) : xs.filter((_, i) => i !== a);
  }
  const m = outer * inner;
  if (n === 0 && m > 0) throw new RangeError(`${op}: x ${fmtShape(xs)} is empty along ${axis ?? 'its flattened elements'}; there is no index to return`);
  if (dtype === 'float32' && n > F32_EXACT) {
    throw new RangeError(`${op}: ${n} indices along the axis of x ${fmtShape(xs)} are not all exact as float32 (at most 2^24); use dtype 'int32'`);
  }
  const flags = (min ? ARGMIN : 0) | (last ? LAST : 0) | (dtype === 'float32' ? F32_OUT : 0);
  return {
    outShape,
    scratchBytes: 0,
    dtype,
    run(inputs, out) {
      if (m > 0) kernels().argmax_f32_simd(inputs[0], out, n, inner, flags, 0, m);
    },
    dispose() {},
  };
}

function arg(min: boolean, x: Tensor, axis: unknown, options: ArgMaxOptions | undefined): Tensor {
  const op = min ? 'argmin' : 'argmax';
  const t = tensorArg(op, 'x', x);
  const p = prepareArgMax(t.shape, axis as number | null | undefined, options, min);
  return runOnce(p, [t.ptr], (s) => Tensor.empty(s, p.dtype));
}

/**
 * The index of the greatest element of x along `axis` (torch.argmax(x, dim, keepdim)); with no
 * axis (undefined or null), of x flattened. Ties: the first index (selectLastIndex: the last); NaN
 * counts as the greatest. Returns an int32 tensor (dtype 'float32': the same integers as floats).
 */
export function argmax(x: Tensor, axis?: number | null, options?: ArgMaxOptions): Tensor {
  return arg(false, x, axis, options);
}

/** The index of the least element of x along `axis`, as argmax (NaN is chosen over any number, as torch.argmin). */
export function argmin(x: Tensor, axis?: number | null, options?: ArgMaxOptions): Tensor {
  return arg(true, x, axis, options);
}
