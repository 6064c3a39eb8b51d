// Shape-preserving single-input layers without parameters.
import { Layer } from './layer.js';
import type { Shape } from '../tensor.js';

export abstract class ElementwiseLayer extends Layer {
  outputShape(inputs: readonly Shape[]): Shape {
    return this.one(inputs).slice();
  }
}
