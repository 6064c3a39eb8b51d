// Scenes of shapes for the segmentation example, the same in Node (train.mjs) and in the page
// (app.js): plain JavaScript, no canvas, every number from a seeded generator, so a seed always
// gives the same picture and the same mask anywhere.
//
// A scene is a description in unit coordinates (x, y in [0, 1], y down): a background (a gradient
// between two colours, a texture, per-pixel noise, a few thin lines that are background too) and
// shapes painted in order (later ones on top): circles, rectangles (squares included), triangles
// and rings. renderScene(scene, size) rasterises it at any size into a planar RGB image in [0, 1]
// (what the network reads) and a class mask (what it learns): a pixel belongs to the top-most shape
// covering its centre; a ring's hole shows what lies under it.

import { rng } from '../rng.js';

export { rng };

export const SIZE = 64;
export const CLASS_NAMES = ['background', 'circle', 'rectangle', 'triangle', 'ring'];
export const KINDS = ['circle', 'rectangle', 'triangle', 'ring'];
/** The overlay colour of each class (sRGB 0–255); background is drawn transparent. */
export const CLASS_COLOURS = [[0, 0, 0], [255, 64, 129], [41, 182, 246], [255, 202, 40], [124, 77, 255]];
/** The network's input: (rgb − mean) / std per channel. */
export const NORMALIZE = { mean: 0.5, std: 0.25 };

const uniform = (r, lo, hi) => lo + (hi - lo) * r();

/** HSL (h in turns, s and l in [0, 1]) to RGB in [0, 1]. */
function hsl(h, s, l) {
  const f = (n) => {
    const k = (n + h * 12) % 12;
    const a = s * Math.min(l, 1 - l);
    return l - a * Math.max(-1, Math.min(k - 3, 9 - k, 1));
  };
  return [f(0), f(8), f(4)];
}

const dist = (a, b) => Math.hypot(a[0] - b[0], a[1] - b[1], a[2] - b[2]);

/** A random colour at least `apart` (RGB distance) from every colour in `avoid` (or the last of 50 tries). */
export function contrastingColour(r, avoid, apart = 0.3) {
  let c = null;
  for (let tries = 0; tries < 50; tries++) {
    c = hsl(r(), uniform(r, 0.35, 1), uniform(r, 0.2, 0.85));
    if (avoid.every((a) => dist(a, c) >= apart)) break;
  }
  return c;
}

/** A shape of `kind` at (cx, cy) with radius r (unit coordinates), random angle and proportions. */
export function makeShape(r, kind, cx, cy, radius, colour) {
  const s = { kind, cx, cy, r: radius, angle: uniform(r, 0, 2 * Math.PI), colour, shade: uniform(r, -0.18, 0.18) };
  if (kind === 'rectangle') s.aspect = r() < 0.4 ? 1 : uniform(r, 0.45, 0.95); // height / width
  if (kind === 'ring') s.inner = uniform(r, 0.45, 0.68); // hole radius / outer radius
  if (kind === 'triangle') s.jitter = [uniform(r, -0.25, 0.25), uniform(r, -0.25, 0.25), uniform(r, -0.25, 0.25)];
  return s;
}

/**
 * A random scene: background, 3–7 shapes (possibly overlapping, partly outside; radius 0.1–0.2
 * of the picture's side), 0–2 lines.
 */
export function randomScene(seed) {
  const r = rng(seed);
  const c0 = hsl(r(), uniform(r, 0, 0.6), uniform(r, 0.15, 0.85));
  const c1 = c0.map((v) => Math.min(1, Math.max(0, v + uniform(r, -0.25, 0.25))));
  const background = {
    c0, c1, angle: uniform(r, 0, 2 * Math.PI),
    texture: ['none', 'stripes', 'waves', 'checks'][Math.floor(r() * 4)],
    freq: uniform(r, 3, 10), texAngle: uniform(r, 0, Math.PI), amp: uniform(r, 0.03, 0.1),
    noise: uniform(r, 0.01, 0.06), noiseSeed: Math.floor(r() * 2 ** 31),
  };
  const lines = [];
  for (let i = Math.floor(r() * 3); i > 0; i--) {
    lines.push({ x0: r(), y0: r(), x1: r(), y1: r(), width: uniform(r, 0.01, 0.025), colour: contrastingColour(r, [c0, c1], 0.2) });
  }
  const shapes = [];
  for (let i = 3 + Math.floor(r() * 5); i > 0; i--) {
    const kind = KINDS[Math.floor(r() * KINDS.length)];
    const cx = uniform(r, 0.08, 0.92), cy = uniform(r, 0.08, 0.92), radius = uniform(r, 0.1, 0.2);
    // visible: unlike both ends of the background's gradient and the shapes it overlaps
    const under = shapes.filter((s) => Math.hypot(s.cx - cx, s.cy - cy) < 1.2 * (s.r + radius)).map((s) => s.colour);
    shapes.push(makeShape(r, kind, cx, cy, radius, contrastingColour(r, [c0, c1, ...under])));
  }
  return { seed, background, lines, shapes };
}

// ---- rasterisation: signed distances (negative inside), coverage for anti-aliasing

/** The shape's signed distance at (x, y) in unit coordinates. */
export function signedDistance(s, x, y) {
  const dx = x - s.cx, dy = y - s.cy;
  const c = Math.cos(s.angle), sn = Math.sin(s.angle);
  const u = c * dx + sn * dy, v = -sn * dx + c * dy;
  switch (s.kind) {
    case 'circle':
      return Math.hypot(u, v) - s.r;
    case 'ring': {
      const d = Math.hypot(u, v);
      return Math.max(d - s.r, s.r * s.inner - d);
    }
    case 'rectangle': {
      // width 2r·0.85 so a square covers about what a circle of the same r does
      const a = s.r * 0.85, b = a * s.aspect;
      const qx = Math.abs(u) - a, qy = Math.abs(v) - b;
      return Math.hypot(Math.max(qx, 0), Math.max(qy, 0)) + Math.min(Math.max(qx, qy), 0);
    }
    case 'triangle': {
      // three half-planes: vertices at angles 90° + k·120° (+ jitter), radius r·1.15
      const p = triangleVertices(s);
      let d = -Infinity;
      for (let k = 0; k < 3; k++) {
        const [ax, ay] = p[k], [bx, by] = p[(k + 1) % 3];
        const ex = bx - ax, ey = by - ay, len = Math.hypot(ex, ey);
        // the vertices run clockwise (angles decreasing): the outside is to the left of each edge
        d = Math.max(d, ((v - ay) * ex - (u - ax) * ey) / len);
      }
      return d;
    }
    default:
      throw new Error(`unknown shape kind ${s.kind}`);
  }
}

function triangleVertices(s) {
  if (!s.vertices) {
    s.vertices = [0, 1, 2].map((k) => {
      const a = -Math.PI / 2 - (2 * Math.PI * k) / 3 + (s.jitter?.[k] ?? 0);
      return [Math.cos(a) * s.r * 1.15, Math.sin(a) * s.r * 1.15];
    });
    Object.defineProperty(s, 'vertices', { enumerable: false }); // not part of the description
  }
  return s.vertices;
}

/** The radius of a circle about (cx, cy) that holds the whole shape. */
function boundingRadius(s) {
  if (s.kind === 'rectangle') return s.r * 0.85 * Math.hypot(1, s.aspect);
  if (s.kind === 'triangle') return s.r * 1.15;
  return s.r;
}

/** Distance from (x, y) to the segment of a line, minus its half width. */
function lineDistance(l, x, y) {
  const ex = l.x1 - l.x0, ey = l.y1 - l.y0;
  const t = Math.max(0, Math.min(1, ((x - l.x0) * ex + (y - l.y0) * ey) / (ex * ex + ey * ey || 1)));
  return Math.hypot(x - l.x0 - t * ex, y - l.y0 - t * ey) - l.width / 2;
}

/** A hash of (seed, i) to [-1, 1): the per-pixel noise (no state, so any pixel order works). */
function hashNoise(seed, i) {
  let h = Math.imul(seed ^ Math.imul(i, 0x9e3779b1), 0x85ebca6b);
  h ^= h >>> 13;
  h = Math.imul(h, 0xc2b2ae35);
  h ^= h >>> 16;
  return (h >>> 0) / 2147483648 - 1;
}

function texture(b, x, y) {
  const u = x * Math.cos(b.texAngle) + y * Math.sin(b.texAngle);
  const v = -x * Math.sin(b.texAngle) + y * Math.cos(b.texAngle);
  const f = 2 * Math.PI * b.freq;
  switch (b.texture) {
    case 'stripes': return b.amp * Math.sign(Math.sin(f * u));
    case 'waves': return b.amp * Math.sin(f * u + 2 * Math.sin(0.7 * f * v));
    case 'checks': return b.amp * Math.sign(Math.sin(f * u) * Math.sin(f * v));
    default: return 0;
  }
}

/**
 * Rasterises a scene at size × size: { rgb: Float32Array [3, size, size] in [0, 1], mask: Uint8Array
 * [size, size] of class indices }. Edges are anti-aliased by coverage (a one-pixel ramp of the
 * signed distance); a pixel's class is the top-most shape containing its centre.
 */
export function renderScene(scene, size = SIZE) {
  const plane = size * size;
  const rgb = new Float32Array(3 * plane);
  const mask = new Uint8Array(plane);
  const { background: b, lines, shapes } = scene;
  const ga = Math.cos(b.angle), gb = Math.sin(b.angle);
  const px = 1 / size;
  const reach = shapes.map((s) => (boundingRadius(s) + px) ** 2);
  for (let y = 0; y < size; y++) {
    for (let x = 0; x < size; x++) {
      const ux = (x + 0.5) * px, uy = (y + 0.5) * px, i = y * size + x;
      // background: the gradient, its texture, then the lines over it
      const t = Math.min(1, Math.max(0, 0.5 + (ux - 0.5) * ga + (uy - 0.5) * gb));
      const tex = texture(b, ux, uy);
      let r = b.c0[0] + (b.c1[0] - b.c0[0]) * t + tex;
      let g = b.c0[1] + (b.c1[1] - b.c0[1]) * t + tex;
      let bl = b.c0[2] + (b.c1[2] - b.c0[2]) * t + tex;
      for (const l of lines) {
        const cov = Math.min(1, Math.max(0, 0.5 - lineDistance(l, ux, uy) * size));
        if (cov > 0) { r += (l.colour[0] - r) * cov; g += (l.colour[1] - g) * cov; bl += (l.colour[2] - bl) * cov; }
      }
      let cls = 0;
      for (const [k, s] of shapes.entries()) {
        // outside the shape's bounding circle (plus the one-pixel ramp): no coverage
        const dx = ux - s.cx, dy = uy - s.cy;
        if (dx * dx + dy * dy > reach[k]) continue;
        const d = signedDistance(s, ux, uy);
        const cov = Math.min(1, Math.max(0, 0.5 - d * size));
        if (cov <= 0) continue;
        // a light gradient across the shape, so it is not one flat colour
        const shade = 1 + s.shade * (((ux - s.cx) * ga + (uy - s.cy) * gb) / s.r);
        r += (s.colour[0] * shade - r) * cov;
        g += (s.colour[1] * shade - g) * cov;
        bl += (s.colour[2] * shade - bl) * cov;
        if (d < 0) cls = KINDS.indexOf(s.kind) + 1;
      }
      const n = b.noise;
      rgb[i] = clamp01(r + n * hashNoise(b.noiseSeed, 3 * i));
      rgb[plane + i] = clamp01(g + n * hashNoise(b.noiseSeed, 3 * i + 1));
      rgb[2 * plane + i] = clamp01(bl + n * hashNoise(b.noiseSeed, 3 * i + 2));
      mask[i] = cls;
    }
  }
  return { rgb, mask };
}

const clamp01 = (v) => (v < 0 ? 0 : v > 1 ? 1 : v);

/** A planar RGB image in [0, 1] as RGBA bytes (ImageData's layout). */
export function toRGBA(rgb, size = SIZE) {
  const plane = size * size;
  const out = new Uint8ClampedArray(4 * plane);
  for (let i = 0; i < plane; i++) {
    out[4 * i] = Math.round(rgb[i] * 255);
    out[4 * i + 1] = Math.round(rgb[plane + i] * 255);
    out[4 * i + 2] = Math.round(rgb[2 * plane + i] * 255);
    out[4 * i + 3] = 255;
  }
  return out;
}

/** The network's input for one image: (rgb − mean) / std. */
export function normalise(rgb, norm = NORMALIZE) {
  const out = new Float32Array(rgb.length);
  for (let i = 0; i < rgb.length; i++) out[i] = (rgb[i] - norm.mean) / norm.std;
  return out;
}

/**
 * n scenes from seeds seed, seed + 1, …: x [n, 3, size, size] normalised, y [n·size·size] class
 * indices (per-pixel labels as fit() takes them for a [classes, size, size] output).
 */
export function makeDataset(n, seed, size = SIZE) {
  const plane = size * size;
  const x = new Float32Array(n * 3 * plane);
  const y = new Int32Array(n * plane);
  for (let k = 0; k < n; k++) {
    const { rgb, mask } = renderScene(randomScene(seed + k), size);
    x.set(normalise(rgb), k * 3 * plane);
    y.set(mask, k * plane);
  }
  return { x, y };
}

/**
 * Segmentation scores of predicted against true class indices (same length): pixel accuracy, the
 * confusion matrix [truth][prediction], per-class IoU (NaN for a class absent from both) and the
 * mean IoU over the classes present.
 */
export function segmentationScores(pred, truth, classes = CLASS_NAMES.length) {
  if (pred.length !== truth.length) throw new Error(`segmentationScores: ${pred.length} predictions for ${truth.length} labels`);
  const confusion = Array.from({ length: classes }, () => new Array(classes).fill(0));
  let correct = 0;
  for (let i = 0; i < pred.length; i++) {
    confusion[truth[i]][pred[i]]++;
    if (pred[i] === truth[i]) correct++;
  }
  const iou = confusion.map((row, c) => {
    const tp = row[c];
    let fn = 0, fp = 0;
    for (let k = 0; k < classes; k++) if (k !== c) { fn += row[k]; fp += confusion[k][c]; }
    return tp + fn + fp === 0 ? NaN : tp / (tp + fn + fp);
  });
  const present = iou.filter((v) => !Number.isNaN(v));
  return { pixelAccuracy: correct / Math.max(1, pred.length), confusion, iou, meanIoU: present.reduce((a, b) => a + b, 0) / Math.max(1, present.length) };
}

/** Per-pixel argmax over channels of logits [classes, size·size] (ties → the lower class). */
export function argmaxChannels(logits, classes, plane) {
  const out = new Uint8Array(plane);
  for (let i = 0; i < plane; i++) {
    let best = logits[i], arg = 0;
    for (let c = 1; c < classes; c++) {
      const v = logits[c * plane + i];
      if (v > best) { best = v; arg = c; }
    }
    out[i] = arg;
  }
  return out;
}
