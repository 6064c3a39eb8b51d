// The page: a generated scene (shapes.js, from a seed), shapes the user draws with the mouse, or
// a picture the user opens; the U-Net's answer (worker.js) drawn over the picture as a coloured
// overlay, with a legend, pixel counts, scores against the true mask and the inference time.
import {
  CLASS_COLOURS, CLASS_NAMES, KINDS, SIZE, contrastingColour, makeShape, normalise, randomScene, renderScene, rng,
  segmentationScores, toRGBA,
} from './shapes.js';

/** The picture's size on the page (the network reads SIZE × SIZE). */
const DISPLAY = 512;
const ERROR_COLOUR = [255, 23, 68];
const $ = (id) => document.getElementById(id);
const picture = $('picture'), overlay = $('overlay'), edges = $('edges'), ui = $('ui'), input = $('input');
for (const c of [picture, overlay, edges, ui]) { c.width = DISPLAY; c.height = DISPLAY; }
input.width = SIZE;
input.height = SIZE;
const pctx = picture.getContext('2d'), octx = overlay.getContext('2d'), ectx = edges.getContext('2d'), uctx = ui.getContext('2d'), ictx = input.getContext('2d');
const status = $('status');
const worker = new Worker(new URL('./worker.js', import.meta.url), { type: 'module' });

/** What is shown: a scene (with its true mask) or an opened picture (no truth). */
const state = {
  scene: null, picture: null, truth: null, truthBig: null, result: null,
  view: 'prediction', tool: 'circle',
};
let ready = false, busy = false, dirty = false, pendingX = null;
/** Colours for drawn shapes come from their own seeded generator (the page is reproducible). */
const paint = rng(20240601);
/** Hooks for tests: frames answered, whether an answer is due, the last one, the scene shown. */
const demo = { frames: 0, pending: true, ready: false, error: undefined, last: null, seed: null, scene: null };
window.simdnetSegment = demo;

// ---- legend rows, one per class
const legend = $('legend');
const rows = CLASS_NAMES.map((name, c) => {
  const tr = document.createElement('tr');
  const [r, g, b] = CLASS_COLOURS[c];
  tr.innerHTML = `<td><span class="swatch${c === 0 ? ' none' : ''}"></span></td>` +
    `<th scope="row"></th><td class="share" aria-hidden="true"><span></span></td>` +
    `<td class="num pred">–</td><td class="num true">–</td><td class="num iou">–</td>`;
  tr.querySelector('th').textContent = name;
  tr.style.setProperty('--c', `rgb(${r} ${g} ${b})`);
  legend.appendChild(tr);
  return { pred: tr.querySelector('.pred'), truth: tr.querySelector('.true'), iou: tr.querySelector('.iou'), share: tr.querySelector('.share span') };
});

// ---- scenes and pictures
function showScene(scene) {
  state.scene = scene;
  state.picture = null;
  const big = renderScene(scene, DISPLAY);
  const small = renderScene(scene, SIZE);
  pctx.putImageData(new ImageData(toRGBA(big.rgb, DISPLAY), DISPLAY, DISPLAY), 0, 0);
  ictx.putImageData(new ImageData(toRGBA(small.rgb, SIZE), SIZE, SIZE), 0, 0);
  state.truth = small.mask;
  state.truthBig = big.mask;
  demo.seed = scene.seed;
  $('seed').value = String(scene.seed);
  $('source').textContent = `scene ${scene.seed} · ${scene.shapes.length} shape${scene.shapes.length === 1 ? '' : 's'}`;
  setTruthAvailable(true);
  request(normalise(small.rgb));
}

function loadSeed(seed) {
  if (!Number.isInteger(seed) || seed < 0) return;
  showScene(randomScene(seed));
}

/** An opened picture: centre-cropped to a square, drawn at both sizes; no true mask. */
function showPicture(img, name) {
  const s = Math.min(img.width, img.height), sx = (img.width - s) / 2, sy = (img.height - s) / 2;
  pctx.imageSmoothingQuality = 'high';
  pctx.drawImage(img, sx, sy, s, s, 0, 0, DISPLAY, DISPLAY);
  ictx.imageSmoothingQuality = 'high';
  ictx.drawImage(img, sx, sy, s, s, 0, 0, SIZE, SIZE);
  const d = ictx.getImageData(0, 0, SIZE, SIZE).data, plane = SIZE * SIZE;
  const rgb = new Float32Array(3 * plane);
  for (let i = 0; i < plane; i++) for (let k = 0; k < 3; k++) rgb[k * plane + i] = d[4 * i + k] / 255;
  state.scene = null;
  state.picture = name;
  state.truth = state.truthBig = null;
  demo.seed = null;
  $('source').textContent = `your picture: ${name}`;
  setTruthAvailable(false);
  request(normalise(rgb));
}

function setTruthAvailable(on) {
  for (const v of ['truth', 'errors']) $(`view-${v}`).disabled = !on;
  if (!on && state.view !== 'prediction') setView('prediction');
  for (const b of document.querySelectorAll('.tool, #undo, #clear-shapes')) b.disabled = !on;
}

// ---- inference requests: the latest image wins, one in flight at a time
function request(x) {
  pendingX = x;
  dirty = true;
  demo.pending = true;
  pump();
}
function pump() {
  if (!ready || busy || !dirty) return;
  dirty = false;
  busy = true;
  const x = pendingX;
  pendingX = null;
  worker.postMessage({ type: 'infer', x, display: DISPLAY }, [x.buffer]);
}

worker.onmessage = (e) => {
  const m = e.data;
  if (m.type === 'ready') {
    ready = true;
    demo.ready = true;
    const meta = m.metadata;
    status.textContent = `simdnet ${m.engine} build · compiled plan of ${m.steps} steps`;
    const pct = (v) => (typeof v === 'number' ? `${(100 * v).toFixed(1)}%` : '?');
    $('model-info').textContent = `U-Net, ${m.params.toLocaleString('en')} parameters (${(m.bytes / 1024).toFixed(0)} KB), ` +
      `trained by train.mjs on ${meta.trainScenes ?? '?'} generated scenes: ${pct(meta.testPixelAccuracy)} pixel accuracy, ` +
      `${pct(meta.testMeanIoU)} mean IoU on ${meta.testScenes ?? '?'} held-out scenes.`;
    pump();
  } else if (m.type === 'result') {
    busy = false;
    // a newer image is waiting: this answer is about a picture no longer shown
    if (dirty) { pump(); return; }
    state.result = m;
    drawOverlay();
    report(m);
    demo.frames++;
    demo.pending = dirty;
    pump();
  } else if (m.type === 'error') {
    busy = false;
    status.textContent = `error: ${m.message}`;
    status.classList.add('error');
    demo.error = m.message;
    demo.pending = false;
  }
};

// ---- the overlay: prediction, truth, or errors (wrong pixels in red), over the picture. Two
// layers: the regions, opaque colours that the page shows see-through (the opacity slider), and
// their outlines (the pixels next to another class), shown stronger. Opaque pixels keep their
// exact colours (a canvas stores colours premultiplied by alpha).
function drawOverlay() {
  const m = state.result;
  if (!m) return;
  const fill = octx.createImageData(DISPLAY, DISPLAY), line = ectx.createImageData(DISPLAY, DISPLAY);
  const f = fill.data, l = line.data;
  const classes = state.view === 'truth' ? state.truthBig : m.overlay;
  for (let i = 0; i < DISPLAY * DISPLAY; i++) {
    if (state.view === 'errors') {
      if (m.overlay[i] !== state.truthBig[i]) { f.set(ERROR_COLOUR, 4 * i); f[4 * i + 3] = 255; }
      continue;
    }
    const c = classes[i];
    if (c === 0) continue;
    const col = CLASS_COLOURS[c];
    f[4 * i] = col[0]; f[4 * i + 1] = col[1]; f[4 * i + 2] = col[2]; f[4 * i + 3] = 255;
    const x = i % DISPLAY, y = (i - x) / DISPLAY;
    const edge = (x > 0 && classes[i - 1] !== c) || (x < DISPLAY - 1 && classes[i + 1] !== c) ||
      (y > 0 && classes[i - DISPLAY] !== c) || (y < DISPLAY - 1 && classes[i + DISPLAY] !== c);
    if (edge) { l[4 * i] = col[0]; l[4 * i + 1] = col[1]; l[4 * i + 2] = col[2]; l[4 * i + 3] = 255; }
  }
  octx.putImageData(fill, 0, 0);
  ectx.putImageData(line, 0, 0);
}

const fmtInt = (v) => v.toLocaleString('en');
function report(m) {
  const counts = new Array(CLASS_NAMES.length).fill(0);
  for (const c of m.pred) counts[c]++;
  const truthCounts = new Array(CLASS_NAMES.length).fill(0);
  if (state.truth) for (const c of state.truth) truthCounts[c]++;
  const scores = state.truth ? segmentationScores(m.pred, state.truth) : null;
  rows.forEach((r, c) => {
    r.pred.textContent = fmtInt(counts[c]);
    r.share.style.width = `${(100 * counts[c]) / m.pred.length}%`;
    r.truth.textContent = scores ? fmtInt(truthCounts[c]) : '–';
    r.iou.textContent = scores && !Number.isNaN(scores.iou[c]) ? `${(100 * scores.iou[c]).toFixed(0)}%` : '–';
  });
  $('accuracy').textContent = scores ? `${(100 * scores.pixelAccuracy).toFixed(1)}%` : '–';
  $('miou').textContent = scores ? `${(100 * scores.meanIoU).toFixed(1)}%` : '–';
  $('time').textContent = `${m.networkMs.toFixed(1)} ms`;
  $('time-total').textContent = `${m.totalMs.toFixed(1)} ms`;
  demo.scene = state.scene;
  demo.last = {
    seed: state.scene?.seed ?? null, shapes: state.scene?.shapes.length ?? 0, pred: Array.from(m.pred),
    truth: state.truth ? Array.from(state.truth) : null, counts, pixelAccuracy: scores?.pixelAccuracy ?? null,
    meanIoU: scores?.meanIoU ?? null, networkMs: m.networkMs, totalMs: m.totalMs,
  };
}

// ---- view controls
const views = ['prediction', 'truth', 'errors'];
function setView(v) {
  state.view = v;
  for (const k of views) $(`view-${k}`).setAttribute('aria-pressed', String(k === v));
  drawOverlay();
}
for (const v of views) $(`view-${v}`).addEventListener('click', () => setView(v));
const opacity = $('opacity');
const applyOpacity = () => {
  const v = Number(opacity.value) / 100;
  overlay.style.opacity = String(v * 0.75);
  edges.style.opacity = String(Math.min(1, 1.5 * v));
  $('opacity-value').textContent = `${opacity.value}%`;
};
opacity.addEventListener('input', applyOpacity);
applyOpacity();

// ---- scene controls
$('new-image').addEventListener('click', () => loadSeed(Math.floor(Math.random() * 1_000_000)));
$('seed').addEventListener('change', (e) => loadSeed(Number(e.target.value)));
$('undo').addEventListener('click', () => {
  if (!state.scene || state.scene.shapes.length === 0) return;
  showScene({ ...state.scene, shapes: state.scene.shapes.slice(0, -1) });
});
$('clear-shapes').addEventListener('click', () => state.scene && showScene({ ...state.scene, shapes: [] }));
$('open').addEventListener('click', () => $('file').click());
$('file').addEventListener('change', async (e) => {
  const f = e.target.files?.[0];
  if (!f) return;
  try {
    showPicture(await createImageBitmap(f), f.name);
  } catch (err) {
    status.textContent = `cannot read ${f.name}: ${err.message}`;
  }
  e.target.value = '';
});

// ---- drawing shapes: press at the centre, release at the edge (the direction sets the angle)
for (const b of document.querySelectorAll('.tool')) {
  if (!KINDS.includes(b.dataset.kind)) throw new Error(`a tool for an unknown shape kind: ${b.dataset.kind}`);
  b.addEventListener('click', () => {
    state.tool = b.dataset.kind;
    for (const o of document.querySelectorAll('.tool')) o.setAttribute('aria-pressed', String(o === b));
  });
}
let drag = null;
const unit = (e) => {
  const r = ui.getBoundingClientRect();
  return [(e.clientX - r.left) / r.width, (e.clientY - r.top) / r.height];
};
/** The shape a drag from a to b describes (short drags give a default size). */
function dragShape(a, b, base) {
  const dx = b[0] - a[0], dy = b[1] - a[1], len = Math.hypot(dx, dy);
  const s = { ...base, cx: a[0], cy: a[1], r: len < 0.03 ? 0.14 : Math.min(0.45, len) };
  if (len >= 0.03) s.angle = Math.atan2(dy, dx);
  return s;
}
ui.addEventListener('pointerdown', (e) => {
  if (!state.scene) return;
  ui.setPointerCapture(e.pointerId);
  const p = unit(e);
  const { c0, c1 } = state.scene.background;
  // the proportions, angle and colour of the new shape, fixed for the whole drag
  const base = makeShape(paint, state.tool, p[0], p[1], 0.14, contrastingColour(paint, [c0, c1, ...state.scene.shapes.map((s) => s.colour)], 0.3));
  drag = { from: p, base, shape: dragShape(p, p, base) };
  preview();
});
ui.addEventListener('pointermove', (e) => {
  if (!drag) return;
  drag.shape = dragShape(drag.from, unit(e), drag.base);
  preview();
});
ui.addEventListener('pointerup', (e) => {
  if (!drag) return;
  const s = dragShape(drag.from, unit(e), drag.base);
  drag = null;
  uctx.clearRect(0, 0, DISPLAY, DISPLAY);
  showScene({ ...state.scene, shapes: [...state.scene.shapes, s] });
});
ui.addEventListener('pointercancel', () => { drag = null; uctx.clearRect(0, 0, DISPLAY, DISPLAY); });

/** The shape being drawn: filled with its colour, outlined dashed. */
function preview() {
  const s = drag.shape, k = DISPLAY;
  uctx.clearRect(0, 0, k, k);
  uctx.save();
  uctx.translate(s.cx * k, s.cy * k);
  // signedDistance's frame: world = rotate(angle) · local
  uctx.rotate(s.angle);
  uctx.beginPath();
  if (s.kind === 'circle' || s.kind === 'ring') {
    uctx.arc(0, 0, s.r * k, 0, 2 * Math.PI);
    if (s.kind === 'ring') { uctx.moveTo(s.r * s.inner * k, 0); uctx.arc(0, 0, s.r * s.inner * k, 0, 2 * Math.PI, true); }
  } else if (s.kind === 'rectangle') {
    const a = s.r * 0.85 * k, b = a * s.aspect;
    uctx.rect(-a, -b, 2 * a, 2 * b);
  } else {
    for (let v = 0; v < 3; v++) {
      const t = -Math.PI / 2 - (2 * Math.PI * v) / 3 + s.jitter[v];
      uctx.lineTo(Math.cos(t) * s.r * 1.15 * k, Math.sin(t) * s.r * 1.15 * k);
    }
    uctx.closePath();
  }
  const [r, g, b] = s.colour.map((v) => Math.round(v * 255));
  uctx.fillStyle = `rgb(${r} ${g} ${b} / 0.75)`;
  uctx.fill('evenodd');
  uctx.setLineDash([6, 4]);
  uctx.lineWidth = 2;
  uctx.strokeStyle = '#fff';
  uctx.stroke();
  uctx.restore();
}

// first scene: the seed in the address (#seed=…), or 60 (all four kinds of shape)
const fromHash = Number(new URLSearchParams(location.hash.slice(1)).get('seed'));
loadSeed(Number.isInteger(fromHash) && fromHash > 0 ? fromHash : 60);
