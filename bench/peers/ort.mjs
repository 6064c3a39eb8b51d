// onnxruntime-web peer: one ONNX model per workload, written by ../onnx-writer.mjs, run with the
// wasm execution provider, on one thread unless asked (ort-wasm-simd-threaded.wasm: the package
// ships only SIMD wasm builds; with numThreads = 1 it starts no workers, with n it starts n − 1).
//
// session.run() copies the inputs into ORT's wasm heap and the outputs back out on every call:
// that is part of its API, so it is part of what we time (it matters only for memory-bound ops).
import { OnnxGraph } from '../onnx-writer.mjs';
import { LENET, LENET_INPUT, LENET_CLASSES, outDim } from './common.mjs';

/**
 * `threads` sets ort.env.wasm.numThreads. ORT falls back to one thread, with a console.warn, where
 * it finds no SharedArrayBuffer; it then resets numThreads to 1, so read ort.env.wasm.numThreads
 * (returned as `ort`) after the first session to know what runs.
 */
export async function createOrt({ threads = 1 } = {}) {
  const ort = await import('onnxruntime-web');
  ort.env.wasm.numThreads = threads;
  ort.env.wasm.proxy = false;
  // In Node, ORT finds ort-wasm-simd-threaded.{mjs,wasm} next to its own bundle in node_modules;
  // set ort.env.wasm.wasmPaths to a directory URL here if a bundler ever moves them.
  const options = { executionProviders: ['wasm'], graphOptimizationLevel: 'all' };

  /** A task from a model and its float32 input(s); output() returns the first output's data. */
  async function task(bytes, inputs) {
    const session = await ort.InferenceSession.create(bytes, options);
    const feeds = {};
    for (const [name, { data, shape }] of Object.entries(inputs)) feeds[name] = new ort.Tensor('float32', data, shape);
    const out = session.outputNames[0];
    return {
      run: () => session.run(feeds),
      async output() { return (await session.run(feeds))[out].data; },
      dispose: () => session.release(),
    };
  }

  const adapter = {
    name: 'onnxruntime-web',

    conv2d(c, d) {
      const o = c.opts;
      const g = new OnnxGraph(c.x).conv(d.w, c.w, d.b, { stride: o.stride, padding: o.padding, dilation: o.dilation, groups: o.groups });
      return task(g.build([c.x[0], c.w[0], c.out[0], c.out[1]]), { x: { data: d.x, shape: c.x } });
    },

    linear(c, d) {
      const g = new OnnxGraph(c.x).gemm(d.w, c.w, d.b);
      return task(g.build([c.x[0], c.w[0]]), { x: { data: d.x, shape: c.x } });
    },

    pool(c, d) {
      const k = c.opts.kernelSize, s = c.opts.stride ?? k, p = c.opts.padding ?? 0;
      const [n, ch, h, w] = c.x;
      const g = new OnnxGraph(c.x).maxPool(k, s, p);
      return task(g.build([n, ch, outDim(h, k, s, p), outDim(w, k, s, p)]), { x: { data: d.x, shape: c.x } });
    },

    elementwise(c, d) {
      if (c.op !== 'relu') throw new Error(`elementwise ${c.op} has no ONNX mapping here`);
      return task(new OnnxGraph(c.x).relu().build(c.x), { x: { data: d.x, shape: c.x } });
    },

    lenetInfer(c, d) {
      const shape = [c.batch, ...LENET_INPUT];
      return task(lenetOnnx(shape, d.params), { x: { data: d.x, shape } });
    },

    lenetTrain() {
      throw new Error('n/a (training needs the onnxruntime-training build)');
    },
  };
  return { ort, info: { version: ort.env.versions.web, wasm: `simd, threads ${threads}` }, adapters: [adapter] };
}

/** LeNet-5 as an ONNX model (Conv/Relu/MaxPool/Flatten/Gemm) with the given weights. */
export function lenetOnnx(inputShape, params) {
  const g = new OnnxGraph(inputShape);
  let pi = 0;
  for (const l of LENET) {
    if (l.kind === 'conv') { const p = params[pi++]; g.conv(p.w, l.w, p.b); }
    else if (l.kind === 'linear') { const p = params[pi++]; g.gemm(p.w, l.w, p.b); }
    else if (l.kind === 'relu') g.relu();
    else if (l.kind === 'pool') g.maxPool(l.k);
    else if (l.kind === 'flatten') g.flatten(1);
  }
  return g.build([inputShape[0], LENET_CLASSES]);
}
