// Which algorithm runs a convolution: the `algorithm` option of conv2d (checked here) and the cost
// model behind 'auto', fitted to measurements on this project's machines (bench/winograd.mjs;
// the measurements and the fit are in bench/README.md, "Winograd").
import type { ConvGeom } from './conv2d-common.js';
import { blockTiles, positions, tileCount, winogradUnsupported, type WinoShape, type WinoTile } from './conv2d-winograd.js';

export type Conv2dAlgorithm = 'auto' | 'gemm' | 'winograd' | 'winograd-2x2' | 'winograd-4x4' | 'winograd-6x6';

const ALGORITHMS: readonly Conv2dAlgorithm[] = ['auto', 'gemm', 'winograd', 'winograd-2x2', 'winograd-4x4', 'winograd-6x6'];

/** The checked `algorithm` option (default 'auto'). */
export function algorithmArg(op: string, v: unknown): Conv2dAlgorithm {
  if (v === undefined) return 'auto';
  if (typeof v !== 'string' || !(ALGORITHMS as readonly string[]).includes(v)) {
    const got = typeof v === 'string' ? `'${v}'` : v === null ? 'null' : typeof v;
    throw new TypeError(`${op}: algorithm must be one of ${ALGORITHMS.map((a) => `'${a}'`).join(', ')}, got ${got}`);
  }
  return v as Conv2dAlgorithm;
}

/** 0: the GEMM path (im2col / direct / 1×1 …); else Winograd with m×m output tiles. */
export type Choice = 0 | WinoTile;

/**
 * Tile sizes 'auto' and 'winograd' may pick: F(2×2) and F(4×4). Per layer all three stay within
 * max |Δ| ≤ 1e-4·max |y|, but in deep networks the per-layer errors add up, so a tile size is here
 * only if whole imported models stay near the GEMM path's distance from PyTorch's float64 logits.
 * F(4×4) on the points 0, ±2/3, ±3/2 with the channel sums in slices (1e-6 per layer at 512
 * channels, 10× less than on 0, ±1, ±2 with one long sum) does, on layers of ≥ F4_MIN_CHANNELS
 * input channels: Inception v3 drifts 3.3e-5 of the largest logit (mean of 16 inputs; GEMM path
 * 3.1e-5), ResNet-50 3.4e-5 (3.0e-5). F(6×6) does not (Inception v3 2.6e-4): 'winograd-6x6' is there
 * for users who trade accuracy for speed. The tables are in bench/README.md, "Winograd".
 */
const ACCURATE: readonly WinoTile[] = [2, 4];
let autoTiles: readonly WinoTile[] = ACCURATE;

/** Test and bench hook: the tile sizes 'auto' and 'winograd' choose among (undefined: the default). */
export function setAutoTiles(tiles: readonly WinoTile[] | undefined): void {
  autoTiles = tiles ?? ACCURATE;
}

// The cost model, in nanoseconds on one thread (least squares on bench/winograd.mjs --fit's grid,
// bench/winograd-fit.mjs; the measurements are in bench/README.md, "Winograd"):
//   GEMM path:  2·MACs / GEMM_RATE
//   Winograd:   α²·tiles8·cout·cin·2 / WINO_RATE             the per-position GEMMs (tiles rounded
//                                                            up to whole blocks of 8-tile panels)
//             + TRANSFORM_NS[m]·α²·tiles·(cin + cout)        the input and output transforms
//             + REREAD_NS·α²·cout·cin·blocks                 U read (from L3 / memory) once per block
//             + FILTER_NS·α²·cout·cin                        eager calls only: the filter transform
const GEMM_RATE = 49.5; // GFLOP/s (= flops per ns) of the GEMM path on 3×3 layers
const WINO_RATE = 60; // of the Winograd GEMMs (no im2col; B already in panels)
/** Per tile size: F(2×2)'s transforms run in registers (assembly/conv2d-winograd-f2.ts); F(6×6) is not fitted (F(4×4)'s). */
const TRANSFORM_NS: Record<WinoTile, number> = { 2: 0.231, 4: 1.38, 6: 1.38 };
const REREAD_NS = 0.138;
const FILTER_NS = 0.8;
/** Where F(6×6) is a candidate (setAutoTiles only), it must be predicted this much faster than the others (it loses more digits). */
const F6_MARGIN = 1.1;
/** Fewer channels than this on either side: the GEMM path (K or M of the per-position GEMMs too short). */
const MIN_CHANNELS = 8;
/**
 * Fewer input channels than this: not Winograd in 'auto' at all. Since F(2×2)'s transforms run in
 * registers it is faster than the GEMM path from 16 channels, but on the thin first layers of
 * image networks even its rounding (per layer no larger than the GEMM path's) is amplified by every
 * later layer: with F(2×2) on Inception v3's 32-channel stem its logits went from 3.9e-5 to 9.1e-5
 * of PyTorch's float64 ones (test/torchvision.test.ts). 'winograd' and 'winograd-m×m' still run them.
 */
const AUTO_MIN_CHANNELS = 64;
/**
 * Fewer input channels than this: not F(4×4). Its rounding error (2.5–3× F(2×2)'s, whatever the
 * depth) matters where every later layer amplifies it, at the start of a network, and the first
 * 3×3 layers of image networks are the thin ones: in Inception v3, F(4×4) on its stem (32 → 32,
 * 32 → 64) alone moved the logits from 3.1e-5 to 4.4–5.8e-5 of PyTorch's float64 ones; on layers of
 * ≥ 64 input channels it moved no classifier of the 16 by more than 1.2× (bench/README.md), but
 * FCN-ResNet50 (a float32 run of it is already 1.15e-4 from float64) went from 9.6e-5 to 1.2e-4 with
 * F(4×4) on ≥ 64 channels and 1.0e-4 on ≥ 128: from 256 input channels on it stays at its F(2×2) error.
 */
const F4_MIN_CHANNELS = 256;

/** Predicted single-thread ns of the GEMM path for a 3×3 pass. */
export function gemmCost(s: WinoShape): number {
  return (2 * s.n * s.cout * s.oh * s.ow * s.cin * 9) / GEMM_RATE;
}

/** Predicted single-thread ns of Winograd F(m×m) for a pass (withFilter: eager, transforming the filter too). */
export function winogradCost(s: WinoShape, m: WinoTile, withFilter: boolean): number {
  const T = positions(m), tiles = tileCount(s, m), nt = blockTiles(s, m), blocks = Math.ceil(tiles / nt);
  const gemm = (2 * T * blocks * nt * s.cout * s.cin) / WINO_RATE;
  const transforms = TRANSFORM_NS[m] * T * tiles * (s.cin + s.cout);
  const u = T * s.cout * s.cin;
  return gemm + transforms + REREAD_NS * u * blocks + (withFilter ? FILTER_NS * u : 0);
}

/**
 * The algorithm for a pass of geometry p (shape s as the Winograd kernels see it). 'gemm': 0.
 * 'winograd' / 'winograd-m×m': Winograd (for 'winograd' the cheaper of F(2×2) and, with
 * ≥ F4_MIN_CHANNELS input channels, F(4×4)), or a RangeError naming why this geometry cannot.
 * 'auto': that tile where the model predicts it faster than the GEMM path by 10% or more (and both
 * ≥ AUTO_MIN_CHANNELS input and ≥ MIN_CHANNELS output channels), else 0.
 * `gemm`: the shape the GEMM path would run, when Winograd runs another (a dilated convolution's
 * phases, conv2d-dilated.ts).
 */
export function chooseAlgorithm(op: string, p: ConvGeom, s: WinoShape, alg: Conv2dAlgorithm, eager: boolean, gemm: WinoShape = s): Choice {
  if (alg === 'gemm') return 0;
  const why = winogradUnsupported(p);
  if (alg !== 'auto' && why !== null) {
    throw new RangeError(`${op}: algorithm '${alg}' cannot run this convolution: ${why}; use 'auto' or 'gemm'`);
  }
  if (alg === 'winograd-2x2') return 2;
  if (alg === 'winograd-4x4') return 4;
  if (alg === 'winograd-6x6') return 6;
  if (why !== null) return 0;
  let best: WinoTile = 2, cost = Infinity;
  for (const m of autoTiles) {
    if (m === 4 && s.cin < F4_MIN_CHANNELS) continue;
    const c = winogradCost(s, m, eager) * (m === 6 ? F6_MARGIN : 1);
    if (c < cost) { best = m; cost = c; }
  }
  if (alg === 'winograd') return best;
  if (s.cin < AUTO_MIN_CHANNELS || s.cout < MIN_CHANNELS) return 0;
  return cost * 1.1 <= gemmCost(gemm) ? best : 0;
}
