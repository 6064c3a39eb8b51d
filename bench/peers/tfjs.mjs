// TensorFlow.js peers: @tensorflow/tfjs-backend-wasm (XNNPACK, SIMD, 1 thread unless asked) and
// @tensorflow/tfjs-backend-cpu (plain JS). tfjs is channels-last, so inputs are NHWC and filters
// HWIO (same FLOPs); outputs are converted back to NCHW only for the cross-check.
//
// Both backends run kernels synchronously on the calling thread, so an op has finished when it
// returns: the timed call disposes the result without reading it back, as simdnet's does (pass
// `readback: true` to add dataSync()). Conv and dense use tf.fused.* with the bias fused, as
// simdnet's and onnxruntime's kernels do. Dense weights go in as [in, out] (tf.layers.dense's
// kernel layout): in tfjs-backend-wasm 4.22, fused.matMul with transposeB: true AND a bias
// returns wrong values (the cross-check in compare.mjs caught it; without bias it is right).
import { register } from 'node:module';
import { LENET, LENET_CLASSES, nchwToNhwc, nhwcToNchw, oihwToHwio, transpose2d, pair, outDim } from './common.mjs';

// tfjs-core's Node bundle (CJS) registers no gradients; its ESM files do, but import each other
// without file extensions, which Node's ESM loader refuses. This resolve hook adds the extension
// for imports from inside tfjs-core/dist, so register_all_gradients.js can load. The gradients
// land in tfjs's global registry, shared with the CJS bundle.
const HOOK = `export async function resolve(spec, ctx, next) {
  if (ctx.parentURL?.includes('/@tensorflow/tfjs-core/dist/') && spec.startsWith('.') && !spec.endsWith('.js')) {
    try { return await next(spec + '.js', ctx); } catch { return next(spec + '/index.js', ctx); }
  }
  return next(spec, ctx);
}`;

/**
 * Loads tfjs and returns the two adapters [tfjs-wasm, tfjs-cpu] (and `tf` itself).
 *
 * `threads` > 1 asks for tfjs-backend-wasm's threaded build (setThreadsCount). tfjs 4.22 turns
 * that build off in Node (its WASM_HAS_MULTITHREAD_SUPPORT flag answers false when IS_NODE,
 * tfjs#3830), so the flag is set to true here to try it anyway; if the backend then fails to
 * initialise, this throws 'cannot run threads: <tfjs's own error>' instead of silently timing one
 * thread.
 */
export async function createTfjs({ readback = false, threads = 1 } = {}) {
  register('data:text/javascript,' + encodeURIComponent(HOOK));
  const tf = await import('@tensorflow/tfjs-core');
  await import('@tensorflow/tfjs-core/dist/register_all_gradients.js');
  await import('@tensorflow/tfjs-backend-cpu');
  const wasm = await import('@tensorflow/tfjs-backend-wasm');
  if (threads > 1) tf.env().set('WASM_HAS_MULTITHREAD_SUPPORT', true);
  wasm.setThreadsCount(threads);
  // A failed backend init only shows as a console.warn (which prod mode silences) and
  // setBackend resolving false: keep prod mode off until the backend is up, and catch the warning.
  const warned = [];
  const warn = console.warn;
  console.warn = (...a) => warned.push(a.map((x) => (x instanceof Error ? `${x.name}: ${x.message}` : String(x))).join(' '));
  let ok;
  try { ok = await tf.setBackend('wasm'); } finally { console.warn = warn; }
  tf.enableProdMode(); // no debug checks, no "use tfjs-node" banner
  if (!ok) {
    const why = warned.filter((w) => !/^Initialization of backend wasm failed/.test(w)).map((w) => w.split('\n')[0]).join('; ') || 'setBackend("wasm") returned false';
    throw new Error(`${threads > 1 ? 'cannot run threads: ' : ''}${why}`);
  }
  const simd = tf.env().getBool('WASM_HAS_SIMD_SUPPORT');
  const info = {
    version: tf.version_core,
    wasm: `simd ${simd ? 'on' : 'OFF'}, threads ${wasm.getThreadsCount()}`,
    threads: wasm.getThreadsCount(),
  };
  if (!simd) throw new Error('tfjs-backend-wasm: SIMD is not supported here');
  return { tf, info, adapters: [adapter(tf, 'wasm', readback), adapter(tf, 'cpu', readback)] };
}

function adapter(tf, backend, readback) {
  const use = () => tf.setBackend(backend);

  /** A prepared task from an op closure, the tensors it owns and the NCHW shape of its output. */
  const task = (op, owned, nchw) => ({
    activate: use,
    run() {
      const y = op();
      if (readback) y.dataSync();
      y.dispose();
    },
    output() {
      const y = op();
      const data = y.dataSync();
      y.dispose();
      return nchw ? nhwcToNchw(data, nchw) : data;
    },
    dispose() { for (const t of owned) t.dispose(); },
  });

  const nhwc = (data, [n, c, h, w]) => tf.tensor4d(nchwToNhwc(data, [n, c, h, w]), [n, h, w, c]);

  return {
    name: `tfjs-${backend}`,

    async conv2d(c, d) {
      await use();
      const o = c.opts;
      if ((o.groups ?? 1) !== 1) throw new Error('grouped conv is not benchmarked on tfjs');
      const [sh, sw] = pair(o.stride, 1), [ph, pw] = pair(o.padding, 0), [dh, dw] = pair(o.dilation, 1);
      const x = nhwc(d.x, c.x);
      const filter = tf.tensor4d(oihwToHwio(d.w, c.w), [c.w[2], c.w[3], c.w[1], c.w[0]]);
      const bias = tf.tensor1d(d.b);
      const pad = [[0, 0], [ph, ph], [pw, pw], [0, 0]];
      const op = () => tf.fused.conv2d({ x, filter, bias, strides: [sh, sw], pad, dilations: [dh, dw] });
      return task(op, [x, filter, bias], [c.x[0], c.w[0], c.out[0], c.out[1]]);
    },

    async linear(c, d) {
      await use();
      const a = tf.tensor2d(d.x, c.x), b = tf.tensor2d(transpose2d(d.w, c.w), [c.w[1], c.w[0]]), bias = tf.tensor1d(d.b);
      return task(() => tf.fused.matMul({ a, b, bias }), [a, b, bias], null);
    },

    async pool(c, d) {
      await use();
      const k = c.opts.kernelSize, s = c.opts.stride ?? k, p = c.opts.padding ?? 0;
      const x = nhwc(d.x, c.x);
      const [n, ch, h, w] = c.x;
      const op = () => tf.maxPool(x, [k, k], [s, s], p === 0 ? 'valid' : p);
      return task(op, [x], [n, ch, outDim(h, k, s, p), outDim(w, k, s, p)]);
    },

    async elementwise(c, d) {
      await use();
      const x = nhwc(d.x, c.x);
      return task(() => tf[c.op](x), [x], c.x);
    },

    async lenetInfer(c, d) {
      await use();
      const params = lenetTensors(tf, d.params, false);
      const x = nhwc(d.x, [c.batch, 1, 32, 32]);
      const op = () => tf.tidy(() => lenetForward(tf, params, x));
      return task(op, [x, ...params.flatMap((p) => [p.w, p.b])], null);
    },

    async lenetTrain(c, d) {
      await use();
      const vars = lenetTensors(tf, d.params, true);
      const list = vars.flatMap((p) => [p.w, p.b]);
      const per = c.batch * 32 * 32;
      const xs = [], ys = [];
      for (let s = 0; s < c.steps; s++) {
        xs.push(nhwc(d.x.subarray(s * per, (s + 1) * per), [c.batch, 1, 32, 32]));
        const labels = d.y.subarray(s * c.batch, (s + 1) * c.batch);
        ys.push(tf.tidy(() => tf.cast(tf.oneHot(tf.tensor1d(labels, 'int32'), LENET_CLASSES), 'float32')));
      }
      const optimizer = tf.train.adam(1e-3);
      return {
        activate: use,
        run() {
          for (let s = 0; s < c.steps; s++) {
            optimizer.minimize(() => tf.losses.softmaxCrossEntropy(ys[s], lenetForward(tf, vars, xs[s])), false, list);
          }
        },
        dispose() {
          optimizer.dispose();
          for (const t of [...list, ...xs, ...ys]) t.dispose();
        },
      };
    },
  };
}

/** LeNet weights as tfjs tensors (conv filters HWIO, dense [in, out]); variables when training. */
function lenetTensors(tf, params, trainable) {
  const layers = LENET.filter((l) => l.w);
  return params.map((p, i) => {
    const s = layers[i].w;
    const w = s.length === 4 ? tf.tensor4d(oihwToHwio(p.w, s), [s[2], s[3], s[1], s[0]]) : tf.tensor2d(transpose2d(p.w, s), [s[1], s[0]]);
    const b = tf.tensor1d(p.b);
    return trainable ? { w: tf.variable(w), b: tf.variable(b) } : { w, b };
  });
}

/** LeNet-5 forward on NHWC input as a chain of fused tfjs ops (ReLU fused where it follows). */
function lenetForward(tf, params, x) {
  let h = x, pi = 0;
  for (let i = 0; i < LENET.length; i++) {
    const l = LENET[i];
    const activation = LENET[i + 1]?.kind === 'relu' ? 'relu' : 'linear';
    if (l.kind === 'conv') {
      const p = params[pi++];
      h = tf.fused.conv2d({ x: h, filter: p.w, bias: p.b, strides: 1, pad: 'valid', activation });
    } else if (l.kind === 'linear') {
      const p = params[pi++];
      h = tf.fused.matMul({ a: h, b: p.w, bias: p.b, activation });
    } else if (l.kind === 'pool') {
      h = tf.maxPool(h, l.k, l.k, 'valid');
    } else if (l.kind === 'flatten') {
      // The last conv map is 1×1, so NHWC and NCHW flatten to the same order.
      h = tf.reshape(h, [h.shape[0], -1]);
    }
    // 'relu' was fused into the layer before it.
  }
  return h;
}
