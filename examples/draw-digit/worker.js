// Inference in a Web Worker: loads simdnet and the trained model file, then answers each drawing
// with the probabilities and every layer's activations (model.forward with keep).
import { init, io, Tensor, ops, engineInfo } from '../../dist/browser.js';

const MODEL_URL = new URL('../../models/lenet5-mnist.simdnet', import.meta.url);
const KEEP = ['c1_act', 's2', 'c3_act', 's4', 'c5_act', 'f6_act'];
let model = null;

async function start() {
  await init();
  const res = await fetch(MODEL_URL);
  if (!res.ok) throw new Error(`cannot fetch ${MODEL_URL.pathname}: HTTP ${res.status} (run npm start to train and save it)`);
  const bytes = new Uint8Array(await res.arrayBuffer());
  model = io.load(bytes);
  const meta = model.metadata;
  postMessage({
    type: 'ready', engine: engineInfo().build, bytes: bytes.length, params: model.paramCount,
    accuracy: meta.testAccuracy ?? NaN, dataset: meta.dataset ?? '?', normalize: meta.normalize,
  });
}

const ready = start().catch((e) => postMessage({ type: 'error', message: e.message }));

onmessage = async (e) => {
  await ready;
  if (!model || e.data.type !== 'infer') return;
  try {
    const x = Tensor.from(e.data.x, [1, 1, 32, 32]);
    const { output, kept } = model.forward(x, { keep: KEEP });
    const p = ops.softmax(output, -1);
    const probs = p.toFloat32Array();
    const activations = { input: { shape: [1, 32, 32], data: e.data.x }, probs: { shape: [10], data: probs } };
    for (const k of KEEP) {
      activations[k] = { shape: kept[k].shape.slice(1), data: kept[k].toFloat32Array() };
      kept[k].dispose();
    }
    const order = Array.from(probs.keys()).sort((a, b) => probs[b] - probs[a]);
    const empty = e.data.x.every((v) => v === e.data.x[0]);
    for (const t of [x, output, p]) t.dispose();
    postMessage({ type: 'result', probs, order, activations, empty });
  } catch (err) {
    postMessage({ type: 'error', message: err.message });
  }
};
