// A perceptual colour scale for the activation maps, computed here rather than copied: lightness
// rises evenly from dark to light in OKLab (so equal value steps look like equal steps) while the
// hue turns purple → blue → teal → green → yellow, in the spirit of matplotlib's viridis. Colours
// outside sRGB keep their lightness and hue and lose chroma until they fit.

/** (t, OKLCh chroma, hue in degrees) anchors; lightness is linear in t, from L0 to L1. */
const L0 = 0.27, L1 = 0.94;
const ANCHORS = [
  [0, 0.12, 308],
  [0.25, 0.11, 268],
  [0.5, 0.09, 195],
  [0.75, 0.15, 140],
  [1, 0.19, 106],
];

const encode = (c) => (c <= 0.0031308 ? 12.92 * c : 1.055 * c ** (1 / 2.4) - 0.055);

/** OKLab (Ottosson's transform) to linear sRGB. */
function oklabToLinear(L, a, b) {
  const l = (L + 0.3963377774 * a + 0.2158037573 * b) ** 3;
  const m = (L - 0.1055613458 * a - 0.0638541728 * b) ** 3;
  const s = (L - 0.0894841775 * a - 1.291485548 * b) ** 3;
  return [
    4.0767416621 * l - 3.3077115913 * m + 0.2309699292 * s,
    -1.2684380046 * l + 2.6097574011 * m - 0.3413193965 * s,
    -0.0041960863 * l - 0.7034186147 * m + 1.707614701 * s,
  ];
}

/** OKLCh to 8-bit sRGB, lowering chroma (bisection) when the colour is outside the gamut. */
function oklchToRgb(L, C, h) {
  const rad = (h * Math.PI) / 180;
  const at = (c) => oklabToLinear(L, c * Math.cos(rad), c * Math.sin(rad));
  const inside = (rgb) => rgb.every((v) => v >= -1e-4 && v <= 1 + 1e-4);
  let rgb = at(C);
  if (!inside(rgb)) {
    let lo = 0, hi = C;
    for (let i = 0; i < 20; i++) {
      const mid = (lo + hi) / 2;
      if (inside(at(mid))) lo = mid;
      else hi = mid;
    }
    rgb = at(lo);
  }
  return rgb.map((v) => Math.round(255 * encode(Math.min(1, Math.max(0, v)))));
}

/** The colour at t in [0, 1] as [r, g, b] (0–255). */
export function colourAt(t) {
  const u = Math.min(1, Math.max(0, t));
  let i = 0;
  while (i < ANCHORS.length - 2 && u > ANCHORS[i + 1][0]) i++;
  const [t0, c0, h0] = ANCHORS[i], [t1, c1, h1] = ANCHORS[i + 1];
  const f = (u - t0) / (t1 - t0);
  return oklchToRgb(L0 + (L1 - L0) * u, c0 + (c1 - c0) * f, h0 + (h1 - h0) * f);
}

/** 256 colours, RGBA, ready for ImageData: LUT[4 * i …] is the colour of i / 255. */
export const LUT = (() => {
  const out = new Uint8ClampedArray(256 * 4);
  for (let i = 0; i < 256; i++) {
    out.set(colourAt(i / 255), 4 * i);
    out[4 * i + 3] = 255;
  }
  return out;
})();

/** A CSS linear-gradient() of the scale, left (low) to right (high). */
export function cssGradient(stops = 9) {
  const cs = Array.from({ length: stops }, (_, i) => {
    const [r, g, b] = colourAt(i / (stops - 1));
    return `rgb(${r} ${g} ${b}) ${((100 * i) / (stops - 1)).toFixed(1)}%`;
  });
  return `linear-gradient(to right, ${cs.join(', ')})`;
}
