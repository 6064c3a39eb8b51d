// The page: drawing with mouse or touch, MNIST-style preprocessing to 32×32, and drawing the
// activations the worker sends back (coloured with a perceptual scale, one colour bar per layer).
// Inference and fine-tuning run in worker.js so drawing never stutters.
// Two modes: digits (the trained LeNet-5), and "teach new symbols": the user's drawings of 2–5
// named symbols train a new head on the frozen backbone, with a live loss curve.
import { LUT } from './colormap.js';

const LAYERS = [
  { node: 'input', title: 'Input layer', kind: 'maps' },
  { node: 'c1_act', title: 'Convolution layer 1 (+ReLU)', kind: 'maps' },
  { node: 's2', title: 'Pooling layer 1', kind: 'maps' },
  { node: 'c3_act', title: 'Convolution layer 2 (+ReLU)', kind: 'maps' },
  { node: 's4', title: 'Pooling layer 2', kind: 'maps' },
  { node: 'c5_act', title: 'Fully connected layer 1 (C5, 120)', kind: 'bars' },
  { node: 'f6_act', title: 'Fully connected layer 2 (F6, 84)', kind: 'bars' },
  { node: 'probs', title: 'Output layer (10 classes)', kind: 'bars', labels: true },
];
/** Fine-tuning: a fixed, small budget (about a second on one thread for 3 × 5 drawings). */
const TRAIN = { epochs: 60, batchSize: 8, learningRate: 0.003 };
const MIN_EXAMPLES = 5, MIN_CLASSES = 2, MAX_CLASSES = 5;
const DEFAULT_NAMES = ['circle', 'triangle', 'star', 'A', 'B'];

const $ = (id) => document.getElementById(id);
const draw = $('draw');
const dctx = draw.getContext('2d', { willReadFrequently: true });
const small = $('small');
const sctx = small.getContext('2d');
const status = $('status');
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
let ready = false, busy = false, dirty = false, norm = { mean: 0, std: 1 };
/** 'digits' or 'teach' (what the page shows); the worker says which head answered each result. */
let mode = 'digits';
const teach = { classes: [], trained: false, training: false, losses: [], epochLosses: [], steps: 0 };
const demo = { frames: 0, pending: false, mode, training: null };
window.simdnetDemo = demo;

// ---- layer panels with a visibility toggle each (and a colour bar for the maps)
const panels = new Map();
const host = $('layers');
for (const l of LAYERS) {
  const div = document.createElement('div');
  div.className = 'layer';
  div.innerHTML = `<header><label><input type="checkbox" checked> <span class="title"></span></label><span class="shape"></span></header><div class="maps"></div>`;
  div.querySelector('.title').textContent = l.title;
  div.querySelector('input').addEventListener('change', (e) => div.classList.toggle('hidden', !e.target.checked));
  div.dataset.node = l.node;
  if (l.kind === 'maps') div.querySelector('header').appendChild(colourBar());
  host.appendChild(div);
  panels.set(l.node, {
    ...l, div, maps: div.querySelector('.maps'), info: div.querySelector('.shape'), title: div.querySelector('.title'),
    range: div.querySelector('.colorbar'), canvases: [],
  });
}

/** A legend: the lowest value, the scale as a gradient, the highest value. */
function colourBar() {
  const box = document.createElement('span');
  box.className = 'colorbar';
  box.setAttribute('role', 'img');
  box.innerHTML = '<span class="lo">–</span><canvas width="256" height="1"></canvas><span class="hi">–</span>';
  const cv = box.querySelector('canvas');
  const ctx = cv.getContext('2d');
  const img = ctx.createImageData(256, 1);
  img.data.set(LUT);
  ctx.putImageData(img, 0, 0);
  return box;
}

// ---- drawing
function clearPad() {
  dctx.fillStyle = '#000';
  dctx.fillRect(0, 0, draw.width, draw.height);
}
clearPad();
let last = null;
function pos(e) {
  const r = draw.getBoundingClientRect();
  return [((e.clientX - r.left) * draw.width) / r.width, ((e.clientY - r.top) * draw.height) / r.height];
}
draw.addEventListener('pointerdown', (e) => { draw.setPointerCapture(e.pointerId); last = pos(e); stroke(last, last); });
draw.addEventListener('pointermove', (e) => { if (last) { const p = pos(e); stroke(last, p); last = p; } });
for (const ev of ['pointerup', 'pointercancel']) draw.addEventListener(ev, () => { last = null; });
function stroke(a, b) {
  dctx.strokeStyle = '#fff';
  dctx.lineWidth = 20;
  dctx.lineCap = 'round';
  dctx.beginPath();
  dctx.moveTo(a[0], a[1]);
  dctx.lineTo(b[0], b[1]);
  dctx.stroke();
  schedule();
}
$('clear').addEventListener('click', () => { clearPad(); schedule(); });

/** MNIST-style: crop to the ink, fit into 20×20, centre by centre of mass in 28×28, pad to 32×32. */
function preprocess() {
  const { width: W, height: H } = draw;
  const px = dctx.getImageData(0, 0, W, H).data;
  let x0 = W, y0 = H, x1 = -1, y1 = -1;
  for (let y = 0; y < H; y++) for (let x = 0; x < W; x++) if (px[(y * W + x) * 4] > 20) {
    if (x < x0) x0 = x; if (x > x1) x1 = x; if (y < y0) y0 = y; if (y > y1) y1 = y;
  }
  const img = new Float32Array(32 * 32);
  if (x1 < 0) return img;
  const bw = x1 - x0 + 1, bh = y1 - y0 + 1, s = 20 / Math.max(bw, bh);
  const tw = Math.max(1, Math.round(bw * s)), th = Math.max(1, Math.round(bh * s));
  const tmp = new OffscreenCanvas(tw, th);
  const t = tmp.getContext('2d');
  t.imageSmoothingQuality = 'high';
  t.drawImage(draw, x0, y0, bw, bh, 0, 0, tw, th);
  const d = t.getImageData(0, 0, tw, th).data;
  let m = 0, cx = 0, cy = 0;
  for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) { const v = d[(y * tw + x) * 4] / 255; m += v; cx += v * x; cy += v * y; }
  const ox = Math.round(14 - cx / m), oy = Math.round(14 - cy / m);
  for (let y = 0; y < th; y++) for (let x = 0; x < tw; x++) {
    const X = x + ox + 2, Y = y + oy + 2;
    if (X >= 0 && X < 32 && Y >= 0 && Y < 32) img[Y * 32 + X] = d[(y * tw + x) * 4] / 255;
  }
  return img;
}

/** A 32×32 image (values 0–1) into a 2D context, grey. */
function putGrey(ctx, img) {
  const id = ctx.createImageData(32, 32);
  for (let i = 0; i < 1024; i++) { const v = Math.round(img[i] * 255); id.data.set([v, v, v, 255], i * 4); }
  ctx.putImageData(id, 0, 0);
}
const normalise = (img) => img.map((v) => (v - norm.mean) / norm.std);

function schedule() { dirty = true; demo.pending = true; pump(); }
function pump() {
  if (!ready || busy || !dirty || teach.training) return;
  dirty = false;
  busy = true;
  const img = preprocess();
  putGrey(sctx, img);
  const x = normalise(img);
  worker.postMessage({ type: 'infer', x }, [x.buffer]);
}

worker.onmessage = (e) => {
  const m = e.data;
  if (m.type === 'ready') {
    ready = true;
    norm = m.normalize ?? norm;
    status.textContent = `${m.engine} build · model ${m.bytes} bytes`;
    $('model-info').textContent = `LeNet-5, ${m.params.toLocaleString()} parameters, test accuracy ${(100 * m.accuracy).toFixed(2)}% (${m.dataset}). Inference and fine-tuning in a Web Worker.`;
    schedule();
  } else if (m.type === 'result') {
    busy = false;
    render(m);
    demo.frames++;
    demo.pending = dirty;
    demo.last = { guess: m.order[0], second: m.order[1], probs: Array.from(m.probs), mode: m.mode, top: m.top };
    pump();
  } else if (m.type === 'progress') {
    teach.losses.push(m.loss);
    teach.steps = m.steps;
    plotLater();
  } else if (m.type === 'epoch') {
    teach.epochLosses.push(m.loss);
    $('train-status').textContent = `epoch ${m.epoch + 1}/${m.epochs}: loss ${m.loss.toFixed(3)}`;
    plotLater();
  } else if (m.type === 'trained') {
    trained(m);
  } else if (m.type === 'mode') {
    demo.mode = m.mode;
  } else if (m.type === 'error') {
    busy = false;
    if (m.during === 'train') { teach.training = false; updateTeach(); }
    status.textContent = `error: ${m.message}`;
    demo.error = m.message;
    pump();
  }
};

function render(m) {
  // in teach mode before training the digit head answers: no symbol guesses yet
  const untrained = mode === 'teach' && m.mode !== 'custom';
  const none = m.empty || untrained;
  for (let r = 0; r < 2; r++) {
    const t = m.top[r];
    $(`guess${r + 1}`).textContent = none || !t ? '–' : t.label;
    $(`prob${r + 1}`).textContent = none || !t ? '' : `(${(100 * t.probability).toFixed(1)}%)`;
  }
  $('guess-note').textContent = untrained ? 'Draw examples and press Train to classify your symbols.' : '';
  const out = panels.get('probs');
  out.labels = m.names;
  out.title.textContent = m.mode === 'custom' ? `Output layer (new head, ${m.names.length} classes)` : 'Output layer (10 classes)';
  for (const [node, p] of panels) {
    const a = m.activations[node];
    if (!a) continue;
    p.info.textContent = `[${a.shape.join('×')}]`;
    if (p.kind === 'maps') drawMaps(p, a);
    else drawBars(p, a);
  }
}

const fmt = (v) => (Math.abs(v) >= 100 ? v.toFixed(0) : Math.abs(v) >= 10 ? v.toFixed(1) : v.toFixed(2));

/** Every map of a layer on one colour scale, from the layer's lowest value to its highest. */
function drawMaps(p, a) {
  const [c, h, w] = a.shape;
  const scale = Math.max(1, Math.floor(64 / Math.max(h, w)));
  while (p.canvases.length < c) {
    const cv = document.createElement('canvas');
    cv.width = w; cv.height = h;
    cv.style.width = `${w * scale}px`; cv.style.height = `${h * scale}px`;
    p.maps.appendChild(cv);
    p.canvases.push(cv);
  }
  let lo = Infinity, hi = -Infinity;
  for (const v of a.data) { if (v < lo) lo = v; if (v > hi) hi = v; }
  const k255 = hi > lo ? 255 / (hi - lo) : 0;
  p.range.querySelector('.lo').textContent = fmt(lo);
  p.range.querySelector('.hi').textContent = fmt(hi);
  p.range.setAttribute('aria-label', `colour scale from ${fmt(lo)} (dark purple) to ${fmt(hi)} (yellow)`);
  for (let k = 0; k < c; k++) {
    const plane = a.data.subarray(k * h * w, (k + 1) * h * w);
    const ctx = p.canvases[k].getContext('2d');
    const img = ctx.createImageData(w, h);
    for (let i = 0; i < h * w; i++) {
      const j = 4 * Math.round((plane[i] - lo) * k255);
      img.data.set(LUT.subarray(j, j + 4), 4 * i);
    }
    ctx.putImageData(img, 0, 0);
  }
}

function drawBars(p, a) {
  if (p.canvases.length === 0) {
    const cv = document.createElement('canvas');
    cv.className = 'bars';
    cv.width = p.labels ? 320 : Math.min(600, a.data.length * 5);
    cv.height = p.labels ? 90 : 50;
    p.maps.appendChild(cv);
    p.canvases.push(cv);
  }
  const cv = p.canvases[0], ctx = cv.getContext('2d');
  const n = a.data.length, bw = cv.width / n, base = p.labels ? cv.height - 16 : cv.height;
  let hi = 1e-9;
  for (const v of a.data) hi = Math.max(hi, Math.abs(v));
  if (p.labels) hi = 1;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, cv.width, cv.height);
  ctx.font = '12px system-ui';
  ctx.textAlign = 'center';
  for (let i = 0; i < n; i++) {
    const v = a.data[i] / hi;
    ctx.fillStyle = v >= 0 ? '#2a6fdb' : '#d9534f';
    const hgt = Math.abs(v) * (base - 2);
    ctx.fillRect(i * bw + 1, base - hgt, Math.max(1, bw - 2), hgt);
    if (p.labels) {
      ctx.fillStyle = '#333';
      const name = Array.isArray(p.labels) ? p.labels[i] : String(i);
      ctx.fillText(name.length > 10 ? `${name.slice(0, 9)}…` : name, i * bw + bw / 2, cv.height - 3, bw - 2);
    }
  }
}

// ---- modes
const modeButtons = { digits: $('mode-digits'), teach: $('mode-teach') };
for (const [m, b] of Object.entries(modeButtons)) b.addEventListener('click', () => setMode(m));
function setMode(m) {
  if (m === mode || teach.training) return;
  mode = m;
  for (const [k, b] of Object.entries(modeButtons)) b.setAttribute('aria-pressed', String(k === m));
  $('teach').hidden = m !== 'teach';
  $('title').textContent = m === 'teach' ? 'Teach it new symbols' : 'Draw your number here';
  // the worker swaps heads: the digit head back, or the trained symbol head again
  worker.postMessage({ type: 'mode', mode: m === 'teach' && teach.trained ? 'custom' : 'digits' });
  schedule();
}

// ---- teach mode: classes, examples, training, loss curve
const list = $('classes');
function addClass(name) {
  const i = teach.classes.length;
  const li = document.createElement('li');
  li.innerHTML = `<input type="text" maxlength="16" spellcheck="false"><button type="button" class="add">Add drawing</button>` +
    `<span class="count" aria-live="polite"></span><div class="thumbs" aria-hidden="true"></div>`;
  const input = li.querySelector('input');
  input.value = name;
  input.setAttribute('aria-label', `Name of symbol ${i + 1}`);
  const cls = { li, input, examples: [], thumbs: li.querySelector('.thumbs'), count: li.querySelector('.count'), add: li.querySelector('.add') };
  cls.add.addEventListener('click', () => addExample(cls));
  input.addEventListener('input', () => { updateTeach(); renameAfterTraining(); });
  teach.classes.push(cls);
  list.appendChild(li);
}
for (const n of DEFAULT_NAMES.slice(0, 3)) addClass(n);

const names = () => teach.classes.map((c, i) => c.input.value.trim() || `symbol ${i + 1}`);

function addExample(cls) {
  const img = preprocess();
  if (!img.some((v) => v > 0)) {
    $('train-status').textContent = 'Draw a symbol first, then add it.';
    return;
  }
  cls.examples.push(normalise(img));
  const cv = document.createElement('canvas');
  cv.width = cv.height = 32;
  putGrey(cv.getContext('2d'), img);
  cls.thumbs.appendChild(cv);
  clearPad();
  schedule();
  updateTeach();
}

/** Adding or removing a class, or clearing drawings, makes the trained head stale. */
function invalidate() {
  if (!teach.trained) return;
  teach.trained = false;
  worker.postMessage({ type: 'mode', mode: 'digits' });
  schedule();
}
function renameAfterTraining() {
  if (teach.trained && mode === 'teach') { worker.postMessage({ type: 'names', names: names() }); schedule(); }
}

$('add-class').addEventListener('click', () => {
  if (teach.classes.length >= MAX_CLASSES) return;
  addClass(DEFAULT_NAMES[teach.classes.length]);
  invalidate();
  updateTeach();
});
$('remove-class').addEventListener('click', () => {
  if (teach.classes.length <= MIN_CLASSES) return;
  teach.classes.pop().li.remove();
  invalidate();
  updateTeach();
});
$('clear-examples').addEventListener('click', () => {
  for (const c of teach.classes) { c.examples = []; c.thumbs.replaceChildren(); }
  invalidate();
  updateTeach();
});

function updateTeach() {
  const t = teach.training;
  for (const c of teach.classes) {
    const n = c.examples.length;
    c.count.textContent = `${n} drawing${n === 1 ? '' : 's'}`;
    c.count.classList.toggle('enough', n >= MIN_EXAMPLES);
    c.add.disabled = t;
    c.input.disabled = t;
    c.add.setAttribute('aria-label', `Add the drawing to ${c.input.value.trim() || 'this symbol'}`);
  }
  const missing = teach.classes.filter((c) => c.examples.length < MIN_EXAMPLES).length;
  $('train').disabled = t || missing > 0;
  $('add-class').disabled = t || teach.classes.length >= MAX_CLASSES;
  $('remove-class').disabled = t || teach.classes.length <= MIN_CLASSES;
  $('clear-examples').disabled = t;
  for (const b of Object.values(modeButtons)) b.disabled = t;
  if (!t && !teach.trained) {
    $('train-status').textContent = missing > 0 ? `Draw each symbol at least ${MIN_EXAMPLES} times (${missing} to go).` : 'Ready to train.';
  }
}
updateTeach();

$('train').addEventListener('click', () => {
  const x = new Float32Array(teach.classes.reduce((a, c) => a + c.examples.length, 0) * 1024);
  const labels = [];
  for (const [k, c] of teach.classes.entries()) for (const e of c.examples) { x.set(e, labels.length * 1024); labels.push(k); }
  teach.training = true;
  teach.trained = false;
  teach.losses = [];
  teach.epochLosses = [];
  teach.steps = 0;
  demo.training = { done: false };
  $('train-status').textContent = 'training…';
  updateTeach();
  plot();
  worker.postMessage({ type: 'train', x, labels: Int32Array.from(labels), names: names(), ...TRAIN }, [x.buffer]);
});

function trained(m) {
  teach.training = false;
  teach.trained = true;
  const first = teach.epochLosses[0], lastLoss = teach.epochLosses.at(-1);
  $('train-status').textContent = `Trained in ${m.seconds.toFixed(2)} s: ${m.steps} steps on ${m.examples} drawings, ` +
    `loss ${first.toFixed(2)} → ${lastLoss.toFixed(3)}. Draw a symbol to classify it.`;
  demo.training = { done: true, seconds: m.seconds, steps: m.steps, epochLosses: teach.epochLosses.slice(), batchLosses: teach.losses.slice() };
  updateTeach();
  plot();
  clearPad();
  schedule();
}

let plotQueued = false;
function plotLater() {
  if (plotQueued) return;
  plotQueued = true;
  requestAnimationFrame(() => { plotQueued = false; plot(); });
}

/** The loss curve: every batch's loss (thin) and each epoch's mean (thick) against the step. */
function plot() {
  const cv = $('loss'), ctx = cv.getContext('2d');
  const W = cv.width, H = cv.height, L = 34, R = 8, T = 8, B = 22;
  ctx.fillStyle = '#fff';
  ctx.fillRect(0, 0, W, H);
  const steps = Math.max(teach.steps, teach.losses.length, 1);
  const top = Math.max(0.5, ...teach.losses, ...teach.epochLosses) * 1.05;
  const X = (s) => L + ((W - L - R) * s) / steps, Y = (v) => T + (H - T - B) * (1 - v / top);
  ctx.font = '10px system-ui';
  ctx.strokeStyle = '#e4e4e4';
  ctx.fillStyle = '#666';
  ctx.lineWidth = 1;
  ctx.textAlign = 'right';
  ctx.textBaseline = 'middle';
  for (let i = 0; i <= 4; i++) {
    const v = (top * i) / 4, y = Math.round(Y(v)) + 0.5;
    ctx.beginPath(); ctx.moveTo(L, y); ctx.lineTo(W - R, y); ctx.stroke();
    ctx.fillText(v.toFixed(1), L - 4, y);
  }
  ctx.textAlign = 'center';
  ctx.textBaseline = 'alphabetic';
  ctx.fillText(teach.steps ? `step (${teach.steps} in all)` : 'step', (L + W - R) / 2, H - 6);
  ctx.save();
  ctx.translate(10, (T + H - B) / 2);
  ctx.rotate(-Math.PI / 2);
  ctx.fillText('loss', 0, 0);
  ctx.restore();
  const line = (pts, colour, width) => {
    if (pts.length === 0) return;
    ctx.strokeStyle = colour;
    ctx.lineWidth = width;
    ctx.beginPath();
    pts.forEach(([s, v], i) => (i ? ctx.lineTo(X(s), Y(v)) : ctx.moveTo(X(s), Y(v))));
    ctx.stroke();
  };
  line(teach.losses.map((v, i) => [i + 1, v]), '#9bb8e8', 1);
  const perEpoch = teach.steps && teach.epochLosses.length ? teach.steps / TRAIN.epochs : 0;
  line(teach.epochLosses.map((v, e) => [(e + 1) * perEpoch, v]), '#1f4fa8', 2.5);
  cv.setAttribute('aria-label', teach.epochLosses.length
    ? `training loss curve: ${teach.epochLosses[0].toFixed(2)} after the first epoch, ${teach.epochLosses.at(-1).toFixed(3)} after epoch ${teach.epochLosses.length}`
    : 'training loss curve (empty until you train)');
}
plot();
