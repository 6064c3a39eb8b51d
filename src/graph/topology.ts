// Building a DAG from named nodes: name checks, topological order (Kahn), cycle and dangling-input
// detection, per-node shape inference. Every error names the nodes and the shapes involved.
import type { Layer } from '../nn/layer.js';
import type { Shape } from '../tensor.js';

export interface NodeSpec {
  /** Unique node name (also the layer's name). */
  name: string;
  layer: Layer;
  /** Names of graph inputs or other nodes; one string for a single input. */
  inputs: string | readonly string[];
}

export interface GraphNode {
  readonly name: string;
  readonly layer: Layer;
  readonly inputs: readonly string[];
  readonly inputShapes: readonly Shape[];
  readonly outputShape: Shape;
}

export class GraphError extends Error {
  constructor(message: string) {
    super(message);
    this.name = 'GraphError';
  }
}

const fmt = (s: Shape) => `[${s.join(', ')}]`;

/** Validates the spec and returns the nodes in topological order with their shapes. */
export function buildTopology(
  inputs: Readonly<Record<string, Shape>>,
  specs: readonly NodeSpec[],
  outputs: readonly string[],
): GraphNode[] {
  const inputNames = Object.keys(inputs);
  if (inputNames.length === 0) throw new GraphError('graph: it needs at least one input (inputs: { name: [C, H, W] })');
  for (const [n, s] of Object.entries(inputs)) {
    if (!Array.isArray(s) || s.length === 0 || s.some((d) => !Number.isInteger(d) || d < 1)) {
      throw new GraphError(`graph: input '${n}' has shape ${JSON.stringify(s)}; give the per-sample shape as positive integers, e.g. [1, 32, 32]`);
    }
  }
  const byName = new Map<string, NodeSpec>();
  const layers = new Map<Layer, string>();
  for (const spec of specs) {
    if (typeof spec.name !== 'string' || spec.name === '') throw new GraphError('graph: every node needs a non-empty name');
    if (byName.has(spec.name) || inputNames.includes(spec.name)) throw new GraphError(`graph: the name '${spec.name}' is used twice`);
    if (!spec.layer || typeof spec.layer.outputShape !== 'function') throw new GraphError(`graph: node '${spec.name}' has no layer`);
    const other = layers.get(spec.layer);
    if (other !== undefined) throw new GraphError(`graph: nodes '${other}' and '${spec.name}' share one layer object; create a layer per node`);
    layers.set(spec.layer, spec.name);
    byName.set(spec.name, spec);
  }
  const ins = (s: NodeSpec) => (typeof s.inputs === 'string' ? [s.inputs] : [...s.inputs]);
  for (const spec of specs) {
    const list = ins(spec);
    if (list.length === 0) throw new GraphError(`graph: node '${spec.name}' has no inputs`);
    for (const i of list) {
      if (!byName.has(i) && !inputNames.includes(i)) {
        throw new GraphError(`graph: node '${spec.name}' takes input '${i}', which is neither a graph input (${inputNames.join(', ')}) nor a node`);
      }
    }
    const arity = spec.layer.inputs;
    const [lo, hi] = typeof arity === 'number' ? [arity, arity] : arity;
    if (list.length < lo || list.length > hi) {
      throw new GraphError(`graph: node '${spec.name}' (${spec.layer.type}) takes ${lo === hi ? lo : `${lo} to ${hi}`} input(s), got ${list.length}: ${list.join(', ')}`);
    }
  }
  if (outputs.length === 0) throw new GraphError('graph: it needs at least one output');
  for (const o of outputs) {
    if (!byName.has(o)) throw new GraphError(`graph: output '${o}' is not a node (nodes: ${[...byName.keys()].slice(0, 8).join(', ')}${byName.size > 8 ? ', …' : ''})`);
  }

  // Kahn's algorithm, keeping the spec order among ready nodes so results are stable.
  const indeg = new Map<string, number>();
  const users = new Map<string, string[]>();
  for (const spec of specs) {
    const deps = ins(spec).filter((i) => byName.has(i));
    indeg.set(spec.name, deps.length);
    for (const d of deps) users.set(d, [...(users.get(d) ?? []), spec.name]);
  }
  const order: NodeSpec[] = [];
  const ready = specs.filter((s) => indeg.get(s.name) === 0).map((s) => s.name);
  const pos = new Map(specs.map((s, i) => [s.name, i]));
  while (ready.length > 0) {
    ready.sort((a, b) => pos.get(a)! - pos.get(b)!);
    const n = ready.shift()!;
    order.push(byName.get(n)!);
    for (const u of users.get(n) ?? []) {
      indeg.set(u, indeg.get(u)! - 1);
      if (indeg.get(u) === 0) ready.push(u);
    }
  }
  if (order.length < specs.length) throw new GraphError(`graph: it has a cycle: ${describeCycle(specs, byName, ins)}`);

  // Every input must be used and every node must lead to an output.
  const used = new Set(specs.flatMap(ins));
  for (const n of inputNames) if (!used.has(n)) throw new GraphError(`graph: input '${n}' is dangling: no node uses it`);
  const live = new Set<string>();
  const stack = [...outputs];
  while (stack.length) {
    const n = stack.pop()!;
    if (live.has(n)) continue;
    live.add(n);
    const s = byName.get(n);
    if (s) stack.push(...ins(s));
  }
  for (const s of specs) {
    if (!live.has(s.name)) throw new GraphError(`graph: node '${s.name}' is dangling: it leads to no output (outputs: ${outputs.join(', ')})`);
  }
  for (const n of inputNames) {
    if (!live.has(n)) throw new GraphError(`graph: input '${n}' is dangling: it leads to no output`);
  }

  // Shape inference in topological order.
  const shapes = new Map<string, Shape>(Object.entries(inputs).map(([k, v]) => [k, v.slice()]));
  const nodes: GraphNode[] = [];
  for (const spec of order) {
    const inputList = ins(spec);
    const inputShapes = inputList.map((i) => shapes.get(i)!);
    spec.layer.name = spec.name;
    let out: Shape;
    try {
      out = spec.layer.outputShape(inputShapes);
    } catch (e) {
      const from = inputList.map((i, k) => `'${i}' ${fmt(inputShapes[k])}`).join(', ');
      throw new GraphError(`${(e as Error).message} [node '${spec.name}' fed by ${from}]`);
    }
    shapes.set(spec.name, out);
    nodes.push({ name: spec.name, layer: spec.layer, inputs: inputList, inputShapes, outputShape: out });
  }
  return nodes;
}

function describeCycle(specs: readonly NodeSpec[], byName: Map<string, NodeSpec>, ins: (s: NodeSpec) => string[]): string {
  // walk from any node on a cycle: follow the first input that is itself a node until a repeat
  const color = new Map<string, number>();
  const path: string[] = [];
  const visit = (n: string): string[] | null => {
    color.set(n, 1);
    path.push(n);
    for (const i of ins(byName.get(n)!)) {
      if (!byName.has(i)) continue;
      if (color.get(i) === 1) return [...path.slice(path.indexOf(i)), i];
      if (!color.has(i)) {
        const c = visit(i);
        if (c) return c;
      }
    }
    path.pop();
    color.set(n, 2);
    return null;
  };
  for (const s of specs) {
    if (!color.has(s.name)) {
      const c = visit(s.name);
      if (c) return c.reverse().map((x) => `'${x}'`).join(' → ');
    }
  }
  return 'unknown';
}
