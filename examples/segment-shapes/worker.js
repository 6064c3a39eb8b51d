// Inference in a Web Worker: loads simdnet and the trained U-Net (unet-shapes.simdnet, written by
// train.mjs), compiles it into a plan (one arena, batch norm folded, ReLU fused), and answers each
// image with the class of every pixel: at the network's resolution (for the counts and scores)
// and at the page's display size, from the logits upsampled bilinearly (ops.interpolate) before
// the argmax so that the overlay's edges are smooth.
import { init, io, Tensor, ops, compile, engineInfo } from '../../dist/browser.js';
import { argmaxChannels } from './shapes.js';

const MODEL_URL = new URL('./unet-shapes.simdnet', import.meta.url);
let model = null, plan = null, classes = 0, size = 0;

async function start() {
  await init();
  const res = await fetch(MODEL_URL);
  if (!res.ok) throw new Error(`cannot fetch ${MODEL_URL.pathname}: HTTP ${res.status} (run npm run segment:train to train and save it)`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  model = io.load(bytes);
  [classes, size] = model.outputShape;
  plan = compile(model);
  postMessage({
    type: 'ready', engine: engineInfo().build, bytes: bytes.length, params: model.paramCount, metadata: model.metadata,
    steps: plan.info.steps.length, arenaBytes: plan.info.arenaBytes, inputShape: plan.inputShape,
  });
}

function infer({ x, display }) {
  const t0 = performance.now();
  const xt = Tensor.from(x, [1, 3, size, size]);
  let up = null;
  try {
    const logits = plan.run(xt); // a view into the plan's arena, valid until the next run
    const small = logits.toFloat32Array();
    const t1 = performance.now();
    const pred = argmaxChannels(small, classes, size * size);
    up = ops.interpolate(logits, { size: [display, display], mode: 'bilinear' });
    const overlay = argmaxChannels(up.toFloat32Array(), classes, display * display);
    const t2 = performance.now();
    postMessage({ type: 'result', pred, overlay, display, networkMs: t1 - t0, totalMs: t2 - t0 }, [pred.buffer, overlay.buffer]);
  } finally {
    xt.dispose();
    up?.dispose();
  }
}

const ready = start().catch((e) => postMessage({ type: 'error', message: e.message }));

// one message at a time, after the model is loaded
let queue = ready;
onmessage = (e) => {
  queue = queue.then(() => {
    if (!plan) return;
    try {
      if (e.data.type === 'infer') infer(e.data);
    } catch (err) {
      postMessage({ type: 'error', message: err.message });
    }
  });
};
