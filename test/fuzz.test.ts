// Seeded fuzz of the public surface: every function in `ops` (enumerated, so a new op is covered
// as soon as src/ops/index.ts lists it), every Layer class in `nn` (constructors and methods), and
// valid random conv/pool/linear calls against the float64 references in test/ref/.
//
// Each case must end in a result or an Error whose message names the function and is not made of
// JavaScript's internals; never a wasm trap or a non-Error throw; and memory (bytes in use, live
// tensors, canaries) must be back where it was once the case's tensors and results are disposed.
//
// SIMDNET_FUZZ_SECONDS (default 4, split over the three parts) and SIMDNET_FUZZ_SEED (default
// fixed) set the run; a failure prints the seed, the case number and the arguments.
import { beforeAll, describe, expect, it } from 'vitest';
import { Tensor, memoryInfo, nn, ops } from '../src/index.js';
import { expectCanariesIntact, expectClose, ready } from './helpers.js';
import { Case, INTERNALS, caseRand, int, pick, pickNode, rebuild, specOf, tensorsIn, type Rand, type Spec } from './fuzz-gen.js';
import { LAYER_SEEDS, SEEDS } from './fuzz-seeds.js';
import { refConv2d } from './ref/conv2d.js';
import { refAvgPool2d, refMaxPool2d } from './ref/pool2d.js';
import { refLinear } from './ref/linear.js';

const SECONDS = Number(process.env.SIMDNET_FUZZ_SECONDS ?? 4);
const SEED = process.env.SIMDNET_FUZZ_SEED !== undefined ? Number(process.env.SIMDNET_FUZZ_SEED) >>> 0 : 20261206;
const TIMEOUT = SECONDS * 1000 + 120_000;

beforeAll(ready);

interface Finding { kind: string; where: string; message: string; repro: string }

/** How a value prints in a finding (enough to rebuild the case by hand). */
function show(v: unknown, depth = 0): string {
  if (v instanceof Tensor) return v.toString();
  if (typeof v === 'symbol' || typeof v === 'bigint' || typeof v === 'function') return `${typeof v}`;
  if (typeof v === 'number') return Object.is(v, -0) ? '-0' : String(v);
  if (typeof v === 'string') return JSON.stringify(v);
  if (v === null || v === undefined || typeof v === 'boolean') return String(v);
  if (depth > 2) return '…';
  if (Array.isArray(v)) return `[${v.map((e) => show(e, depth + 1)).join(', ')}]`;
  if (Object.getPrototypeOf(v) !== Object.prototype) return `a ${(v as object).constructor?.name ?? 'null-prototype object'}`;
  return `{ ${Object.entries(v).map(([k, e]) => `${k}: ${show(e, depth + 1)}`).join(', ')} }`;
}

/** The thrown value's problems, if any: the checks every failing call must pass. */
function judge(e: unknown, names: readonly string[], opNames = false): string | null {
  if (e instanceof WebAssembly.RuntimeError) return 'wasm trap';
  if (!(e instanceof Error)) return 'non-Error throw';
  if (INTERNALS.some((re) => re.test(e.message))) return 'JavaScript internals in the message';
  // running out of wasm memory is a condition of the machine, not of the arguments (its message carries the numbers)
  if (/^simdnet: out of memory: cannot allocate \d+ bytes/.test(e.message)) return null;
  const m = e.message.toLowerCase();
  if (names.some((n) => m.includes(n.toLowerCase()))) return null;
  // a layer's forward/backward may fail inside the op it calls: that op's name then leads the message
  if (opNames && opEntries.some(([n]) => e.message.startsWith(`${n}: `))) return null;
  return 'message does not name the function';
  return null;
}

/** Runs cases until the time share is spent; returns the findings (deduplicated) and the count. */
class Runner {
  readonly findings = new Map<string, Finding>();
  cases = 0;
  constructor(readonly part: string) {}

  /** One case: make(c) returns what to call; the memory must come back to the baseline afterwards. */
  run(i: number, where: string, names: readonly string[], opNames: boolean, body: (c: Case) => { call: () => unknown; repro: string; cleanup?: () => void }): void {
    const base = memoryInfo();
    const c = new Case(caseRand(SEED, i));
    let b: { call: () => unknown; repro: string; cleanup?: () => void } | null = null;
    // read when a finding is recorded: a layer case's repro grows as its method calls run
    const repro = () => b?.repro ?? '';
    try {
      b = body(c);
      let result: unknown;
      try {
        result = b.call();
      } catch (e) {
        const bad = judge(e, names, opNames);
        if (bad) this.add(bad, where, e, repro(), i);
      }
      for (const t of tensorsIn(result)) t.dispose();
      b.cleanup?.();
    } catch (e) {
      this.add('the test harness threw (cleanup or set-up)', where, e, repro(), i);
    }
    for (const t of c.made) t.dispose();
    const after = memoryInfo();
    if (after.bytesInUse !== base.bytesInUse || after.liveTensors !== base.liveTensors) {
      this.add('leak', where, new Error(`${after.bytesInUse - base.bytesInUse} bytes, ${after.liveTensors - base.liveTensors} tensors`), repro(), i);
    }
    try {
      expectCanariesIntact(where);
    } catch (e) {
      this.add('canary overwritten', where, e, repro(), i);
    }
    this.cases++;
  }

  private add(kind: string, where: string, e: unknown, repro: string, i: number): void {
    const message = e instanceof Error ? `${e.name}: ${e.message}` : `non-Error ${show(e)}`;
    // one finding per kind, function and message shape (numbers stripped)
    const key = `${kind}|${where}|${message.replace(/[0-9.e+-]+/g, '#').slice(0, 160)}`;
    if (!this.findings.has(key)) this.findings.set(key, { kind, where, message, repro: `seed ${SEED} case ${i}: ${repro}` });
  }

  report(): void {
    const list = [...this.findings.values()];
    console.log(`fuzz ${this.part}: ${this.cases} cases, seed ${SEED}, ${list.length} distinct findings`);
    expect(list.slice(0, 40).map((f) => `${f.kind} in ${f.where}: ${f.message}\n    ${f.repro}`)).toEqual([]);
  }
}

/** Runs body(i) until `share` of the time budget has passed (at least `min` cases). */
function loop(share: number, min: number, body: (i: number) => void): void {
  const end = Date.now() + SECONDS * 1000 * share;
  for (let i = 0; i < min || Date.now() < end; i++) body(i);
}

/** Arguments for position k of n: early ones lean to tensors, the last to an options object. */
function argFor(c: Case, k: number, n: number): unknown {
  const r = c.r();
  if (k === n - 1 && r < 0.35) return c.options(0);
  if (k < 2 && r < 0.5) return c.anyTensor();
  return c.value();
}

const opEntries = Object.entries(ops).filter(([, f]) => typeof f === 'function') as [string, (...a: unknown[]) => unknown][];
const layerClasses = Object.entries(nn).filter(
  ([, v]) => typeof v === 'function' && (v as { prototype?: unknown }).prototype instanceof nn.Layer,
) as [string, new (...a: unknown[]) => nn.Layer][];

describe('fuzz', () => {
  it('finds every public op and layer class', () => {
    expect(opEntries.length).toBeGreaterThan(40);
    expect(layerClasses.map(([n]) => n)).toEqual(expect.arrayContaining(['Conv2d', 'Linear', 'MaxPool2d', 'BatchNorm2d', 'Add', 'Concat']));
    // nothing raw in the public namespace
    for (const [name] of opEntries) expect(name).not.toMatch(/^prepare|^dense|^window2d$|^paramBlock$|^runOnce$/);
  });

  it('ops: any arguments end in a result or a clear Error, with memory back at its baseline', () => {
    const run = new Runner('ops');
    // per op, calls that succeeded (as specs): half the cases mutate one of them in one place
    const corpus = new Map<string, Spec[][]>();
    let mutated = 0;
    for (const [name, seed] of Object.entries(SEEDS)) {
      const c = new Case(caseRand(SEED, -1 - name.length));
      for (let k = 0; k < 8; k++) (corpus.get(name) ?? corpus.set(name, []).get(name)!).push(seed(c).map((a) => specOf(a)));
      for (const t of c.made) t.dispose();
    }
    loop(0.5, opEntries.length * 20, (i) => {
      const [name, fn] = opEntries[i % opEntries.length];
      run.run(i, `ops.${name}`, [name], false, (c) => {
        const seen = corpus.get(name) ?? [];
        let args: unknown[];
        if (seen.length > 0 && c.r() < 0.5) {
          const base = pick(c.r, seen);
          args = rebuild(c, base, c.r() < 0.1 ? -1 : pickNode(c, base));
          mutated++;
        } else {
          const n = Math.max(0, fn.length + int(c.r, -1, 2));
          args = Array.from({ length: n }, (_, k) => argFor(c, k, n));
        }
        const repro = `ops.${name}(${args.map((a) => show(a)).join(', ')})`;
        const specs = args.map((a) => specOf(a));
        const call = () => {
          const y = fn(...args);
          if (seen.length < 64) seen.push(specs);
          else seen[int(c.r, 0, 63)] = specs;
          corpus.set(name, seen);
          return y;
        };
        return { call, repro };
      });
    });
    const empty = opEntries.filter(([n]) => !(corpus.get(n)?.length)).map(([n]) => n);
    console.log(`fuzz ops: ${mutated} mutated cases; ops that never succeeded: ${empty.join(', ') || 'none'}`);
    run.report();
  }, TIMEOUT);

  it('layers: constructors and methods given anything end in a result or a clear Error; dispose() frees everything', () => {
    const run = new Runner('layers');
    const built = new Map<string, number>();
    loop(0.3, layerClasses.length * 40, (i) => {
      const [name, L] = layerClasses[i % layerClasses.length];
      run.run(i, `nn.${name}`, [name, `nn.${name}`], true, (c) => {
        const n = int(c.r, 0, 4);
        let ctorArgs = Array.from({ length: n }, (_, k) => (c.r() < 0.6 && k < 3 ? c.smallInt() : argFor(c, k, n)));
        // a layer with required options (the quantized ones): half the cases start from valid
        // constructor arguments, most of them mutated in one place
        const seed = LAYER_SEEDS[name];
        if (seed && c.r() < 0.5) {
          ctorArgs = seed(c);
          const specs = ctorArgs.map((a) => specOf(a));
          if (c.r() < 0.7) ctorArgs = rebuild(c, specs, pickNode(c, specs));
        }
        const steps: string[] = [`new nn.${name}(${ctorArgs.map((a) => show(a)).join(', ')})`];
        let layer: nn.Layer | null = null;
        const outputs: Tensor[] = [];
        const call = () => {
          layer = new L(...ctorArgs);
          built.set(name, (built.get(name) ?? 0) + 1);
          for (let s = int(c.r, 1, 5); s > 0; s--) methodCall(c, layer, outputs, steps);
        };
        const cleanup = () => {
          (layer as nn.Layer | null)?.dispose();
          for (const t of outputs) t.dispose();
        };
        return { call, cleanup, get repro() { return steps.join('; '); } };
      });
    });
    console.log(`fuzz layers built: ${[...built].map(([n, k]) => `${n} ${k}`).join(', ')}`);
    console.log(`fuzz layers whose forward never succeeded: ${layerClasses.map(([n]) => n).filter((n) => !forwarded.has(n)).join(', ') || 'none'}`);
    run.report();
  }, TIMEOUT);

  it('valid random conv2d / maxPool2d / avgPool2d / linear calls match the float64 references', () => {
    let count = 0;
    loop(0.2, 200, (i) => {
      validCase(caseRand(SEED ^ 0x5bd1e995, i));
      count++;
    });
    console.log(`fuzz valid: ${count} cases against test/ref, seed ${SEED}`);
    expect(memoryInfo().liveTensors).toBeGreaterThanOrEqual(0);
  }, TIMEOUT);
});

/** Layer types whose forward returned a result at least once in this run. */
const forwarded = new Set<string>();

/** One random method call on a layer (mostly plausible arguments, sometimes hostile ones). */
function methodCall(c: Case, layer: nn.Layer, outputs: Tensor[], steps: string[]): void {
  const r = c.r();
  const train = c.r() < 0.6;
  const plausibleInputs = () => {
    const k = typeof layer.inputs === 'number' ? layer.inputs : int(c.r, layer.inputs[0], Math.min(layer.inputs[1], 3));
    const shape = c.coherentShape();
    // int8 now and then: the quantized layers take it (and the pass-through layers at inference)
    const dtype = c.r() < 0.25 ? 'int8' : 'float32';
    return Array.from({ length: k }, () => c.tensor(shape, dtype));
  };
  if (r < 0.45) {
    const inputs = c.r() < 0.8 ? plausibleInputs() : c.value();
    const training = c.r() < 0.9 ? train : c.value();
    steps.push(`forward(${show(inputs)}, ${show(training)})`);
    const y = layer.forward(inputs as Tensor[], training as boolean);
    outputs.push(y);
    forwarded.add(layer.type);
  } else if (r < 0.7) {
    const last = outputs[outputs.length - 1];
    const dy = last && !last.disposed && c.r() < 0.7 ? c.tensor(last.shape.slice()) : c.value();
    const needs = c.r() < 0.8 ? undefined : c.value();
    steps.push(`backward(${show(dy)}, ${show(needs)})`);
    outputs.push(...tensorsIn(layer.backward(dy as Tensor, needs as boolean[])));
  } else if (r < 0.85) {
    const shapes = c.r() < 0.6 ? [c.coherentShape().slice(1)] : c.value();
    steps.push(`outputShape(${show(shapes)})`);
    layer.outputShape(shapes as number[][]);
  } else if (r < 0.89) {
    const seed = c.r() < 0.5 ? c.number() : c.value();
    steps.push(`seed(${show(seed)})`);
    layer.seed(seed as number);
  } else if (r < 0.94) {
    steps.push('config()');
    JSON.stringify(layer.config());
  } else {
    steps.push('release()');
    layer.release();
  }
}

/** A valid random call of one of the four ops, checked against the float64 reference. */
function validCase(r: Rand): void {
  const c = new Case(r);
  const base = memoryInfo().bytesInUse;
  const which = int(r, 0, 3);
  const n = int(r, 1, 3), ch = int(r, 1, 5), h = int(r, 1, 9), w = int(r, 1, 9);
  try {
    if (which === 0) {
      const groups = pick(r, [1, 1, ch]);
      const o = groups * int(r, 1, 3), kh = int(r, 1, 3), kw = int(r, 1, 3);
      const sh = int(r, 1, 3), sw = int(r, 1, 3), dh = int(r, 1, 2), dw = int(r, 1, 2);
      const pt = int(r, 0, 2), pl = int(r, 0, 2), pb = int(r, 0, 2), pr = int(r, 0, 2);
      if (h + pt + pb < dh * (kh - 1) + 1 || w + pl + pr < dw * (kw - 1) + 1) return;
      const x = c.tensor([n, ch, h, w], 'float32', true), wt = c.tensor([o, ch / groups, kh, kw], 'float32', true), b = r() < 0.5 ? c.tensor([o], 'float32', true) : null;
      const opts = { stride: [sh, sw] as [number, number], dilation: [dh, dw] as [number, number], padding: [pt, pl, pb, pr] as const, groups };
      const y = ops.conv2d(x, wt, b, opts);
      const ref = refConv2d(x.toFloat32Array(), x.shape, wt.toFloat32Array(), wt.shape, b?.toFloat32Array() ?? null,
        { stride: [sh, sw], dilation: [dh, dw], padding: [pt, pl, pb, pr], groups });
      c.made.push(y);
      expectClose(y.toFloat32Array(), ref.data, ref.shape, `conv2d x ${x} w ${wt} ${JSON.stringify(opts)}`);
    } else if (which === 1 || which === 2) {
      const k = [int(r, 1, 3), int(r, 1, 3)] as [number, number];
      const o = {
        kernelSize: k, stride: [int(r, 1, 3), int(r, 1, 3)] as [number, number],
        padding: [int(r, 0, k[0] >> 1), int(r, 0, k[1] >> 1)] as [number, number], ceilMode: r() < 0.3,
      };
      const d = which === 1 ? ([int(r, 1, 2), int(r, 1, 2)] as [number, number]) : undefined;
      if (h + 2 * o.padding[0] < (d?.[0] ?? 1) * (k[0] - 1) + 1 || w + 2 * o.padding[1] < (d?.[1] ?? 1) * (k[1] - 1) + 1) return;
      const x = c.tensor([n, ch, h, w], 'float32', true);
      const opts = which === 1 ? { ...o, dilation: d } : { ...o, countIncludePad: r() < 0.5 };
      const y = which === 1 ? ops.maxPool2d(x, opts) : ops.avgPool2d(x, opts);
      c.made.push(y);
      const ref = which === 1 ? refMaxPool2d(x.toFloat32Array(), x.shape, opts) : refAvgPool2d(x.toFloat32Array(), x.shape, opts);
      expectClose(y.toFloat32Array(), ref.y, ref.shape, `${which === 1 ? 'maxPool2d' : 'avgPool2d'} x ${x} ${JSON.stringify(opts)}`);
    } else {
      const inF = int(r, 1, 40), out = int(r, 1, 20);
      const x = c.tensor([n, inF], 'float32', true), wt = c.tensor([out, inF], 'float32', true), b = r() < 0.5 ? c.tensor([out], 'float32', true) : null;
      const y = ops.linear(x, wt, b);
      c.made.push(y);
      expectClose(y.toFloat32Array(), refLinear(x.toFloat32Array(), n, inF, wt.toFloat32Array(), out, b?.toFloat32Array() ?? null), [n, out], `linear ${x} ${wt}`);
    }
  } finally {
    for (const t of c.made) t.dispose();
  }
  expect(memoryInfo().bytesInUse).toBe(base);
}
