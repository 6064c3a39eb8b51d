// Sequential: a chain of layers, as torch.nn.Sequential, built on Graph.
import type { Shape } from '../tensor.js';
import type { Layer } from '../nn/layer.js';
import { Graph } from './graph.js';
import { GraphError } from './topology.js';

export interface SequentialOptions {
  /** Per-sample input shape, e.g. [1, 32, 32] (C, H, W) or [784]. */
  inputShape: Shape;
  seed?: number;
}

export class Sequential extends Graph {
  constructor(layers: readonly Layer[], options: SequentialOptions) {
    if (!Array.isArray(layers) || layers.length === 0) throw new GraphError('Sequential: give a non-empty array of layers');
    if (!options || !Array.isArray(options.inputShape)) {
      throw new GraphError('Sequential: give { inputShape: [C, H, W] } (the per-sample shape, without the batch)');
    }
    const counts = new Map<string, number>();
    const names = layers.map((l, i) => {
      if (!l || typeof l.outputShape !== 'function') throw new GraphError(`Sequential: element ${i} is not a layer`);
      if (l.name) return l.name;
      const k = (counts.get(l.type) ?? 0) + 1;
      counts.set(l.type, k);
      return `${l.type.toLowerCase()}${k}`;
    });
    super({
      inputs: { input: options.inputShape },
      nodes: layers.map((layer, i) => ({ name: names[i], layer, inputs: i === 0 ? 'input' : names[i - 1] })),
      outputs: names[names.length - 1],
      seed: options.seed,
    });
  }
}
