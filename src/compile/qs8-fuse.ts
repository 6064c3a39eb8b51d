// The int8 steps a plan folds into the step before (compile's `fuse`), each giving the same bytes
// as the steps it replaces:
// - QuantizeLinear → QConv2d on the short direct kernel (a first layer): the convolution quantizes
//   the float32 input while it pads it into its tap planes (one pass over the image, not two);
// - QConv2d (direct kernels) → QMaxPool2d 2×2 stride 2 (no padding or dilation): the convolution
//   stores the maxima of its requantized 2×2 blocks, the pooled output, never the full one;
// - QLinear → DequantizeLinear: one step running both kernels (the int8 vector in scratch).
// A step is folded only into its producer's only reader (never into a value the plan outputs).
import type { DType, Shape } from '../tensor.js';
import type { Graph } from '../graph/graph.js';
import { rdotMode } from '../wasm/engine.js';
import type { Prepared } from '../ops/prepared.js';
import { geometry } from '../ops/conv2d-common.js';
import { prepareConv2dQs8 } from '../ops/gemm-qs8.js';
import { winogradQs8Runs } from '../ops/conv2d-winograd-qs8.js';
import { directFusionRuns, type DirectFusion } from '../ops/conv2d-direct-qs8.js';
import { QConv2d } from '../nn/qconv2d.js';
import { QMaxPool2d } from '../nn/qmaxpool2d.js';
import { QLinear } from '../nn/qlinear.js';
import { QuantizeLinear } from '../nn/quantizelinear.js';
import { DequantizeLinear } from '../nn/dequantizelinear.js';

type GraphNode = Graph['nodes'][number];

export interface Qs8Fused {
  prepared: Prepared;
  /** The nodes folded into this step, in order; `last` the final one, `dtype` its output's. */
  fused: string[];
  last: GraphNode;
  dtype: DType;
}

const is2 = (v: readonly number[], n: number) => v[0] === n && v[1] === n;

/** A fusion starting at nodes[i] (its inputs' shapes inShapes), or null. single(v): v has one reader and is not the output. */
export function fuseQs8(nodes: readonly GraphNode[], i: number, inShapes: Shape[], single: (name: string) => boolean): Qs8Fused | null {
  const next = (n: GraphNode) => (single(n.name) ? nodes.find((m) => m.inputs.length === 1 && m.inputs[0] === n.name) ?? null : null);
  const node = nodes[i];
  if (node.layer instanceof QLinear) {
    const dq = next(node);
    if (!dq || !(dq.layer instanceof DequantizeLinear)) return null;
    const a = node.layer.lower(inShapes);
    let b: Prepared;
    try {
      b = dq.layer.lower([a.outShape]);
    } catch (e) {
      a.dispose();
      throw e;
    }
    return { prepared: chain(a, b), fused: [dq.name], last: dq, dtype: 'float32' };
  }
  const quant = node.layer instanceof QuantizeLinear ? node.layer.q : undefined;
  const convNode = quant ? next(node) : node;
  if (!convNode || !(convNode.layer instanceof QConv2d)) return null;
  const conv = convNode.layer;
  const poolNode = next(convNode);
  const pl = poolNode?.layer;
  const pool = pl instanceof QMaxPool2d && is2(pl.kernelSize, 2) && is2(pl.stride, 2) && is2(pl.padding, 0) && is2(pl.dilation, 1) && !pl.ceilMode;
  if (!quant && !pool) return null;
  const f: DirectFusion = { pool, quantize: quant };
  const options = { stride: conv.stride, padding: conv.padding, dilation: conv.dilation, groups: conv.groups };
  const p = geometry('compile', inShapes[0], 'x', conv.weight.shape, 'weights', options);
  if (winogradQs8Runs(p, rdotMode()) || !directFusionRuns(p, f)) return null;
  const fused = quant ? [convNode.name] : [];
  if (pool) fused.push(poolNode!.name);
  const prepared = prepareConv2dQs8(inShapes[0], conv.qweights(), options, { x: conv.qx, y: conv.qy, clamp: conv.clamp }, f);
  return { prepared, fused, last: pool ? poolNode! : convNode, dtype: 'int8' };
}

/** a then b in one step: a's output in scratch (after a's own), b's scratch after it. */
function chain(a: Prepared, b: Prepared): Prepared {
  const at = Math.ceil(a.scratchBytes / 16) * 16;
  const mid = Math.ceil(a.outShape.reduce((s, d) => s * d, 1) / 16) * 16; // a's int8 output
  const args = [0];
  return {
    outShape: b.outShape,
    scratchBytes: at + mid + b.scratchBytes,
    run(inputs, out, scratch) {
      a.run(inputs, scratch + at, scratch);
      args[0] = scratch + at;
      b.run(args, out, scratch + at + mid);
    },
    dispose() {
      a.dispose();
      b.dispose();
    },
  };
}
