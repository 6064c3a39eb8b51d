// simdnet as an adapter of the same shape as the peers, on the built package (dist/).
// Tensors stay in wasm memory between calls; the timed call disposes its output unread
// (pass `readback: true` to copy it out with toFloat32Array()). LeNet-5 inference runs a compiled
// plan (sd.compile), whose output is a view the plan owns.
import { LENET_INPUT } from './common.mjs';

/** `threads`: passed to sd.init({ threads }) (default: sd.init()'s own default, one thread). */
export async function createSimdnet(distUrl, { readback = false, threads } = {}) {
  const sd = await import(distUrl);
  const missing = ['conv2d', 'linear', 'maxPool2d', 'relu'].filter((k) => typeof sd.ops?.[k] !== 'function');
  if (missing.length) throw new Error(`${distUrl} has no ops.${missing.join(', ops.')}: dist/ is older than src/ (npm run build)`);
  const engine = await sd.init(threads === undefined ? undefined : { threads });
  const { ops, Tensor } = sd;

  const task = (op, owned) => ({
    run() {
      const y = op();
      if (readback) y.toFloat32Array();
      y.dispose();
    },
    output() {
      const y = op();
      const data = y.toFloat32Array();
      y.dispose();
      return data;
    },
    dispose() { for (const t of owned) t.dispose(); },
  });

  /** sd.models.lenet5() with the shared weights copied in (so outputs can be cross-checked). */
  function lenet(params) {
    if (!sd.models?.lenet5) throw new Error('sd.models.lenet5 is not in this build of dist/');
    const model = sd.models.lenet5();
    const own = model.parameters().filter((p) => p.trainable);
    const theirs = params.flatMap((p) => [p.w, p.b]);
    const same = own.length === theirs.length && own.every((p, i) => p.size === theirs[i].length);
    if (same) own.forEach((p, i) => p.assign(theirs[i]));
    return { model, same };
  }

  const adapter = {
    name: 'simdnet',

    conv2d(c, d) {
      const x = Tensor.from(d.x, c.x), w = Tensor.from(d.w, c.w), b = Tensor.from(d.b, [c.w[0]]);
      return task(() => ops.conv2d(x, w, b, c.opts), [x, w, b]);
    },

    linear(c, d) {
      const x = Tensor.from(d.x, c.x), w = Tensor.from(d.w, c.w), b = Tensor.from(d.b, [c.w[0]]);
      return task(() => ops.linear(x, w, b), [x, w, b]);
    },

    pool(c, d) {
      const x = Tensor.from(d.x, c.x);
      return task(() => ops.maxPool2d(x, c.opts), [x]);
    },

    elementwise(c, d) {
      const x = Tensor.from(d.x, c.x);
      return task(() => ops[c.op](x), [x]);
    },

    lenetInfer(c, d) {
      if (typeof sd.compile !== 'function') throw new Error('sd.compile is not in this build of dist/');
      const { model, same } = lenet(d.params);
      const x = Tensor.from(d.x, [c.batch, ...LENET_INPUT]);
      // the compiled plan (packed weights, one arena, fused ReLU); run() returns a view into the
      // plan's arena that the next run overwrites, so nothing is disposed per call
      const plan = sd.compile(model, { batchSize: c.batch });
      return {
        run() {
          const y = plan.run(x);
          if (readback) y.toFloat32Array();
        },
        output: same ? () => plan.run(x).toFloat32Array() : undefined,
        dispose() { plan.dispose(); x.dispose(); model.dispose?.(); },
      };
    },

    lenetTrain(c, d) {
      if (!sd.fit) throw new Error('sd.fit is not in this build of dist/');
      const { model } = lenet(d.params);
      const x = Tensor.from(d.x, [c.batch * c.steps, ...LENET_INPUT]);
      const y = d.y;
      // one Adam (lr 1e-3) for the whole run, as the tfjs adapter keeps one tf.train.adam: its
      // moment buffers persist from step to step instead of being made anew by every fit() call
      const optimizer = new sd.optim.Adam(model.parameters(), { lr: 1e-3 });
      const options = { epochs: 1, batchSize: c.batch, verbose: false, shuffle: false, optimizer };
      return {
        run: () => sd.fit(model, { x, y }, options),
        dispose() { optimizer.dispose(); x.dispose(); model.dispose?.(); },
      };
    },
  };
  return { sd, info: engine, adapters: [adapter] };
}
