// Freezing and surgery on a graph's nodes: which nodes a freeze names, which node outputs need a
// gradient (so that backward skips frozen stems), and the node lists of replace and truncate.
import type { Layer } from '../nn/layer.js';
import { describe } from '../ops/validate.js';
import { GraphError, type GraphNode, type NodeSpec } from './topology.js';

/** What freeze()/unfreeze() take: node names, a predicate over (layer, name), or nothing (every layer). */
export type LayerSelector = string | readonly string[] | ((layer: Layer, name: string) => boolean);

/** The nodes a selector names, in graph order; an unknown name is an error naming it. */
export function selectNodes(nodes: readonly GraphNode[], op: string, which?: LayerSelector): GraphNode[] {
  if (which === undefined) return [...nodes];
  if (typeof which === 'function') return nodes.filter((n) => which(n.layer, n.name) === true);
  const names = typeof which === 'string' ? [which] : which;
  if (!Array.isArray(names)) throw new TypeError(`${op}: give node names (a string or an array), a predicate (layer, name) => boolean, or nothing; got ${describe(which)}`);
  return names.map((name) => {
    const n = nodes.find((m) => m.name === name);
    if (n === undefined) {
      throw new GraphError(`${op}: no node named ${describe(name)} (nodes: ${nodes.slice(0, 12).map((m) => m.name).join(', ')}${nodes.length > 12 ? ', …' : ''})`);
    }
    return n;
  });
}

/**
 * For each node, whether backward must reach it: its layer has a trainable parameter, or a
 * node before it does (or a graph input whose gradient is asked for). Nodes that need none run
 * as at inference in a training pass when frozen, and backward skips them.
 */
export function gradientNeeds(nodes: readonly GraphNode[], inputNames: readonly string[], inputGrads: boolean): boolean[] {
  const need = new Map<string, boolean>(inputNames.map((n) => [n, inputGrads]));
  return nodes.map((n) => {
    const v = n.layer.params().some((p) => p.trainable) || n.inputs.some((i) => need.get(i) === true);
    need.set(n.name, v);
    return v;
  });
}

/** The node specs with `name`'s layer swapped for `layer`. */
export function replacedSpecs(nodes: readonly GraphNode[], name: string, layer: Layer): NodeSpec[] {
  return nodes.map((n) => ({ name: n.name, layer: n.name === name ? layer : n.layer, inputs: n.inputs }));
}

/** The nodes `name` depends on (itself included), in graph order, and the graph inputs they read. */
export function ancestors(nodes: readonly GraphNode[], inputNames: readonly string[], name: string): { specs: NodeSpec[]; inputs: string[] } {
  const want = new Set([name]);
  for (let i = nodes.length - 1; i >= 0; i--) if (want.has(nodes[i].name)) for (const x of nodes[i].inputs) want.add(x);
  return {
    specs: nodes.filter((n) => want.has(n.name)).map((n) => ({ name: n.name, layer: n.layer, inputs: n.inputs })),
    inputs: inputNames.filter((n) => want.has(n)),
  };
}
