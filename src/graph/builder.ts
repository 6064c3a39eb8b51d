// A small helper for building Graph specs in code: add(name, layer, inputs) returns the name so
// calls chain naturally, e.g. `x = b.add('conv1', new Conv2d(3, 64, 7), x)`.
import type { Shape } from '../tensor.js';
import type { Layer } from '../nn/layer.js';
import { Graph } from './graph.js';
import type { NodeSpec } from './topology.js';

export class GraphBuilder {
  private readonly nodes: NodeSpec[] = [];
  constructor(private readonly inputs: Record<string, Shape>) {}

  add(name: string, layer: Layer, inputs: string | readonly string[]): string {
    this.nodes.push({ name, layer, inputs });
    return name;
  }

  /** add() for a chain: each layer takes the previous one's output; returns the last name. */
  chain(from: string, layers: readonly [string, Layer][]): string {
    let x = from;
    for (const [name, layer] of layers) x = this.add(name, layer, x);
    return x;
  }

  build(outputs: string | readonly string[], seed?: number): Graph {
    return new Graph({ inputs: this.inputs, nodes: this.nodes, outputs, seed });
  }
}
