// LeNet-5 (modern style: ReLU, 2×2 max pooling) in plain float64 loops, the smoke program's
// expected output. Independent of simdnet's kernels: NCHW input, OIHW weights, dense [out, in].
import { PARAMS, inputValues, paramValues } from './app/smoke-data.mjs';

type Maps = { c: number; h: number; w: number; data: Float64Array };

function conv(x: Maps, weight: Float32Array, bias: Float32Array, outC: number, k: number): Maps {
  const h = x.h - k + 1, w = x.w - k + 1;
  const data = new Float64Array(outC * h * w);
  for (let o = 0; o < outC; o++) {
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        let s = bias[o];
        for (let c = 0; c < x.c; c++) {
          for (let u = 0; u < k; u++) {
            for (let v = 0; v < k; v++) s += x.data[(c * x.h + i + u) * x.w + j + v] * weight[((o * x.c + c) * k + u) * k + v];
          }
        }
        data[(o * h + i) * w + j] = s;
      }
    }
  }
  return { c: outC, h, w, data };
}

function relu(x: Maps): Maps {
  return { ...x, data: x.data.map((v) => Math.max(v, 0)) };
}

function maxPool2(x: Maps): Maps {
  const h = Math.floor(x.h / 2), w = Math.floor(x.w / 2);
  const data = new Float64Array(x.c * h * w);
  for (let c = 0; c < x.c; c++) {
    for (let i = 0; i < h; i++) {
      for (let j = 0; j < w; j++) {
        let m = -Infinity;
        for (let u = 0; u < 2; u++) for (let v = 0; v < 2; v++) m = Math.max(m, x.data[(c * x.h + 2 * i + u) * x.w + 2 * j + v]);
        data[(c * h + i) * w + j] = m;
      }
    }
  }
  return { c: x.c, h, w, data };
}

function dense(x: Float64Array, weight: Float32Array, bias: Float32Array, out: number): Float64Array {
  const y = new Float64Array(out);
  for (let o = 0; o < out; o++) {
    let s = bias[o];
    for (let i = 0; i < x.length; i++) s += x[i] * weight[o * x.length + i];
    y[o] = s;
  }
  return y;
}

/** The ten logits of LeNet-5 with the smoke program's weights on its input. */
export function lenetReference(): number[] {
  const p = Object.fromEntries(PARAMS.map(([name, shape]) => [name, paramValues(name, shape)]));
  let x: Maps = { c: 1, h: 32, w: 32, data: Float64Array.from(inputValues()) };
  x = maxPool2(relu(conv(x, p['c1.weight'], p['c1.bias'], 6, 5)));
  x = maxPool2(relu(conv(x, p['c3.weight'], p['c3.bias'], 16, 5)));
  x = relu(conv(x, p['c5.weight'], p['c5.bias'], 120, 5));
  const f6 = dense(x.data, p['f6.weight'], p['f6.bias'], 84).map((v) => Math.max(v, 0));
  return Array.from(dense(f6, p['output.weight'], p['output.bias'], 10));
}
