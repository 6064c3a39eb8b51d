// summary(): the lecture's arithmetic for a whole model — output shapes, parameters and
// multiply-adds per layer, totals, and memory for weights and activations at a batch size.
import type { DType, Shape } from '../tensor.js';
import { planArena } from './liveness.js';
import type { GraphNode } from './topology.js';

/**
 * What summarize() reads of a model: a Graph has all of it (named here rather than imported, as
 * graph.ts imports this file for Graph.summary()).
 */
export interface SummarySource {
  readonly inputShapes: Readonly<Record<string, Shape>>;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  readonly nodes: readonly GraphNode[];
}

export interface SummaryOptions {
  /** Batch size for the activation memory figures (default 1). */
  batchSize?: number;
}

export interface SummaryRow {
  name: string;
  type: string;
  inputs: string[];
  outputShape: number[];
  /** Learned parameters (frozen ones included). */
  params: number;
  /** Of those, frozen ones (layer.trainable false or param.trainable false). */
  frozen: number;
  buffers: number;
  macs: number;
  notes: string[];
  /** The output's element type ('int8' after quantize()). */
  dtype: DType;
}

export interface Summary {
  rows: SummaryRow[];
  totalParams: number;
  trainableParams: number;
  /** Learned parameters that are frozen. */
  frozenParams: number;
  /** Frozen parameters and buffers (running statistics). */
  nonTrainable: number;
  totalMacs: number;
  weightBytes: number;
  /** Every activation (inputs and node outputs) at the batch size, if none were freed. */
  activationBytes: number;
  /** Peak activation memory when buffers are reused by liveness. */
  peakActivationBytes: number;
  batchSize: number;
  text: string;
}

const n = (x: number) => x.toLocaleString('en-US');
const mib = (b: number) => (b >= 1 << 20 ? `${(b / (1 << 20)).toFixed(2)} MiB` : `${(b / 1024).toFixed(1)} KiB`);
const size = (s: readonly number[]) => s.reduce((a, b) => a * b, 1);

export function summarize(g: SummarySource, options: SummaryOptions = {}): Summary {
  const batch = options.batchSize ?? 1;
  if (!Number.isInteger(batch) || batch < 1) throw new RangeError(`summary: batchSize must be a positive integer, got ${batch}`);
  const dtypes = new Map<string, DType>(g.inputNames.map((name) => [name, 'float32']));
  const rows: SummaryRow[] = g.nodes.map((node) => {
    const ps = node.layer.params();
    const dtype = node.layer.outputDtype(node.inputs.map((i) => dtypes.get(i) ?? 'float32'));
    dtypes.set(node.name, dtype);
    return {
      name: node.name,
      type: node.layer.type,
      inputs: [...node.inputs],
      outputShape: [...node.outputShape],
      params: ps.filter((p) => !p.buffer).reduce((a, p) => a + p.size, 0),
      frozen: ps.filter((p) => !p.buffer && !p.trainable).reduce((a, p) => a + p.size, 0),
      buffers: ps.filter((p) => p.buffer).reduce((a, p) => a + p.size, 0),
      macs: node.layer.macs(node.inputShapes, node.outputShape),
      notes: node.layer.notes(node.inputShapes),
      dtype,
    };
  });
  const bytesOf = (name: string) => (dtypes.get(name) === 'int8' ? 1 : 4);
  const weightBytes = g.nodes.reduce((a, nd) => a + nd.layer.params().reduce((b, p) => b + p.size * p.bytesPerElement, 0), 0);
  const learned = rows.reduce((a, r) => a + r.params, 0);
  const frozen = rows.reduce((a, r) => a + r.frozen, 0);
  const trainable = learned - frozen;
  const buffers = rows.reduce((a, r) => a + r.buffers, 0);
  const macs = rows.reduce((a, r) => a + r.macs, 0);

  // liveness over inputs (step −1 … last use) and node outputs (own step … last use / end)
  const last = new Map<string, number>();
  g.nodes.forEach((nd, i) => nd.inputs.forEach((x) => last.set(x, i)));
  const end = g.nodes.length;
  const values = [
    ...g.inputNames.map((name) => ({ bytes: 4 * batch * size(g.inputShapes[name]), first: 0, last: last.get(name) ?? 0 })),
    ...g.nodes.map((nd, i) => ({
      bytes: bytesOf(nd.name) * batch * size(nd.outputShape),
      first: i,
      last: g.outputNames.includes(nd.name) ? end : last.get(nd.name) ?? i,
    })),
  ];
  const arena = planArena(values);
  const activationBytes = values.reduce((a, v) => a + v.bytes, 0);

  const header = ['Layer', 'Type', 'Output shape', 'Params', 'Mult-adds'];
  // a quantized model names each output's element type
  const mixed = rows.some((r) => r.dtype !== 'float32');
  const table = rows.map((r) => [
    r.name + (r.notes.length ? ' (!)' : ''),
    r.type + (mixed ? ` ${r.dtype}` : '') + (r.params > 0 && r.frozen === r.params && r.dtype === 'float32' ? ' (frozen)' : r.frozen > 0 && r.dtype === 'float32' ? ' (part frozen)' : ''),
    `[${r.outputShape.join(', ')}]`,
    n(r.params + r.buffers),
    n(r.macs),
  ]);
  const inputRows = g.inputNames.map((name) => [name, 'Input', `[${g.inputShapes[name].join(', ')}]`, '0', '0']);
  const all = [header, ...inputRows, ...table];
  const widths = header.map((_, c) => Math.max(...all.map((row) => row[c].length)));
  const line = (row: string[]) => row.map((cell, c) => (c >= 3 ? cell.padStart(widths[c]) : cell.padEnd(widths[c]))).join('  ');
  const rule = '─'.repeat(widths.reduce((a, b) => a + b + 2, -2));
  const lines = [rule, line(header), rule, ...inputRows.map(line), ...table.map(line), rule];
  const nonTrainable = frozen + buffers;
  const why = [frozen ? `${n(frozen)} frozen` : '', buffers ? `${n(buffers)} running statistics` : ''].filter(Boolean).join(', ');
  lines.push(`Total params: ${n(learned + buffers)}`);
  lines.push(`Trainable params: ${n(trainable)}`);
  lines.push(`Non-trainable params: ${n(nonTrainable)}${why ? ` (${why})` : ''}`);
  lines.push(`Multiply-adds per sample: ${n(macs)} (${(macs / 1e9).toFixed(3)} G)`);
  lines.push(`Weights: ${mib(weightBytes)}`);
  lines.push(`Activations at batch ${batch}: ${mib(activationBytes)} in all, ${mib(arena.size)} at peak when buffers are reused`);
  const noted = rows.filter((r) => r.notes.length);
  if (noted.length) {
    lines.push(rule);
    for (const r of noted) for (const note of r.notes) lines.push(`(!) ${r.name}: ${note}`);
  }
  return {
    rows,
    totalParams: learned + buffers,
    trainableParams: trainable,
    frozenParams: frozen,
    nonTrainable,
    totalMacs: macs,
    weightBytes,
    activationBytes,
    peakActivationBytes: arena.size,
    batchSize: batch,
    text: lines.join('\n'),
  };
}
