// Gradients through whole graphs: a residual block and an inception block against central
// differences of L = Σ y ⊙ r, for the input and for parameters. Smooth activations (the ReLU
// family's kink would be crossed by ±eps) and distinct inputs (max pooling's argmax stays put);
// each kernel's own backward is checked at its kinks in its family's tests.
import { beforeAll, describe, expect, it } from 'vitest';
import { Graph, GraphBuilder, Tensor, nn, memoryInfo } from '../src/index.js';
import { ready, randArray, distinctArray, fdCheck, expectCanariesIntact } from './helpers.js';

beforeAll(ready);

function residual(): Graph {
  const b = new GraphBuilder({ x: [4, 6, 6] });
  let y = b.add('conv1', new nn.Conv2d(4, 4, 3, { padding: 1, bias: false }), 'x'); // batch norm follows
  y = b.add('bn1', new nn.BatchNorm2d(4), y);
  y = b.add('act1', new nn.Tanh(), y);
  y = b.add('conv2', new nn.Conv2d(4, 4, 3, { padding: 1 }), y);
  const sum = b.add('add', new nn.Add(), [y, 'x']); // fan-out of x: the shortcut and conv1
  const t = b.add('act2', new nn.Sigmoid(), sum);
  const p = b.add('pool', new nn.AvgPool2d(2), t);
  const f = b.add('flat', new nn.Flatten(), p);
  b.add('fc', new nn.Linear(4 * 3 * 3, 5), f);
  return b.build('fc', 3);
}

function inception(): Graph {
  const b = new GraphBuilder({ x: [3, 5, 5] });
  const b1 = b.add('b1', new nn.Conv2d(3, 2, 1), 'x');
  const b2r = b.add('b2r', new nn.Conv2d(3, 2, 1), 'x');
  const b2 = b.add('b2', new nn.Conv2d(2, 3, 3, { padding: 1 }), b2r);
  const b3 = b.add('b3', new nn.Conv2d(3, 2, 5, { padding: 2 }), 'x');
  const p = b.add('p', new nn.MaxPool2d(3, { stride: 1, padding: 1 }), 'x');
  const b4 = b.add('b4', new nn.Conv2d(3, 2, 1), p);
  const cat = b.add('cat', new nn.Concat(1), [b1, b2, b3, b4]);
  const s = b.add('sig', new nn.Sigmoid(), cat);
  const g = b.add('gap', new nn.GlobalAvgPool2d(), s);
  const f = b.add('flat', new nn.Flatten(), g);
  b.add('fc', new nn.Linear(9, 4), f);
  return b.build('fc', 5);
}

function check(name: string, build: () => Graph, xShape: number[]) {
  it(`${name}: input and parameter gradients match central differences`, () => {
    const m = build();
    const base = memoryInfo().bytesInUse;
    // distinct inputs 0.05 apart keep max pooling's argmax stable under ±eps
    const x = distinctArray(xShape.reduce((a, b) => a * b, 1), 11, 0.025);
    const outSize = 2 * m.outputShape[0];
    const r = randArray(outSize, 12);
    // analytic: one training pass (batch statistics for batch norm), then backward
    m.zeroGrad();
    const xt = Tensor.from(x, xShape);
    m.forward(xt, { training: true });
    const seed = Tensor.from(r, [2, m.outputShape[0]]);
    const grads = m.backward(seed, { inputGrads: true });
    seed.dispose();
    const dx = grads.x.toFloat32Array();
    grads.x.dispose();
    xt.dispose();
    // the numeric side must use the same (training-mode) function: batch norm's batch statistics
    const fwd = (xs: Float32Array) => {
      const xt2 = Tensor.from(xs, xShape);
      const y = m.forward(xt2, { training: true }).output.toFloat32Array();
      m.releaseActivations();
      xt2.dispose();
      return y;
    };
    const paramGrads = m.namedParams().filter((p) => p.param.trainable).map((p) => ({ ...p, g: p.param.grad!.toFloat32Array() }));
    fdCheck({ x, shape: xShape, r, forward: fwd, analytic: dx, what: `${name} dL/dx`, eps: 1e-2 });
    for (const p of paramGrads) {
      const orig = p.param.value.toFloat32Array();
      const fwdP = (w: Float32Array) => {
        p.param.assign(w);
        const y = fwd(x);
        return y;
      };
      fdCheck({ x: orig, shape: p.param.shape, r, forward: fwdP, analytic: p.g, what: `${name} dL/d${p.name}`, samples: 12, eps: 1e-2 });
      p.param.assign(orig);
    }
    expectCanariesIntact(name);
    m.dispose();
    expect(memoryInfo().bytesInUse).toBeLessThanOrEqual(base);
  });
}

describe('gradients through graphs (fan-out and fan-in)', () => {
  check('residual block', residual, [2, 4, 6, 6]);
  check('inception block', inception, [2, 3, 5, 5]);
});
