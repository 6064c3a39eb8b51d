// Ensemble: the average of several classifiers' class probabilities (the lecture's AlexNet result:
// seven CNNs together took top-5 error from 18.2% to 15.4%).
import type { Tensor } from '../tensor.js';
import { softmax } from '../ops/softmax.js';
import { accumulate, scale } from '../ops/index.js';
import { Graph } from './graph.js';
import { GraphError } from './topology.js';

export class Ensemble {
  readonly models: readonly Graph[];

  constructor(models: readonly Graph[]) {
    if (!Array.isArray(models) || models.length === 0) throw new GraphError('Ensemble: give a non-empty array of models');
    models.forEach((m, i) => {
      if (!(m instanceof Graph)) throw new GraphError(`Ensemble: element ${i} is not a model`);
    });
    const sig = (m: Graph) => JSON.stringify([m.inputNames.map((n) => m.inputShapes[n]), m.outputShape]);
    const first = sig(models[0]);
    models.forEach((m, i) => {
      if (sig(m) !== first) {
        throw new GraphError(`Ensemble: model ${i} takes/gives ${sig(m)}, model 0 ${first}; every member needs the same input and output shapes`);
      }
    });
    if (models[0].outputShape.length !== 1) throw new GraphError(`Ensemble: members must output class scores [classes], got [${models[0].outputShape.join(', ')}]`);
    this.models = models.slice();
  }

  /** Mean of the members' softmax probabilities, [N, classes]. */
  predict(x: Tensor): Tensor {
    let sum: Tensor | null = null;
    try {
      for (const m of this.models) {
        const logits = m.predict(x);
        const p = softmax(logits, -1);
        logits.dispose();
        if (sum === null) sum = p;
        else {
          accumulate(sum, p);
          p.dispose();
        }
      }
      const mean = scale(sum!, 1 / this.models.length);
      return mean;
    } finally {
      sum?.dispose();
    }
  }
}
