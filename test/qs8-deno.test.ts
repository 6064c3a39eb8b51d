// The int8 kernels give the same integers on every build and relaxed-dot mode: Deno runs the
// relaxed build (no flag needed), whose start-up check picks the mode its CPU supports (on x86
// with VNNI the unsigned-activation mode 2, on Arm the signed mode 1, else the split mode 0 or
// dot_i16x8_s), and computes int8 convolutions of every kernel family (the GEMM on panels packed
// from the padded input, 1×1, depthwise 3×3, 5×5 and 7×7 at stride 1 and 2, the general depthwise kernel, the
// direct kernel of short reductions, panels from channel quads, dense layers over the GEMM's row-block edges, a compiled plan
// with the int8 fusions); the same program
// runs here on this suite's build, and the bytes must be equal.
import { spawnSync } from 'node:child_process';
import { existsSync, mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import * as sd from '../src/index.js';
import { ready } from './helpers.js';

const ROOT = fileURLToPath(new URL('..', import.meta.url));
const DENO = join(ROOT, 'node_modules/.bin/deno');

/** The cases, as a function of the package's namespace: returns every output's bytes, concatenated. */
function cases(s: typeof sd): number[] {
  const bytes = (n: number, a: number, b: number) => Int8Array.from({ length: n }, (_, i) => ((i * a + b) % 256) - 128);
  const out: number[] = [];
  const conv = (c: number, o: number, h: number, w: number, k: number, opt: { stride?: number; padding?: number; groups?: number; dilation?: number }, zx: number) => {
    const g = opt.groups ?? 1;
    const x = s.Tensor.from(bytes(c * h * w, 97, 5), [1, c, h, w]);
    const wt = bytes(o * (c / g) * k * k, 59, 3).map((v) => Math.max(v, -127));
    const y = s.ops.conv2dQs8(x, { data: wt, shape: [o, c / g, k, k], scales: new Float32Array(o).fill(0.004), bias: Float32Array.from({ length: o }, (_, i) => i - 3) },
      opt, { x: { scale: 0.05, zeroPoint: zx }, y: { scale: 0.07, zeroPoint: -5 } });
    out.push(...y.toInt8Array());
    x.dispose(); y.dispose();
  };
  conv(5, 9, 7, 11, 3, { padding: 1 }, -128);
  conv(33, 17, 6, 13, 1, {}, 127);
  conv(16, 16, 9, 37, 3, { padding: 1, groups: 16 }, 3);
  conv(8, 8, 12, 29, 3, { padding: 1, stride: 2, groups: 8 }, -128);
  conv(4, 4, 9, 9, 5, { padding: 2, groups: 4 }, 127);
  conv(6, 6, 11, 37, 5, { padding: 2, stride: 2, groups: 6 }, -128);
  conv(5, 5, 9, 29, 7, { padding: 3, groups: 5 }, 3);
  // the depthwise K×K kernels' steps (16 pixels on the quads at stride 1, 8 else) over widths 1…40,
  // strides, asymmetric padding, weights down to −128
  for (const k of [3, 5, 7]) for (let w = 1; w <= 40; w++) for (const [sh, sw] of [[1, 1], [2, 2], [1, 2], [3, 1]]) {
    const pad = [[0, 0, 0, 0], [1, 2, 0, 3], [3, 1, 2, 0], [k >> 1, k >> 1, k >> 1, k >> 1]][w % 4], c = [1, 3, 6][w % 3], h = k + (w % 5);
    if (w + pad[1] + pad[3] < k) continue;
    const x = s.Tensor.from(bytes(c * h * w, 89, w), [1, c, h, w]);
    const y = s.ops.conv2dQs8(x, { data: bytes(c * k * k, 53, k + w), shape: [c, 1, k, k], scales: new Float32Array(c).fill(0.003), bias: null },
      { stride: [sh, sw] as unknown as number, padding: pad as unknown as number, groups: c }, { x: { scale: 0.05, zeroPoint: [-128, 127, 4][w % 3] }, y: { scale: 0.09, zeroPoint: 6 } });
    out.push(...y.toInt8Array());
    x.dispose(); y.dispose();
  }
  conv(1, 7, 12, 37, 5, { padding: 2 }, 5);
  conv(3, 5, 9, 13, 3, {}, -128);
  // the direct kernel's tap groups (rows by pairs / quads, leftover rows along) and row tails; the lanes kernel (LeNet's c3)
  for (const [c, o, h, w, k, pad, st] of [[1, 6, 32, 32, 5, 0, 1], [2, 4, 9, 6, 3, 1, 2], [1, 5, 11, 21, 7, 3, 1], [3, 2, 6, 3, 2, 0, 1], [2, 3, 8, 13, 4, 2, 1]]) conv(c, o, h, w, k, { padding: pad, stride: [st, 1] as unknown as number }, [5, -128, 127][c % 3]);
  conv(6, 16, 14, 14, 5, {}, -128);
  conv(7, 21, 9, 8, 3, { padding: 1 }, 127);
  // panels from channel quads (relaxed builds: channels a multiple of 4 a group), panels across output rows, stride 1 and 2
  for (const [c, o, h, w, st, zx] of [[8, 13, 9, 14, 1, -128], [12, 22, 8, 29, 2, 127], [16, 7, 7, 7, 1, 3], [8, 64, 9, 28, 1, -128], [16, 70, 6, 15, 2, 127], [4, 9, 5, 9, 1, 0]]) conv(c, o, h, w, 3, { padding: 1, stride: st }, zx);
  conv(16, 10, 8, 19, 5, { padding: 2, groups: 2 }, -128);
  // B in bands of output rows (K·ow past the band size): 3×3 on 64 channels, a 7×7 stride-2 stem
  conv(64, 9, 10, 30, 3, { padding: 1 }, -128);
  conv(3, 5, 40, 160, 7, { padding: 3, stride: 2 }, 5);
  // the GEMM's row blocks (4-row tiles, and 6-row blocks in the one-dot relaxed modes) over every
  // output count to 23 and a few more, on batches of 4 to 17 columns, short and long reductions,
  // saturating operands at both ends
  for (const O of [1, 2, 3, 4, 5, 6, 7, 8, 9, 10, 11, 12, 13, 14, 15, 16, 17, 18, 19, 20, 21, 22, 23, 64, 70]) {
    for (const [n, K, zx, fill] of [[4, 5, -128, 0], [9, 70, 127, 0], [17, 33, 0, 127], [8, 300, -128, -128]]) {
      const xb = fill ? new Int8Array(n * K).fill(fill) : bytes(n * K, 29, O);
      const x = s.Tensor.from(xb, [n, K]);
      const wb = fill ? Int8Array.from({ length: O * K }, (_, i) => (i % 3 ? -127 : 127)) : bytes(O * K, 41, n).map((v) => Math.max(v, -127));
      const y = s.ops.linearQs8(x, { data: wb, shape: [O, K], scales: Float32Array.from({ length: O }, (_, i) => 0.001 + i * 1e-4), bias: null },
        { x: { scale: 0.1, zeroPoint: zx }, y: { scale: 0.3, zeroPoint: fill ? 3 : -7 } });
      out.push(...y.toInt8Array());
      x.dispose(); y.dispose();
    }
  }
  const x = s.Tensor.from(bytes(3 * 70, 31, 7), [3, 70]);
  const y = s.ops.linearQs8(x, { data: bytes(10 * 70, 13, 1).map((v) => Math.max(v, -127)), shape: [10, 70], scales: new Float32Array(10).fill(0.002), bias: null },
    { x: { scale: 0.1, zeroPoint: 9 }, y: { scale: 0.3, zeroPoint: 0 } });
  out.push(...y.toInt8Array());
  x.dispose(); y.dispose();
  // a compiled LeNet-shaped int8 graph: QuantizeLinear and the 2×2 pools folded into the direct kernels (compile/qs8-fuse.ts)
  const q = (scale: number, zeroPoint: number) => ({ scale, zeroPoint });
  const qconv = (c: number, o: number, k: number, qx: { scale: number; zeroPoint: number }, seed: number) => {
    const l = new s.nn.QConv2d(c, o, k, { x: qx, y: q(0.05, -128), clamp: { min: 0 } });
    l.weight.assign(bytes(o * c * k * k, 37, seed).map((v) => Math.max(v, -127)));
    l.weightScale.assign(new Float32Array(o).fill(0.003));
    l.bias!.assign(Float32Array.from({ length: o }, (_, i) => (i % 5) - 2));
    return l;
  };
  const fc = new s.nn.QLinear(16 * 3 * 3, 5, { x: q(0.05, -128), y: q(0.2, 3) });
  fc.weight.assign(bytes(5 * 144, 41, 9).map((v) => Math.max(v, -127)));
  fc.weightScale.assign(new Float32Array(5).fill(0.01));
  const g = new s.Graph({
    inputs: { x: [1, 21, 21] }, outputs: 'dq', nodes: [
      { name: 'q', layer: new s.nn.QuantizeLinear(q(0.02, 3)), inputs: 'x' },
      { name: 'c1', layer: qconv(1, 6, 5, q(0.02, 3), 1), inputs: 'q' }, { name: 'p1', layer: new s.nn.QMaxPool2d(2), inputs: 'c1' },
      { name: 'c2', layer: qconv(6, 16, 3, q(0.05, -128), 2), inputs: 'p1' }, { name: 'p2', layer: new s.nn.QMaxPool2d(2), inputs: 'c2' },
      { name: 'f', layer: new s.nn.Flatten(), inputs: 'p2' }, { name: 'fc', layer: fc, inputs: 'f' },
      { name: 'dq', layer: new s.nn.DequantizeLinear(q(0.2, 3)), inputs: 'fc' },
    ],
  });
  const plan = s.compile(g);
  const xf = s.Tensor.from(Float32Array.from({ length: 441 }, (_, i) => Math.sin(i * 0.7) * 2.5), [1, 1, 21, 21]);
  out.push(...plan.run(xf).toFloat32Array());
  plan.dispose(); xf.dispose(); g.dispose();
  return out;
}

const PROGRAM = `
import * as sd from ${JSON.stringify(join(ROOT, 'dist/deno.js'))};
const info = await sd.init();
const cases = ${cases.toString()};
console.log(JSON.stringify({ build: info.build, int8: info.int8, out: cases(sd) }));
`;

beforeAll(ready);

describe.skipIf(!existsSync(DENO) && !process.env.CI)('int8 kernels on Deno', () => {
  it('give the bytes this build gives, in the relaxed-dot mode Deno picks', () => {
    const dir = mkdtempSync(join(tmpdir(), 'simdnet-deno-qs8-'));
    const file = join(dir, 'qs8.mjs');
    writeFileSync(file, PROGRAM);
    const r = spawnSync(DENO, ['run', '--no-prompt', file], { encoding: 'utf8', timeout: 60_000 });
    expect(r.status, r.stderr).toBe(0);
    const got = JSON.parse(r.stdout.trim().split('\n').at(-1)!) as { build: string; int8: string; out: number[] };
    expect(got.build).toBe('relaxed');
    const want = cases(sd);
    expect(got.out.length).toBe(want.length);
    const at = got.out.findIndex((v, i) => v !== want[i]);
    expect(at, `first difference at byte ${at} (Deno's int8 kernels: ${got.int8})`).toBe(-1);
  });
});
