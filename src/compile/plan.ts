// compile(model, { batchSize }): a forward pass as a list of prepared kernel calls over one arena.
// Activations are placed by liveness (buffers whose lifetimes do not overlap share bytes), batch
// norm is folded into the convolution before it, ReLU is fused into the store of the conv/linear
// before it (Hardswish and SiLU into a convolution's: Layer.epilogueAtInference), and
// Flatten/Dropout cost nothing. run() validates one shape and then only calls kernels: it
// allocates nothing (the output is a view into the arena, valid until the next run).
import { Tensor, viewTensor, type DType, type Shape } from '../tensor.js';
import { heap } from '../wasm/engine.js';
import type { Graph } from '../graph/graph.js';
import { planArena, type Lifetime } from '../graph/liveness.js';
import { tensorArg, intArg, knownOptions, boolArg } from '../ops/validate.js';
import type { Prepared } from '../ops/prepared.js';
import type { Clamp, Folded, LowerOptions } from '../nn/lowering.js';
import { placeJoins, rootOf, type JoinStep } from './joins.js';
import { fuseQs8 } from './qs8-fuse.js';

export interface CompileOptions {
  /** The batch size the plan is built for (default 1). */
  batchSize?: number;
  /** Fold batch norm into convolutions, fuse ReLU into stores, and int8 QuantizeLinear / 2×2 max pools / DequantizeLinear into the step beside them (default true). */
  fuse?: boolean;
  /** Let producers write concat inputs straight into the concat's output (default true; see joins.ts). */
  concatInPlace?: boolean;
}

interface Step extends JoinStep {
  inputs: number[]; // value ids
  output: number; // value id
  args: number[]; // the inputs' addresses, refilled per run (no array allocated per call)
  info: PlanInfo['steps'][number];
}

export interface PlanInfo {
  batchSize: number;
  /** Kernel calls per run, and the graph nodes they came from. */
  steps: { name: string; fused: string[]; algorithm?: string }[];
  /** Bytes of the activation arena (peak activation memory) and of the largest scratch. */
  arenaBytes: number;
  scratchBytes: number;
  /** What the activations would take without sharing. */
  unsharedBytes: number;
  /** Outputs written straight into a slice of a concat's output (no copy): the step and the concat. */
  slices: { name: string; concat: string }[];
}

export class CompiledModel {
  readonly batchSize: number;
  readonly inputShape: Shape;
  readonly outputShape: Shape;
  readonly info: PlanInfo;
  private readonly steps: Step[];
  private readonly addr: number[]; // value id → byte address (input: set per run)
  private readonly arena: number;
  private readonly scratch: number;
  private readonly owned: Tensor[];
  private readonly outValue: number;
  private readonly outDtype: DType;
  private view: Tensor | null = null;
  private disposed = false;

  /** @internal built by compile() */
  constructor(parts: {
    batchSize: number; inputShape: Shape; outputShape: Shape; steps: Step[]; addr: number[]; arena: number; scratch: number;
    owned: Tensor[]; outValue: number; outDtype: DType; info: PlanInfo;
  }) {
    this.outDtype = parts.outDtype;
    this.batchSize = parts.batchSize;
    this.inputShape = parts.inputShape;
    this.outputShape = parts.outputShape;
    this.steps = parts.steps;
    this.addr = parts.addr;
    this.arena = parts.arena;
    this.scratch = parts.scratch;
    this.owned = parts.owned;
    this.outValue = parts.outValue;
    this.info = parts.info;
  }

  /**
   * Runs the plan on x (exactly [batchSize, …inputShape]). The result is a view into the plan's
   * arena, overwritten by the next run: copy it (toFloat32Array, clone) to keep it.
   */
  run(x: Tensor): Tensor {
    if (this.disposed) throw new Error('CompiledModel.run: this plan was disposed');
    const t = tensorArg('CompiledModel.run', 'x', x);
    const want = this.inputShape;
    if (t.rank !== want.length || t.shape.some((d, k) => d !== want[k])) {
      throw new RangeError(`CompiledModel.run: x must have shape [${want.join(', ')}] (the plan was compiled for it), got [${t.shape.join(', ')}]`);
    }
    const addr = this.addr;
    addr[0] = t.ptr;
    const scratch = this.scratch;
    const steps = this.steps;
    for (let i = 0; i < steps.length; i++) {
      const s = steps[i], ins = s.inputs, args = s.args;
      for (let j = 0; j < ins.length; j++) args[j] = addr[ins[j]];
      s.prepared.run(args, addr[s.output], scratch);
    }
    if (this.view === null || this.view.disposed) this.view = viewTensor(addr[this.outValue], this.outputShape, this.outDtype);
    return this.view;
  }

  /** Frees the arena, scratch, prepared parameter blocks and folded weights. */
  dispose(): void {
    if (this.disposed) return;
    this.disposed = true;
    for (const s of this.steps) s.prepared.dispose();
    const h = heap();
    if (this.arena > 0) h.release(this.arena);
    if (this.scratch > 0) h.release(this.scratch);
    for (const t of this.owned) t.dispose();
    this.view?.dispose();
  }
}

/**
 * Compiles a single-input, single-output model for inference at a fixed batch size. The plan reads
 * the model's weights as they are now: recompile after training or loading new weights.
 */
export function compile(model: Graph, options: CompileOptions = {}): CompiledModel {
  knownOptions('compile', options, ['batchSize', 'fuse', 'concatInPlace']);
  const batch = intArg('compile', 'batchSize', options.batchSize ?? 1, 1);
  const fuse = boolArg('compile', 'fuse', options.fuse, true);
  const inPlace = boolArg('compile', 'concatInPlace', options.concatInPlace, true);
  if (model.inputNames.length !== 1 || model.outputNames.length !== 1) {
    throw new Error(`compile: plans take one input and one output; this model has ${model.inputNames.length} and ${model.outputNames.length}`);
  }
  model.build();
  const nodes = model.nodes;
  const consumers = new Map<string, number>();
  for (const n of nodes) for (const i of n.inputs) consumers.set(i, (consumers.get(i) ?? 0) + 1);
  const outName = model.outputNames[0];
  const single = (name: string) => consumers.get(name) === 1 && name !== outName;

  // value ids: 0 = the graph input; every other value is a node output. An alias (Flatten, Dropout)
  // shares its input's id (the same bytes) but has a shape of its own.
  const valueOf = new Map<string, number>([[model.inputNames[0], 0]]);
  const shapes: Shape[] = [[batch, ...model.inputShapes[model.inputNames[0]]]];
  const dtypes: DType[] = ['float32']; // per value id: int8 activations take a byte an element
  const dtypeOf = new Map<string, DType>([[model.inputNames[0], 'float32']]);
  const shapeOf = new Map<string, Shape>([[model.inputNames[0], shapes[0]]]);
  let steps: Step[] = [];
  const owned: Tensor[] = [];
  const skip = new Set<string>();
  try {
    for (let i = 0; i < nodes.length; i++) {
      const node = nodes[i];
      if (skip.has(node.name)) continue;
      const ins = node.inputs.map((n) => valueOf.get(n)!);
      const inShapes = node.inputs.map((n) => shapeOf.get(n)!);
      const inDtypes = node.inputs.map((n) => dtypeOf.get(n)!);
      dtypeOf.set(node.name, node.layer.outputDtype(inDtypes));
      if (node.layer.isAlias) {
        valueOf.set(node.name, ins[0]);
        shapeOf.set(node.name, [batch, ...node.outputShape]);
        continue;
      }
      const fused: string[] = [];
      let folded: Folded | undefined;
      let clamp: Clamp | undefined;
      let activation: LowerOptions['activation'];
      let last = node;
      const next = (n: typeof node) => nodes.find((m) => m.inputs.length === 1 && m.inputs[0] === n.name);
      const qf = fuse ? fuseQs8(nodes, i, inShapes, single) : null; // int8: quantize / pool / dequantize folded in
      if (qf) ({ last } = qf), fused.push(...qf.fused), qf.fused.forEach((f) => skip.add(f)), dtypeOf.set(last.name, qf.dtype);
      // each layer says what it can absorb: a following batch norm folded into a convolution's
      // weights, a following activation clamped in the store
      if (!qf && fuse && single(node.name)) {
        const nx = next(node);
        const f = nx ? node.layer.fold(nx.layer) : null;
        if (nx && f) {
          folded = f;
          owned.push(f.weight, f.bias);
          fused.push(nx.name);
          skip.add(nx.name);
          last = nx;
        }
      }
      if (!qf && fuse && node.layer.takesClamp && single(last.name)) {
        const act = next(last);
        // a clamp (ReLU, ReLU6) into any such layer; hardswish / SiLU where the layer takes them
        const e = act ? act.layer.epilogueAtInference() : null;
        if (act && e && (e.kind === 'clamp' || node.layer.takesActivation)) {
          if (e.kind === 'clamp') clamp = { min: e.min, max: e.max };
          else activation = e.kind;
          fused.push(act.name);
          skip.add(act.name);
          last = act;
        }
      }
      const lowering = { clamp, activation, folded, dtypes: inDtypes };
      const prepared = qf ? qf.prepared : node.layer.lower(inShapes, lowering);
      const out = shapes.length;
      shapes.push(prepared.outShape);
      dtypes.push(dtypeOf.get(last.name)!);
      const relower = (stride: number) => {
        let q: Prepared | null = null;
        try {
          q = node.layer.lower(inShapes, { ...lowering, outImageStride: stride });
        } catch {
          return null;
        }
        if (q.outImageStride === stride) return q;
        q.dispose();
        return null;
      };
      const info = prepared.algorithm ? { name: node.name, fused, algorithm: prepared.algorithm } : { name: node.name, fused };
      steps.push({ name: node.name, prepared, inputs: ins, output: out, args: ins.map(() => 0), info, relower });
      valueOf.set(node.name, out);
      shapeOf.set(node.name, prepared.outShape);
      for (const f of fused) {
        valueOf.set(f, out);
        shapeOf.set(f, prepared.outShape);
        dtypeOf.set(f, dtypes[out]);
      }
    }
  } catch (e) {
    for (const s of steps) s.prepared.dispose();
    for (const t of owned) t.dispose();
    throw e;
  }

  // lifetimes by step index; the output lives to the end; the input is the caller's (not in the arena)
  const outValue = valueOf.get(outName)!;
  const outShape = shapeOf.get(outName)!;
  const joins = inPlace ? placeJoins(steps, outValue, batch) : { steps, placed: new Map(), slices: [] };
  steps = joins.steps;
  const first = new Array<number>(shapes.length).fill(-1);
  const lastUse = new Array<number>(shapes.length).fill(-1);
  steps.forEach((s, k) => {
    first[s.output] = k;
    lastUse[s.output] = Math.max(lastUse[s.output], k);
    for (const v of s.inputs) lastUse[v] = Math.max(lastUse[v], k);
  });
  lastUse[outValue] = steps.length;
  // a value inside a concat's output: that buffer lives from the first write into it to the last read
  for (const v of joins.placed.keys()) {
    const r = rootOf(joins.placed, v).into;
    if (first[v] >= 0) first[r] = first[r] < 0 ? first[v] : Math.min(first[r], first[v]);
    lastUse[r] = Math.max(lastUse[r], lastUse[v]);
  }
  const ids = shapes.map((_, v) => v).filter((v) => v !== 0 && first[v] >= 0 && !joins.placed.has(v));
  const life: Lifetime[] = ids.map((v) => ({ bytes: (dtypes[v] === 'int8' ? 1 : 4) * shapes[v].reduce((a, b) => a * b, 1), first: first[v], last: lastUse[v] }));
  const plan = planArena(life);
  const scratchBytes = Math.max(0, ...steps.map((s) => s.prepared.scratchBytes));
  const h = heap();
  let arena = 0, scratch = 0;
  try {
    arena = h.alloc(Math.max(plan.size, 16));
    scratch = scratchBytes > 0 ? h.alloc(scratchBytes) : 0;
  } catch (e) {
    if (arena > 0) h.release(arena);
    for (const s of steps) s.prepared.dispose();
    for (const t of owned) t.dispose();
    throw e;
  }
  const addr = new Array<number>(shapes.length).fill(0);
  ids.forEach((v, k) => (addr[v] = arena + plan.offsets[k]));
  for (const v of joins.placed.keys()) {
    const r = rootOf(joins.placed, v);
    addr[v] = addr[r.into] + r.offset;
  }
  return new CompiledModel({
    batchSize: batch,
    inputShape: shapes[0],
    outputShape: outShape,
    steps,
    addr,
    arena,
    scratch,
    owned,
    outValue,
    outDtype: dtypeOf.get(outName)!,
    info: { batchSize: batch, steps: steps.map((s) => s.info), arenaBytes: plan.size, scratchBytes, unsharedBytes: plan.total, slices: joins.slices },
  });
}
