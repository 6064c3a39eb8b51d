// The depthwise int8 kernels of the K×K windows (dwconv2d_qs8_{3x3,5x5,7x7}_minmax_simd, which
// ops.conv2dQs8 runs for a depthwise 3×3, 5×5 or 7×7 at dilation 1 and width stride 1 or 2)
// against the plain integer reference: widths across the 8- and 16-pixel steps, heights, strides,
// asymmetric padding, channel counts, zero points at both ends, a fused clamp, saturation with
// extreme inputs and weights.
import { afterEach, beforeAll, beforeEach, describe, expect, it } from 'vitest';
import { Sequential, Tensor, compile, nn, ops } from '../src/index.js';
import { bytesInUse, expectCanariesIntact, ready } from './helpers.js';
import { convQs8Ref } from './ref/qs8.js';
import { base4, convCase, firstDiff } from './qs8-case.js';

beforeAll(ready);
let base = 0;
beforeEach(() => { base = bytesInUse(); });
afterEach(() => { expect(bytesInUse(), 'bytes in use after the test').toBe(base); });

/** Stride (down, along) pairs: 1 or 2 along the width, 1…3 down. */
const STRIDES = [[1, 1], [2, 2], [2, 1], [1, 2], [3, 1], [3, 2]];
/** Padding (top, left, bottom, right), asymmetric, 0…3. */
const PADS = [[1, 1, 1, 1], [0, 0, 0, 0], [2, 0, 1, 3], [0, 3, 2, 1], [3, 2, 3, 2], [2, 2, 2, 2], [1, 0, 0, 2]];

describe.each([3, 5, 7])('depthwise K×K int8, K = %i (its own kernel)', (K) => {
  it('widths 1…40, heights 1…12, strides 1 and 2 along the width and 1…3 down, padding 0…3 on each side, channels 1…19', () => {
    let s = 2000 + K * 1000;
    for (let w = 1; w <= 40; w++) for (const [sh, sw] of STRIDES) {
      const [pt, pl, pb, pr] = PADS[(w + sh) % PADS.length];
      const h = 1 + ((w * 7 + sw) % 12);
      if (w + pl + pr < K || h + pt + pb < K) continue;
      const c = [1, 2, 3, 8, 17, 19][s % 6];
      convCase({ ...base4, n: 1 + (w % 2), c, o: c, groups: c, h, w, kh: K, kw: K, sh, sw, pt, pl, pb, pr }, s++,
        [-128, 127, 0, 5][s % 4], [127, -128, 9][s % 3], s % 5 === 0 ? { min: 0, max: 6 } : undefined, s % 2 ? -128 : -127);
    }
  });

  it('writes nothing past its scratch (a compiled plan\'s, canaries checked): no bottom padding, widths around 16-byte stores', () => {
    // the padded plane's last row is an image row there; its fill store after the row's end reached 15 bytes past the rows
    for (const W of [K, 13, 17, 20, 21, 33]) for (const S of [1, 2]) {
      const C = 2, H = K + 2;
      const q = { scale: 0.1, zeroPoint: 3 };
      const net = new Sequential([new nn.QuantizeLinear(q), new nn.QConv2d(C, C, K, { groups: C, stride: S, x: q, y: { scale: 0.2, zeroPoint: -1 } }), new nn.DequantizeLinear({ scale: 0.2, zeroPoint: -1 })], { inputShape: [C, H, W] });
      const m = compile(net);
      const x = Tensor.from(new Float32Array(C * H * W).fill(0.5), [1, C, H, W]);
      const y = m.run(x);
      expectCanariesIntact(`K ${K} W ${W} stride ${S}`);
      y.dispose(); x.dispose(); m.dispose(); net.dispose();
    }
  });

  it('MobileNetV3 / EfficientNet shapes: 5×5-style padding K / 2 at stride 1 and 2 on wider planes', () => {
    let s = 9000 + K;
    for (const [c, h, w, st] of [[8, 14, 14, 1], [5, 28, 28, 2], [3, 7, 56, 1], [4, 9, 57, 2], [2, 20, 33, 1]]) {
      const p = K >> 1;
      convCase({ ...base4, c, o: c, groups: c, h, w, kh: K, kw: K, sh: st, sw: st, pt: p, pl: p, pb: p, pr: p }, s++, [-128, 127, 3][s % 3], [-128, 127, -5][s % 3], s % 2 ? { min: 0 } : undefined);
    }
  });

  it('saturates at −128 / 127 with extreme inputs and weights (−128, −127, 127), zero points at both ends', () => {
    for (const [xv, zx] of [[127, -128], [-128, 127], [127, 127], [-128, -128]] as const) for (const [sh, sw] of [[1, 1], [2, 2], [1, 2]]) {
      const c = 4, h = K + 3, w = 37, pad = K >> 1;
      const x = new Int8Array(c * h * w).fill(xv);
      const wt = Int8Array.from({ length: c * K * K }, (_, i) => [-128, 127, -127][i % 3]);
      const scales = new Float32Array([1, 0.5, 1e-3, 2]), bias = new Float32Array([0, 1e3, -1e3, 0]);
      const qx = { scale: 1, zeroPoint: zx }, qy = { scale: 1, zeroPoint: zx === 127 ? -128 : 127 };
      const bq = Int32Array.from(bias, (b, o) => Math.round(b / scales[o]));
      const p = { ...base4, c, o: c, groups: c, h, w, kh: K, kw: K, sh, sw, pt: pad, pl: pad, pb: pad, pr: pad };
      const ref = convQs8Ref(p, x, wt, bq, scales, zx, qy.zeroPoint, -128, 127);
      const xt = Tensor.from(x, [1, c, h, w]);
      const y = ops.conv2dQs8(xt, { data: wt, shape: [c, 1, K, K], scales, bias }, { stride: [sh, sw], padding: pad, groups: c }, { x: qx, y: qy });
      const d = firstDiff(y.toInt8Array(), ref.y, [1, c, ref.oh, ref.ow]);
      xt.dispose(); y.dispose();
      if (d) throw new Error(`x ${xv} zx ${zx} stride ${sh},${sw}: ${d}`);
    }
  });
});
