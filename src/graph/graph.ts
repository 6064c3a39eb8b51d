// Graph: a DAG of named layers with several inputs and outputs. Shapes are inferred when it is
// built; forward passes free each intermediate as soon as its last reader has run.
import { Tensor, type Shape } from '../tensor.js';
import type { Layer } from '../nn/layer.js';
import type { Param } from '../nn/param.js';
import { mixSeed } from '../random.js';
import { tensorArg, intArg, knownOptions } from '../ops/validate.js';
import { predictInBatches } from './batching.js';
import { accumulate } from '../ops/index.js';
import { buildTopology, GraphError, type GraphNode, type NodeSpec } from './topology.js';
import { ancestors, gradientNeeds, replacedSpecs, selectNodes, type LayerSelector } from './surgery.js';
import { summarize, type SummaryOptions } from './summary.js';

export interface GraphSpec {
  /** Per-sample input shapes (without the batch dimension), by input name. */
  inputs: Readonly<Record<string, Shape>>;
  nodes: readonly NodeSpec[];
  /** Output node name(s); the first is what predict() returns. */
  outputs: string | readonly string[];
  /** Seed for the initialisation of every parameter (default 0). */
  seed?: number;
}

export interface ForwardOptions {
  /** Layers such as Dropout and BatchNorm behave as in training (default false). */
  training?: boolean;
  /** Node names whose outputs to return as well (they are not freed); '*' keeps every node. */
  keep?: readonly string[] | '*';
  /**
   * A training pass that backward() will be asked for input gradients (default false): frozen
   * layers before the first trainable one then record what their backward needs.
   */
  inputGrads?: boolean;
}

export interface ForwardResult {
  /** The first output. */
  output: Tensor;
  /** Every output by node name. */
  outputs: Record<string, Tensor>;
  /** The kept intermediate activations by node name (the caller disposes them). */
  kept: Record<string, Tensor>;
}

export type GraphInput = Tensor | Readonly<Record<string, Tensor>>;

export class Graph {
  readonly inputShapes: Readonly<Record<string, Shape>>;
  readonly inputNames: readonly string[];
  readonly outputNames: readonly string[];
  #nodes: readonly GraphNode[] = [];
  /** Free-form facts saved with the model file (dataset, accuracy, input normalisation, …). */
  metadata: Record<string, unknown> = {};
  private index = new Map<string, number>();
  private lastUse = new Map<string, number>();
  private seedValue = 0;
  /** What a training forward keeps for backward(): every value it made, the batch's inputs, which nodes need a gradient. */
  private tape: { values: Map<string, Tensor>; inputs: GraphInput; need: boolean[]; ran: boolean[] } | null = null;

  constructor(spec: GraphSpec) {
    if (spec === null || typeof spec !== 'object') throw new GraphError('Graph: give { inputs, nodes, outputs }');
    const outputs = typeof spec.outputs === 'string' ? [spec.outputs] : [...(spec.outputs ?? [])];
    this.setNodes(buildTopology(spec.inputs ?? {}, spec.nodes ?? [], outputs));
    this.inputShapes = Object.fromEntries(Object.entries(spec.inputs).map(([k, v]) => [k, Object.freeze(v.slice())]));
    this.inputNames = Object.keys(spec.inputs);
    this.outputNames = outputs;
    this.seed(spec.seed ?? 0);
  }

  /** The nodes in topological order, with their inferred shapes. */
  get nodes(): readonly GraphNode[] {
    return this.#nodes;
  }

  private setNodes(nodes: readonly GraphNode[]): void {
    this.#nodes = nodes;
    this.index = new Map(nodes.map((n, i) => [n.name, i]));
    this.lastUse = new Map();
    nodes.forEach((n, i) => n.inputs.forEach((x) => this.lastUse.set(x, i)));
  }

  /** Re-seeds the initialisation of every parameter that is not materialised yet, and dropout masks. */
  seed(seed: number): void {
    this.seedValue = seed >>> 0;
    this.nodes.forEach((n, i) => n.layer.seed(mixSeed(seed, i)));
  }

  /**
   * Freezes layers: node names, a predicate (layer, name) => boolean, or nothing for every layer.
   * Frozen parameters keep their values through fit, get no gradient (their weight-gradient kernels
   * are skipped, and so is the backward pass of every frozen layer before the first trainable one),
   * and a frozen layer computes as at inference in training passes (see Layer.trainable).
   */
  freeze(which?: LayerSelector): this {
    for (const n of selectNodes(this.nodes, 'freeze', which)) n.layer.trainable = false;
    return this;
  }

  /** Makes layers trainable again (same selectors as freeze). */
  unfreeze(which?: LayerSelector): this {
    for (const n of selectNodes(this.nodes, 'unfreeze', which)) n.layer.trainable = true;
    return this;
  }

  /**
   * Puts `layer` in node `name`'s place (as PyTorch's `model.fc = …`) and re-runs shape inference;
   * when the new layer does not fit, throws a GraphError saying why and leaves the model as it was.
   * Returns the layer it replaced, which the caller now owns (dispose it, or use it elsewhere).
   */
  replace(name: string, layer: Layer): Layer {
    const old = this.node(name).layer;
    if (layer === null || typeof layer !== 'object' || typeof layer.outputShape !== 'function') {
      throw new TypeError(`replace: give a layer for node '${name}', got ${typeof layer === 'object' ? String(layer) : typeof layer}`);
    }
    let nodes: GraphNode[];
    try {
      nodes = buildTopology(this.inputShapes, replacedSpecs(this.nodes, name, layer), this.outputNames);
    } catch (e) {
      throw new GraphError(`replace: the new ${layer.type} layer does not fit in place of node '${name}' (${old.type}): ${(e as Error).message}`);
    }
    this.releaseActivations();
    if (!layer.name) layer.name = name;
    layer.seed(mixSeed(this.seedValue, this.index.get(name)!, 0x5e1ace));
    this.setNodes(nodes);
    return old;
  }

  /**
   * A new model that ends at node `name` (a feature extractor): the nodes it depends on, sharing
   * their layers and parameters with this model (training one trains the other; dispose only one
   * of them). Metadata is copied, except classNames (the cut model no longer ends in the classes).
   */
  truncate(name: string): Graph {
    this.node(name);
    this.build(); // materialise every parameter, so that the new graph's seeding changes nothing
    const { specs, inputs } = ancestors(this.nodes, this.inputNames, name);
    const g = new Graph({ inputs: Object.fromEntries(inputs.map((n) => [n, this.inputShapes[n]])), nodes: specs, outputs: [name], seed: this.seedValue });
    const { classNames: _drop, ...meta } = this.metadata;
    g.metadata = structuredClone(meta);
    return g;
  }

  /** The node by name. */
  node(name: string): GraphNode {
    const i = this.index.get(name);
    if (i === undefined) throw new GraphError(`graph: no node named '${name}'`);
    return this.nodes[i];
  }

  get layers(): Layer[] {
    return this.nodes.map((n) => n.layer);
  }

  /** Per-sample output shape of the first output. */
  get outputShape(): Shape {
    return this.node(this.outputNames[0]).outputShape;
  }

  /** Every parameter and buffer with its qualified name 'node.param'. */
  namedParams(): { name: string; node: string; param: Param }[] {
    return this.nodes.flatMap((n) => n.layer.params().map((p) => ({ name: `${n.name}.${p.name}`, node: n.name, param: p })));
  }

  /** Trainable parameters (what an optimizer updates). */
  parameters(): Param[] {
    return this.namedParams().filter((p) => p.param.trainable).map((p) => p.param);
  }

  /** Number of learned parameters (buffers such as running statistics not included), as PyTorch counts. */
  get paramCount(): number {
    return this.parameters().reduce((a, p) => a + p.size, 0);
  }

  /** Elements in non-trainable buffers (batch norm's running statistics). */
  get bufferCount(): number {
    return this.namedParams().filter((p) => !p.param.trainable).reduce((a, p) => a + p.param.size, 0);
  }

  /** Allocates and initialises every parameter now (otherwise the first forward does). */
  build(): this {
    for (const p of this.namedParams()) void p.param.value;
    return this;
  }

  /**
   * Inference: the first output for a batch. Intermediates are freed; the caller disposes the
   * result. `batchSize` runs a large single-input batch that many samples at a time.
   */
  predict(x: GraphInput, options: { batchSize?: number } = {}): Tensor {
    knownOptions('predict', options, ['batchSize']);
    const first = (v: GraphInput, r = this.forward(v)) => { // the model's other outputs are freed
      for (const t of Object.values(r.outputs)) if (t !== r.output && !t.disposed) t.dispose();
      return r.output;
    };
    if (options.batchSize === undefined || !(x instanceof Tensor)) return first(x);
    const bs = intArg('predict', 'batchSize', options.batchSize, 1);
    return predictInBatches(first, tensorArg('predict', 'x', x), bs);
  }

  /**
   * A forward pass that can also return intermediate activations (keep) and run in training mode.
   * In training mode every activation stays alive until backward() (or the next forward).
   */
  forward(x: GraphInput, options: ForwardOptions = {}): ForwardResult {
    const training = options.training ?? false;
    const inputGrads = options.inputGrads ?? false;
    this.releaseActivations();
    // frozen layers before the first trainable one (a fine-tuned backbone) run as at inference
    const need = training ? gradientNeeds(this.nodes, this.inputNames, inputGrads) : [];
    const ran = this.nodes.map((n, i) => training && (need[i] || n.layer.trainable));
    const keepAll = options.keep === '*';
    const keepList = keepAll ? this.nodes.map((n) => n.name) : [...(options.keep ?? [])];
    for (const k of keepList) if (!this.index.has(k)) throw new GraphError(`forward: keep names '${k}', which is not a node of this model`);
    const keepSet = new Set(keepList);
    const outSet = new Set(this.outputNames);

    const values = new Map<string, Tensor>();
    const batch = this.bindInputs(x, values);
    // a layer may hand its input back (Dropout at inference): count owners per tensor
    const owners = new Map<Tensor, number>();
    for (const n of this.inputNames) owners.set(values.get(n)!, Infinity); // never freed here
    const release = (name: string) => {
      const t = values.get(name)!;
      values.delete(name);
      const c = (owners.get(t) ?? 0) - 1;
      if (c <= 0) {
        owners.delete(t);
        t.dispose();
      } else owners.set(t, c);
    };
    const retained = (name: string) => keepSet.has(name) || outSet.has(name);
    try {
      this.nodes.forEach((node, i) => {
        const args = node.inputs.map((n) => values.get(n)!);
        const y = node.layer.forward(args, ran[i]);
        const want = [batch, ...node.outputShape];
        if (y.rank !== want.length || y.shape.some((d, k) => d !== want[k])) {
          throw new GraphError(`node '${node.name}' (${node.layer.type}) produced [${y.shape.join(', ')}], expected [${want.join(', ')}]`);
        }
        values.set(node.name, y);
        owners.set(y, (owners.get(y) ?? 0) + 1);
        for (const n of new Set(node.inputs)) {
          if (!training && this.lastUse.get(n) === i && !retained(n)) release(n);
        }
      });
    } catch (e) {
      for (const t of values.values()) if (!isInput(t, x)) t.dispose();
      for (const n of this.nodes) n.layer.release();
      throw e;
    }
    if (training) this.tape = { values, inputs: x, need, ran };
    const outputs: Record<string, Tensor> = {};
    for (const o of this.outputNames) outputs[o] = values.get(o)!;
    const kept: Record<string, Tensor> = {};
    for (const k of keepList) kept[k] = values.get(k)!;
    // an output or kept value that is a graph input (identity layers) must not alias the caller's tensor;
    // in training mode the outputs stay owned by the tape, so the caller gets them without owning them
    for (const rec of [outputs, kept]) for (const k of Object.keys(rec)) if (isInput(rec[k], x)) rec[k] = rec[k].clone();
    return { output: outputs[this.outputNames[0]], outputs, kept };
  }

  /**
   * Backpropagates dL/d(output) through the graph recorded by the last forward(…, { training: true }):
   * every trainable parameter's grad gets its gradient added (call zeroGrad between steps).
   * Gradients fan in where a value feeds several nodes. Frees the recorded activations (the
   * outputs of that forward included). Returns dL/d(input) by input name when `inputGrads` is set.
   */
  backward(dOutput: Tensor | Readonly<Record<string, Tensor>>, options: { inputGrads?: boolean } = {}): Record<string, Tensor> {
    const tape = this.tape;
    if (tape === null) throw new GraphError('backward: run forward(x, { training: true }) first (the last forward was not a training pass)');
    const grads = new Map<string, Tensor>();
    const seeds: Record<string, Tensor> = dOutput instanceof Tensor ? { [this.outputNames[0]]: dOutput } : { ...dOutput };
    for (const [name, g] of Object.entries(seeds)) {
      if (!this.outputNames.includes(name)) throw new GraphError(`backward: '${name}' is not an output of this model`);
      const t = tensorArg('backward', `the gradient of '${name}'`, g);
      const want = tape.values.get(name)!.shape;
      if (t.rank !== want.length || t.shape.some((d, k) => d !== want[k])) {
        throw new RangeError(`backward: the gradient of '${name}' has shape [${t.shape.join(', ')}], the output has [${want.join(', ')}]`);
      }
      grads.set(name, t.clone());
    }
    const wantInputs = options.inputGrads ?? false;
    const need = wantInputs ? gradientNeeds(this.nodes, this.inputNames, true) : tape.need;
    const stale = this.nodes.findIndex((_, i) => need[i] && !tape.ran[i]);
    if (stale >= 0) {
      throw new GraphError(`backward: input gradients through the frozen layer '${this.nodes[stale].name}' need forward(x, { training: true, inputGrads: true })`);
    }
    try {
      for (let i = this.nodes.length - 1; i >= 0; i--) {
        const node = this.nodes[i];
        const g = grads.get(node.name);
        if (g === undefined) continue; // nothing downstream of this node reached the loss
        grads.delete(node.name);
        if (!need[i]) {
          g.dispose(); // frozen, and so is everything before it: no gradient to compute here
          continue;
        }
        let dxs: (Tensor | null)[];
        const needs = node.inputs.map((name) => (this.inputNames.includes(name) ? wantInputs : need[this.index.get(name)!]));
        try {
          dxs = node.layer.backward(g, needs);
        } finally {
          g.dispose();
        }
        node.inputs.forEach((name, k) => {
          const dx = dxs[k];
          if (dx === null) return;
          if (!needs[k]) {
            dx.dispose();
            return;
          }
          const acc = grads.get(name);
          if (acc === undefined) grads.set(name, dx);
          else {
            accumulate(acc, dx);
            dx.dispose();
          }
        });
      }
    } catch (e) {
      for (const t of grads.values()) t.dispose();
      this.releaseActivations();
      throw e;
    }
    const out: Record<string, Tensor> = {};
    for (const [name, t] of grads) {
      if (this.inputNames.includes(name)) out[name] = t;
      else t.dispose();
    }
    this.releaseActivations();
    return out;
  }

  /** Sets every parameter gradient to zero (keeping the buffers). */
  zeroGrad(): void {
    for (const p of this.parameters()) if (p.grad !== null && !p.grad.disposed) p.grad.fill(0);
  }

  /** Frees what a training forward recorded for backward() without running it (e.g. after a NaN loss). */
  releaseActivations(): void {
    const tape = this.tape;
    if (tape === null) return;
    this.tape = null;
    for (const n of this.nodes) n.layer.release();
    const seen = new Set<Tensor>();
    for (const t of tape.values.values()) {
      if (seen.has(t) || isInput(t, tape.inputs)) continue;
      seen.add(t);
      t.dispose();
    }
  }

  private bindInputs(x: GraphInput, values: Map<string, Tensor>): number {
    const named: Record<string, Tensor> =
      x instanceof Tensor ? (this.inputNames.length === 1 ? { [this.inputNames[0]]: x } : {}) : (x as Record<string, Tensor>);
    if (x instanceof Tensor && this.inputNames.length !== 1) {
      throw new GraphError(`forward: this model has ${this.inputNames.length} inputs (${this.inputNames.join(', ')}); pass { name: tensor }`);
    }
    let batch = -1;
    for (const name of this.inputNames) {
      const t = tensorArg('forward', `input '${name}'`, named[name]);
      const want = this.inputShapes[name];
      const ok = t.rank === want.length + 1 && want.every((d, k) => t.shape[k + 1] === d);
      if (!ok) {
        throw new RangeError(
          `forward: input '${name}' must have shape [N, ${want.join(', ')}], got [${t.shape.join(', ')}]` +
            (t.rank === want.length && want.every((d, k) => t.shape[k] === d) ? ' (add the batch dimension: reshape to [1, …])' : ''),
        );
      }
      if (batch >= 0 && t.shape[0] !== batch) throw new RangeError(`forward: inputs disagree on the batch size (${batch} vs ${t.shape[0]})`);
      batch = t.shape[0];
      values.set(name, t);
    }
    for (const k of Object.keys(named)) {
      if (!this.inputNames.includes(k)) throw new GraphError(`forward: '${k}' is not an input of this model (inputs: ${this.inputNames.join(', ')})`);
    }
    if (batch === 0) throw new RangeError('forward: the batch is empty (N = 0)');
    return batch;
  }

  /** A Keras-like table: layers, output shapes, parameters, multiply-adds, memory. */
  summary(options: SummaryOptions = {}): string {
    return summarize(this, options).text;
  }

  /** The numbers behind summary(). */
  summaryData(options: SummaryOptions = {}) {
    return summarize(this, options);
  }

  /** Frees every parameter and buffer. */
  dispose(): void {
    this.releaseActivations();
    for (const n of this.nodes) n.layer.dispose();
  }
}

function isInput(t: Tensor, x: GraphInput): boolean {
  return x instanceof Tensor ? t === x : Object.values(x).includes(t);
}
