// A user-defined layer, written here (outside src/) with the public API only: subclass nn.Layer,
// register the type, and it trains with fit, compiles, saves, loads and summarises like a built-in.
import { beforeAll, describe, expect, it } from 'vitest';
import { GraphBuilder, Sequential, Tensor, compile, fit, io, memoryInfo, nn, ops, type Shape } from '../src/index.js';
import { fdCheck, layerForward, randArray, ready, rng } from './helpers.js';

beforeAll(ready);

/** Swish / SiLU: y = x·sigmoid(x), dy/dx = s + x·s·(1 − s). */
class Swish extends nn.Layer {
  readonly type = 'Swish';
  private saved: { x: Tensor; s: Tensor } | null = null;
  outputShape(inputs: readonly Shape[]): Shape {
    return this.one(inputs).slice();
  }
  forward(inputs: readonly Tensor[], training = false): Tensor {
    this.release();
    const s = ops.sigmoid(inputs[0]);
    const y = ops.mul(inputs[0], s);
    if (training) this.saved = { x: inputs[0], s };
    else s.dispose();
    return y;
  }
  backward(dy: Tensor): Tensor[] {
    if (this.saved === null) throw new Error('Swish: backward before a training forward');
    const { x, s } = this.saved;
    const dyx = ops.mul(dy, x);
    const a = ops.sigmoidBackward(dyx, s); // dy·x·s·(1 − s)
    const b = ops.mul(dy, s);
    const dx = ops.add(a, b);
    dyx.dispose(); a.dispose(); b.dispose();
    return [dx];
  }
  release(): void {
    this.saved?.s.dispose();
    this.saved = null;
  }
  config() {
    return {};
  }
}

/** A learnable scale per channel: y[n, c] = x[n, c]·w[c]; a parameter the native format must carry. */
class ChannelScale extends nn.Layer {
  readonly type = 'ChannelScale';
  readonly channels: number;
  readonly weight: nn.Param;
  private saved: Tensor | null = null;
  constructor(channels: number, name?: string) {
    super(name);
    this.channels = channels;
    this.weight = this.addParam({ name: 'weight', shape: [channels, 1, 1], init: 'ones' });
  }
  outputShape(inputs: readonly Shape[]): Shape {
    const s = this.one(inputs);
    if (s.length !== 3 || s[0] !== this.channels) throw this.shapeError(inputs, `it needs [${this.channels}, H, W]`);
    return s.slice();
  }
  forward(inputs: readonly Tensor[], training = false): Tensor {
    this.saved = training ? inputs[0] : null;
    return ops.mul(inputs[0], this.weight.value);
  }
  backward(dy: Tensor): Tensor[] {
    const x = this.saved;
    if (x === null) throw new Error('ChannelScale: backward before a training forward');
    const dyx = ops.mul(dy, x);
    const [full, dw] = ops.addBackward(dyx, x.shape, this.weight.shape); // dw = Σ over n, h, w of dy·x
    ops.accumulate(this.weight.gradBuffer(), dw);
    full.dispose(); dw.dispose(); dyx.dispose();
    return [ops.mul(dy, this.weight.value)];
  }
  release(): void {
    this.saved = null;
  }
  config() {
    return { channels: this.channels };
  }
}

let registered = false;
function register() {
  if (registered) return;
  nn.registerLayer('Swish', (_c, name) => {
    const l = new Swish(name);
    return l;
  });
  nn.registerLayer('ChannelScale', (c, name) => new ChannelScale(c.channels as number, name));
  registered = true;
}

function net(seed = 5) {
  return new Sequential(
    [
      new nn.Conv2d(1, 4, 3, { padding: 1 }), new ChannelScale(4, 'scale'), new Swish('swish'), new nn.MaxPool2d(2),
      new nn.Flatten(), new nn.Linear(4 * 4 * 4, 3),
    ],
    { inputShape: [1, 8, 8], seed },
  );
}

function toyData(n: number, seed: number) {
  const r = rng(seed);
  const x = new Float32Array(n * 64);
  const y = new Int32Array(n);
  for (let i = 0; i < n; i++) {
    const c = i % 3;
    y[i] = c;
    const k = Math.floor(r() * 8);
    for (let j = 0; j < 64; j++) x[i * 64 + j] = 0.3 * (r() - 0.5);
    for (let t = 0; t < 8; t++) x[i * 64 + (c === 0 ? k * 8 + t : c === 1 ? t * 8 + k : t * 8 + t)] += 1;
  }
  return { x: Tensor.from(x, [n, 1, 8, 8]), y };
}

describe('user-defined layers', () => {
  it("Swish's backward matches central differences", () => {
    const shape = [2, 3, 5];
    const xs = randArray(30, 1, -3, 3);
    const r = randArray(30, 2);
    const l = new Swish();
    const x = Tensor.from(xs, shape);
    const y = l.forward([x], true);
    const dy = Tensor.from(r, shape);
    const [dx] = l.backward(dy);
    fdCheck({ x: xs, shape, r, forward: layerForward(l, shape), analytic: dx.toFloat32Array(), eps: 1e-2, rtol: 2e-2, what: 'Swish dx' });
    l.dispose();
    for (const t of [x, y, dy, dx]) t.dispose();
  });

  it('trains with fit, compiles, saves, reloads and summarises like a built-in', async () => {
    register();
    const before = memoryInfo().liveTensors;
    const m = net();
    const d = toyData(24, 3);
    const scale0 = (m.node('scale').layer as ChannelScale).weight.value.toFloat32Array();
    const h = await fit(m, d, { epochs: 40, batchSize: 8, optimizer: 'adam', learningRate: 0.01, seed: 3 });
    const losses = h.epochs.map((e) => e.loss);
    expect(losses[losses.length - 1]).toBeLessThan(losses[0] * 0.5);
    // the custom parameter was trained
    const scale1 = (m.node('scale').layer as ChannelScale).weight.value.toFloat32Array();
    expect(Array.from(scale1)).not.toEqual(Array.from(scale0));

    const eager = m.predict(d.x);
    const want = eager.toFloat32Array();
    // compiled: the custom layers run their own forward inside the plan
    const plan = compile(m, { batchSize: 24 });
    expect(plan.info.steps.map((s) => s.name)).toContain('swish');
    const got = plan.run(d.x).toFloat32Array();
    for (let i = 0; i < want.length; i++) expect(got[i]).toBeCloseTo(want[i], 5);
    plan.dispose();

    // saved and reloaded through the registry: same outputs, bit for bit
    const bytes = io.save(m);
    const back = io.load(bytes);
    expect(back.nodes.map((n) => n.layer.type)).toEqual(m.nodes.map((n) => n.layer.type));
    expect(back.node('swish').layer).toBeInstanceOf(Swish);
    const y2 = back.predict(d.x);
    expect(Array.from(y2.toFloat32Array())).toEqual(Array.from(want));
    // summary lists them with their parameter counts
    const s = back.summary();
    expect(s).toMatch(/scale\s+ChannelScale/);
    expect(s).toMatch(/swish\s+Swish/);

    for (const t of [eager, y2, d.x]) t.dispose();
    m.dispose();
    back.dispose();
    expect(memoryInfo().liveTensors).toBe(before);
  });

  it('works in a Graph built with GraphBuilder (a custom layer output consumed twice)', () => {
    register();
    const b = new GraphBuilder({ x: [2, 4, 4] });
    const x = 'x';
    const a = b.add('sw', new Swish(), x);
    const c = b.add('cs', new ChannelScale(2), a);
    const y = b.add('sum', new nn.Add(), [a, c]);
    const g = b.build([y], 2);
    const t = Tensor.from(randArray(32, 4), [1, 2, 4, 4]);
    const out = g.predict(t);
    const plan = compile(g);
    const pc = plan.run(t).toFloat32Array();
    expect(Array.from(pc)).toEqual(Array.from(out.toFloat32Array()));
    plan.dispose(); out.dispose(); t.dispose(); g.dispose();
  });

  it('an unregistered type fails to load with a message naming it and nn.registerLayer', () => {
    register();
    const m = new Sequential([new nn.Flatten(), new Unknown('mystery')], { inputShape: [2, 2] });
    const bytes = io.save(m);
    expect(() => io.load(bytes)).toThrow(/unknown layer type 'Mystery'.*nn\.registerLayer\('Mystery'/);
    m.dispose();
  });

  it('io.toONNX refuses a custom layer without an ONNX form, naming the layer', () => {
    const m = new Sequential([new Swish('act')], { inputShape: [3] });
    expect(() => io.toONNX(m)).toThrow(/layer 'act' \(Swish\) cannot be exported: layer type 'Swish' has no ONNX form/);
    m.dispose();
  });

  it('registerLayer checks its arguments and protects the built-in types', () => {
    expect(() => nn.registerLayer('Conv2d', () => new Swish())).toThrow(/built-in layer type/);
    expect(() => nn.registerLayer('', () => new Swish())).toThrow(/type must be a name/);
    expect(() => nn.registerLayer('X', 42 as never)).toThrow(/factory for 'X' must be a function/);
    expect(nn.layerTypes()).toContain('Conv2d');
  });
});

class Unknown extends nn.Layer {
  readonly type = 'Mystery';
  outputShape(inputs: readonly Shape[]): Shape {
    return this.one(inputs).slice();
  }
  forward(inputs: readonly Tensor[]): Tensor {
    return inputs[0].clone();
  }
  config() {
    return {};
  }
}
