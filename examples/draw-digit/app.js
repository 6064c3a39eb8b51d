// The page: drawing with mouse or touch, MNIST-style preprocessing to 32×32, and drawing the
// activations the worker sends back. Inference runs in worker.js so drawing never stutters.

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

const draw = document.getElementById('draw');
const dctx = draw.getContext('2d', { willReadFrequently: true });
const small = document.getElementById('small');
const sctx = small.getContext('2d');
const status = document.getElementById('status');
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });
let ready = false, busy = false, dirty = false, norm = { mean: 0, std: 1 };
window.simdnetDemo = { frames: 0 };

// ---- layer panels with a visibility toggle each
const panels = new Map();
const host = document.getElementById('layers');
for (const l of LAYERS) {
  const div = document.createElement('div');
  div.className = 'layer';
  div.innerHTML = `<header><label><input type="checkbox" checked> ${l.title}</label><span></span></header><div class="maps"></div>`;
  div.querySelector('input').addEventListener('change', (e) => div.classList.toggle('hidden', !e.target.checked));
  div.dataset.node = l.node;
  host.appendChild(div);
  panels.set(l.node, { ...l, div, maps: div.querySelector('.maps'), info: div.querySelector('header span'), canvases: [] });
}

// ---- drawing
dctx.fillStyle = '#000';
dctx.fillRect(0, 0, draw.width, draw.height);
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
document.getElementById('clear').addEventListener('click', () => {
  dctx.fillStyle = '#000';
  dctx.fillRect(0, 0, draw.width, draw.height);
  schedule();
});

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

function schedule() { dirty = true; window.simdnetDemo.pending = true; pump(); }
function pump() {
  if (!ready || busy || !dirty) return;
  dirty = false;
  busy = true;
  const img = preprocess();
  const id = sctx.createImageData(32, 32);
  for (let i = 0; i < 1024; i++) { const v = Math.round(img[i] * 255); id.data.set([v, v, v, 255], i * 4); }
  sctx.putImageData(id, 0, 0);
  const x = img.map((v) => (v - norm.mean) / norm.std);
  worker.postMessage({ type: 'infer', x }, [x.buffer]);
}

worker.onmessage = (e) => {
  const m = e.data;
  if (m.type === 'ready') {
    ready = true;
    norm = m.normalize ?? norm;
    status.textContent = `${m.engine} build · model ${m.bytes} bytes`;
    document.getElementById('model-info').textContent = `LeNet-5, ${m.params.toLocaleString()} parameters, test accuracy ${(100 * m.accuracy).toFixed(2)}% (${m.dataset}). Inference in a Web Worker.`;
    schedule();
  } else if (m.type === 'result') {
    busy = false;
    render(m);
    window.simdnetDemo.frames++;
    window.simdnetDemo.pending = dirty;
    window.simdnetDemo.last = { guess: m.order[0], second: m.order[1], probs: Array.from(m.probs) };
    pump();
  } else if (m.type === 'error') {
    busy = false;
    status.textContent = `error: ${m.message}`;
    window.simdnetDemo.error = m.message;
  }
};

function render(m) {
  const empty = m.empty;
  document.getElementById('guess1').textContent = empty ? '–' : m.order[0];
  document.getElementById('guess2').textContent = empty ? '–' : m.order[1];
  document.getElementById('prob1').textContent = empty ? '' : `(${(100 * m.probs[m.order[0]]).toFixed(1)}%)`;
  document.getElementById('prob2').textContent = empty ? '' : `(${(100 * m.probs[m.order[1]]).toFixed(1)}%)`;
  for (const [node, p] of panels) {
    const a = m.activations[node];
    if (!a) continue;
    p.info.textContent = `[${a.shape.join('×')}]`;
    if (p.kind === 'maps') drawMaps(p, a);
    else drawBars(p, a);
  }
}

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
  for (let k = 0; k < c; k++) {
    const plane = a.data.subarray(k * h * w, (k + 1) * h * w);
    let lo = Infinity, hi = -Infinity;
    for (const v of plane) { if (v < lo) lo = v; if (v > hi) hi = v; }
    const ctx = p.canvases[k].getContext('2d');
    const img = ctx.createImageData(w, h);
    for (let i = 0; i < h * w; i++) {
      const v = hi > lo ? Math.round((255 * (plane[i] - lo)) / (hi - lo)) : 0;
      img.data.set([v, v, v, 255], i * 4);
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
  for (let i = 0; i < n; i++) {
    const v = a.data[i] / hi;
    ctx.fillStyle = v >= 0 ? '#2a6fdb' : '#d9534f';
    const hgt = Math.abs(v) * (base - 2);
    ctx.fillRect(i * bw + 1, base - hgt, Math.max(1, bw - 2), hgt);
    if (p.labels) { ctx.fillStyle = '#333'; ctx.font = '12px system-ui'; ctx.fillText(String(i), i * bw + bw / 2 - 3, cv.height - 3); }
  }
}
