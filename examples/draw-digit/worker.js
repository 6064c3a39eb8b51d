// Inference and fine-tuning in a Web Worker. Loads simdnet and the trained model file, then answers
// each drawing with the probabilities and every layer's activations (model.forward with keep).
// "Teach new symbols": the LeNet-5 backbone is frozen and its final Linear layer ('output', 84 → 10)
// is replaced by a new 84 → k head that fit() trains on the user's drawings; the digit head is kept
// aside and put back when the page returns to digits.
import { init, io, nn, Tensor, ops, engineInfo, predictTopK } from '../../dist/browser.js';

const MODEL_URL = new URL('../../models/lenet5-mnist.simdnet', import.meta.url);
const KEEP = ['c1_act', 's2', 'c3_act', 's4', 'c5_act', 'f6_act'];
const HEAD = 'output';
const DIGITS = ['0', '1', '2', '3', '4', '5', '6', '7', '8', '9'];
let model = null;
/** The heads not in the model right now: { digits, custom } (a Linear layer or null each). */
const spare = { digits: null, custom: null };
let mode = 'digits', customNames = null;

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

/** Puts `head` in the model's last node and keeps the one it displaces as spare[kind]. */
function swapHead(head, kind) {
  spare[kind] = model.replace(HEAD, head);
}

/** Back to the digit classifier (the custom head, if any, is kept for a later return). */
function useDigits() {
  if (mode === 'digits') return;
  swapHead(spare.digits, 'custom');
  spare.digits = null;
  mode = 'digits';
  model.unfreeze();
}

/** The trained custom head again (after a visit to digit mode). */
function useCustom() {
  if (mode === 'custom' || !spare.custom) return;
  swapHead(spare.custom, 'digits');
  spare.custom = null;
  mode = 'custom';
}

async function train({ x, labels, names, epochs, batchSize, learningRate }) {
  const k = names.length;
  // the frozen backbone: every layer, then a fresh trainable head on the 84 F6 features
  model.freeze();
  // zero weights: every class starts equally likely (loss ln k), and the curve shows only learning
  const head = new nn.Linear(model.node(HEAD).layer.inFeatures, k, { weightInit: 'zeros' });
  if (mode === 'digits') swapHead(head, 'digits');
  else model.replace(HEAD, head).dispose(); // the previous custom head is no longer wanted
  spare.custom?.dispose();
  spare.custom = null;
  mode = 'custom';
  customNames = names.slice();
  const n = labels.length;
  const xt = Tensor.from(x, [n, 1, 32, 32]);
  const batches = Math.ceil(n / batchSize);
  const t0 = performance.now();
  let history;
  try {
    history = await model.fit({ x: xt, y: labels }, {
      epochs, batchSize, optimizer: 'adam', learningRate, seed: 1,
      augment: { cropPadding: 2 }, // small shifts: the drawings are few
      callbacks: {
        onBatchEnd: (l) => postMessage({ type: 'progress', epoch: l.epoch, step: l.step, steps: epochs * batches, loss: l.loss }),
        onEpochEnd: (l) => postMessage({ type: 'epoch', epoch: l.epoch, epochs, loss: l.loss, accuracy: l.accuracy }),
      },
    });
  } finally {
    xt.dispose();
  }
  const seconds = (performance.now() - t0) / 1000;
  postMessage({
    type: 'trained', seconds, steps: epochs * batches, examples: n, classes: k,
    losses: history.epochs.map((e) => e.loss), accuracy: history.epochs.at(-1).accuracy,
  });
}

function infer(data) {
  const x = Tensor.from(data, [1, 1, 32, 32]);
  const { output, kept } = model.forward(x, { keep: KEEP });
  const p = ops.softmax(output, -1);
  const probs = p.toFloat32Array();
  const activations = { input: { shape: [1, 32, 32], data }, probs: { shape: [probs.length], data: probs } };
  for (const k of KEEP) {
    activations[k] = { shape: kept[k].shape.slice(1), data: kept[k].toFloat32Array() };
    kept[k].dispose();
  }
  const names = mode === 'custom' ? customNames : DIGITS;
  // the ranking with names, as an application would ask for it
  const top = predictTopK(model, x, Math.min(3, names.length), { classNames: names })[0];
  const order = Array.from(probs.keys()).sort((a, b) => probs[b] - probs[a]);
  const empty = data.every((v) => v === data[0]);
  for (const t of [x, output, p]) t.dispose();
  postMessage({ type: 'result', mode, names, probs, order, top, activations, empty });
}

const ready = start().catch((e) => postMessage({ type: 'error', message: e.message }));

// one message at a time: a drawing that arrives during training waits for the new head
let queue = ready;
onmessage = (e) => {
  queue = queue.then(async () => {
    if (!model) return;
    const m = e.data;
    try {
      if (m.type === 'infer') infer(m.x);
      else if (m.type === 'train') await train(m);
      else if (m.type === 'names') {
        if (customNames && m.names.length === customNames.length) customNames = m.names.slice();
      } else if (m.type === 'mode') {
        if (m.mode === 'digits') useDigits();
        else useCustom();
        postMessage({ type: 'mode', mode, names: mode === 'custom' ? customNames : DIGITS });
      }
    } catch (err) {
      postMessage({ type: 'error', message: err.message, during: m.type });
    }
  });
};
