// Whole-model peers for bench/models.mjs: one simdnet model (sd.models.*, its own seeded
// initial weights) run three ways on the same weights and the same input:
//
// - simdnet: sd.compile(model, { batchSize }) → plan.run(x) (a view of the plan's arena).
// - onnxruntime-web: sd.io.toONNX(model, { batch }) (opset 13, the same weights as initializers),
//   wasm execution provider, numThreads 1, graphOptimizationLevel 'all' (as peers/ort.mjs).
// - tfjs-wasm: a small interpreter that walks model.nodes and builds tfjs ops in NHWC
//   (filters HWIO, dense [in, out]; Conv + bias + ReLU fused where a ReLU follows; inference-mode
//   BatchNorm; LRN with tfjs's depthRadius/alpha convention; NCHW flatten order restored by
//   permuting the first Linear's weight rows after a Flatten of a C×H×W map).
import { nchwToNhwc, oihwToHwio, transpose2d } from './common.mjs';

const pair = (v) => (Array.isArray(v) ? v : [v, v]);
const f32 = (p) => p.value.toFloat32Array();

/** simdnet: a compiled plan for [batch, ...inputShape]. */
export function simdnetModelTask(sd, model, batch, xData) {
  const inShape = model.inputShapes[model.inputNames[0]];
  const plan = sd.compile(model, { batchSize: batch });
  const x = sd.Tensor.from(xData, [batch, ...inShape]);
  return {
    run: () => { plan.run(x); },
    output: () => plan.run(x).toFloat32Array(),
    dispose() { plan.dispose(); x.dispose(); },
  };
}

/** onnxruntime-web on sd.io.toONNX(model). */
export async function ortModelTask(ort, sd, model, batch, xData) {
  const inShape = model.inputShapes[model.inputNames[0]];
  const bytes = sd.io.toONNX(model, { batch });
  const session = await ort.InferenceSession.create(bytes, { executionProviders: ['wasm'], graphOptimizationLevel: 'all' });
  const feeds = { [session.inputNames[0]]: new ort.Tensor('float32', xData, [batch, ...inShape]) };
  const out = session.outputNames[0];
  return {
    run: () => session.run(feeds),
    async output() { return (await session.run(feeds))[out].data; },
    dispose: () => session.release(),
    onnxBytes: bytes.length,
  };
}

/**
 * tfjs (backend already chosen by the caller): the graph of model.nodes as tfjs ops on NHWC.
 * Returns a task whose output() is the model output (NCHW order if it is a feature map).
 */
export function tfjsModelTask(tf, model, batch, xData) {
  const inName = model.inputNames[0];
  const inShape = model.inputShapes[inName];
  const owned = [];
  const keep = (t) => { owned.push(t); return t; };
  const shapeOf = new Map([[inName, inShape]]);
  for (const n of model.nodes) shapeOf.set(n.name, n.outputShape);
  // How many nodes consume each value (a ReLU is fused into a Conv/Linear only if it is the sole consumer).
  const uses = new Map();
  for (const n of model.nodes) for (const i of n.inputs) uses.set(i, (uses.get(i) ?? 0) + 1);
  const byName = new Map(model.nodes.map((n) => [n.name, n]));
  // Values whose layout is NHWC feature maps vs. flat; 'flatFrom' marks a flatten of a C×H×W map.
  const steps = []; // (env) => void
  const fusedRelu = new Set();
  const flatFromMap = new Map(); // value name → [c, h, w] when it is an NCHW-order flatten of a map

  for (const node of model.nodes) {
    const L = node.layer, name = node.name, src = node.inputs;
    const inS = shapeOf.get(src[0]);
    switch (L.type) {
      case 'Conv2d': {
        const w = L.weight.value;
        const [o, ci, kh, kw] = w.shape;
        const groups = L.groups ?? 1;
        if (groups !== 1) throw new Error(`${name}: grouped conv not mapped to tfjs`);
        const filter = keep(tf.tensor4d(oihwToHwio(f32(L.weight), w.shape), [kh, kw, ci, o]));
        const bias = L.bias ? keep(tf.tensor1d(f32(L.bias))) : undefined;
        const [sh, sw] = pair(L.stride), [ph, pw] = pair(L.padding), [dh, dw] = pair(L.dilation ?? 1);
        const pad = [[0, 0], [ph, ph], [pw, pw], [0, 0]];
        const consumers = model.nodes.filter((n) => n.inputs.includes(name));
        const relu = uses.get(name) === 1 && consumers[0]?.layer.type === 'ReLU' ? consumers[0].name : null;
        if (relu) fusedRelu.add(relu);
        steps.push((env) => {
          const y = tf.fused.conv2d({ x: env.get(src[0]), filter, bias, strides: [sh, sw], pad, dilations: [dh, dw], activation: relu ? 'relu' : 'linear' });
          env.set(name, y);
          if (relu) env.set(relu, y);
        });
        break;
      }
      case 'Linear': {
        const [out, inF] = L.weight.value.shape;
        let wData = f32(L.weight); // [out, in], in = NCHW flatten order
        // If the input is a flatten of an NHWC map, permute the weight's columns (c,h,w) → (h,w,c).
        const chw = flatFromMap.get(src[0]);
        if (chw && chw[1] * chw[2] > 1) {
          const [c, h, ww] = chw, hw = h * ww;
          const p = new Float32Array(wData.length);
          for (let r = 0; r < out; r++) {
            const ro = r * inF;
            for (let ch = 0; ch < c; ch++) for (let s = 0; s < hw; s++) p[ro + s * c + ch] = wData[ro + ch * hw + s];
          }
          wData = p;
        }
        const b = keep(tf.tensor2d(transpose2d(wData, [out, inF]), [inF, out]));
        const bias = L.bias ? keep(tf.tensor1d(f32(L.bias))) : undefined;
        const consumers = model.nodes.filter((n) => n.inputs.includes(name));
        const relu = uses.get(name) === 1 && consumers[0]?.layer.type === 'ReLU' ? consumers[0].name : null;
        if (relu) fusedRelu.add(relu);
        steps.push((env) => {
          const y = tf.fused.matMul({ a: env.get(src[0]), b, bias, activation: relu ? 'relu' : 'linear' });
          env.set(name, y);
          if (relu) env.set(relu, y);
        });
        break;
      }
      case 'ReLU':
        steps.push(fusedRelu.has(name) ? () => {} : (env) => env.set(name, tf.relu(env.get(src[0])))); // one step per node
        if (flatFromMap.has(src[0])) flatFromMap.set(name, flatFromMap.get(src[0]));
        break;
      case 'Dropout':
        steps.push((env) => env.set(name, env.get(src[0])));
        if (flatFromMap.has(src[0])) flatFromMap.set(name, flatFromMap.get(src[0]));
        break;
      case 'MaxPool2d':
      case 'AvgPool2d': {
        const [kh, kw] = pair(L.kernelSize), [sh, sw] = pair(L.stride ?? L.kernelSize), [ph, pw] = pair(L.padding ?? 0);
        if (L.ceilMode) throw new Error(`${name}: ceilMode pooling not mapped to tfjs`);
        const [, h, w] = inS, [, oh, ow] = node.outputShape;
        // tfjs pools take 'valid' | 'same' | a number; explicit symmetric padding: pad first (−∞ for max).
        const needPad = ph > 0 || pw > 0;
        const fn = L.type === 'MaxPool2d' ? tf.maxPool : tf.avgPool;
        if (needPad && L.type === 'AvgPool2d') throw new Error(`${name}: padded AvgPool2d not mapped`);
        steps.push((env) => {
          let x = env.get(src[0]);
          if (needPad) x = tf.pad(x, [[0, 0], [ph, ph], [pw, pw], [0, 0]], -3.4e38);
          const y = fn(x, [kh, kw], [sh, sw], 'valid');
          if (y.shape[1] !== oh || y.shape[2] !== ow) throw new Error(`${name}: tfjs pool gives ${y.shape}, expected ${oh}×${ow} (from ${h}×${w})`);
          env.set(name, y);
        });
        break;
      }
      case 'LocalResponseNorm': {
        const [before, after] = L.lrnWindow ?? [Math.floor(L.size / 2), Math.floor((L.size - 1) / 2)];
        if (before !== after) throw new Error(`${name}: asymmetric LRN window not mapped to tfjs`);
        // torch/simdnet: x / (k + alpha/size · Σ x²)^beta; tfjs: x / (bias + alpha · Σ x²)^beta over ±depthRadius.
        steps.push((env) => env.set(name, tf.localResponseNormalization(env.get(src[0]), before, L.k, L.alpha / L.size, L.beta)));
        break;
      }
      case 'BatchNorm2d': {
        const mean = keep(tf.tensor1d(f32(L.runningMean))), variance = keep(tf.tensor1d(f32(L.runningVar)));
        const scale = L.weight ? keep(tf.tensor1d(f32(L.weight))) : undefined, offset = L.bias ? keep(tf.tensor1d(f32(L.bias))) : undefined;
        steps.push((env) => env.set(name, tf.batchNorm(env.get(src[0]), mean, variance, offset, scale, L.eps)));
        break;
      }
      case 'Add':
        steps.push((env) => env.set(name, tf.add(env.get(src[0]), env.get(src[1]))));
        break;
      case 'GlobalAvgPool2d':
        steps.push((env) => env.set(name, tf.mean(env.get(src[0]), [1, 2], true)));
        break;
      case 'AdaptiveAvgPool2d': {
        const [, h, w] = inS, [oh, ow] = pair(L.outputSize);
        if (h === oh && w === ow) steps.push((env) => env.set(name, env.get(src[0])));
        else if (h % oh === 0 && w % ow === 0) steps.push((env) => env.set(name, tf.avgPool(env.get(src[0]), [h / oh, w / ow], [h / oh, w / ow], 'valid')));
        else throw new Error(`${name}: AdaptiveAvgPool2d ${h}×${w} → ${oh}×${ow} not mapped`);
        break;
      }
      case 'Flatten': {
        if (inS.length === 3) flatFromMap.set(name, inS); // NHWC flatten: (h, w, c) order
        steps.push((env) => { const x = env.get(src[0]); env.set(name, tf.reshape(x, [x.shape[0], -1])); });
        break;
      }
      default:
        throw new Error(`${name}: layer type ${L.type} not mapped to tfjs`);
    }
  }
  const outName = model.outputNames[0];
  const outShape = byName.get(outName).outputShape;
  const x = keep(tf.tensor4d(nchwToNhwc(xData, [batch, ...inShape]), [batch, inShape[1], inShape[2], inShape[0]]));
  // Free each intermediate after its last consumer (a tf.tidy alone would hold every activation of
  // the pass until the end: ResNet-50 at batch 32 then exhausts tfjs-backend-wasm's heap).
  const lastUse = new Map();
  model.nodes.forEach((n, i) => { for (const v of n.inputs) lastUse.set(v, i); });
  const forward = () => tf.tidy(() => {
    const env = new Map([[inName, x]]);
    for (let i = 0; i < steps.length; i++) {
      steps[i](env);
      for (const v of model.nodes[i].inputs) {
        if (lastUse.get(v) !== i || v === inName) continue;
        const t = env.get(v);
        env.delete(v);
        // The same tensor may live on under another name (fused ReLU, Dropout/identity aliases).
        if (t && !t.isDisposed && ![...env.values()].includes(t)) t.dispose();
      }
    }
    return env.get(outName);
  });
  return {
    run() { forward().dispose(); },
    output() {
      const y = forward();
      const d = y.dataSync();
      y.dispose();
      if (outShape.length !== 3) return d;
      // NHWC → NCHW
      const [c, h, w] = outShape, hw = h * w, r = new Float32Array(d.length);
      for (let n = 0; n < batch; n++) for (let p = 0; p < hw; p++) for (let ch = 0; ch < c; ch++) r[(n * c + ch) * hw + p] = d[(n * hw + p) * c + ch];
      return r;
    },
    dispose() { for (const t of owned) t.dispose(); },
  };
}
