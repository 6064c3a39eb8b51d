// A seeded fuzz of io.fromONNX over the PyTorch fixtures: truncations, random byte flips, flips
// aimed at the protobuf keys and lengths, forged huge lengths and spliced chunks. Every case must
// end in a working model or an OnnxError with a message — never a wasm trap, a hang, an
// out-of-memory from a forged length, a leak or a corrupted heap.
import { readFileSync, readdirSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { beforeAll, describe, expect, it } from 'vitest';
import { io, ops, Tensor, memoryInfo } from '../src/index.js';
import { Reader, WIRE_LEN, WIRE_VARINT } from '../src/io/protobuf.js';
import { ready, rng, expectCanariesIntact, randArray } from './helpers.js';

beforeAll(ready);

// the PyTorch fixtures and the quantized ones (scripts/make-qdq-fixtures.py)
const DIRS = ['./fixtures/onnx/', './fixtures/onnx-qdq/'].map((d) => fileURLToPath(new URL(d, import.meta.url)));

interface Sample {
  name: string;
  bytes: Uint8Array;
  inputShape: number[];
  /** Offsets of protobuf keys and length prefixes: where a flip changes structure, not weights. */
  structure: number[];
  /** Offsets of one-byte varint values (dims, attribute ints, enums, opset): in-place edits keep the file parseable. */
  values: number[];
}

/** Records the byte offsets of every key and length prefix, descending into nested messages. */
function structureOf(bytes: Uint8Array, values: number[] = []): number[] {
  const out: number[] = [];
  const walk = (start: number, end: number, depth: number): boolean => {
    const r = new Reader(bytes, start, end);
    const mark: number[] = [];
    const vals: number[] = [];
    try {
      while (!r.done) {
        const at = r.pos;
        r.key();
        mark.push(at);
        if (r.wire === WIRE_LEN) {
          const lenAt = r.pos;
          const b = r.bytes();
          mark.push(lenAt);
          const s = b.byteOffset - bytes.byteOffset;
          if (depth < 6 && b.length > 0 && b.length < 4096) walk(s, s + b.length, depth + 1);
        } else if (r.wire === WIRE_VARINT) {
          const v = r.pos;
          mark.push(v);
          r.skip();
          if (r.pos === v + 1) vals.push(v);
        } else r.skip();
      }
    } catch {
      return false; // a string or raw payload, not a message
    }
    out.push(...mark);
    values.push(...vals);
    return true;
  };
  walk(0, bytes.length, 0);
  return [...new Set(out)].sort((a, b) => a - b);
}

const samples: Sample[] = DIRS.flatMap((dir) => readdirSync(dir)
  .filter((f) => f.endsWith('.onnx'))
  .sort()
  .map((f) => {
    const bytes = new Uint8Array(readFileSync(dir + f));
    const fx = JSON.parse(readFileSync(dir + f.replace(/(\.opset\d+)?\.onnx$/, '.json'), 'utf8'));
    const values: number[] = [];
    const structure = structureOf(bytes, values);
    return { name: f, bytes, inputShape: (fx.input ?? fx.inputs[0]).shape.slice(1), structure, values };
  }));

function mutate(s: Sample, kind: number, r: () => number): Uint8Array {
  const b = s.bytes;
  const pick = (n: number) => Math.floor(r() * n);
  switch (kind) {
    case 0: // truncation
      return b.subarray(0, pick(b.length));
    case 1: { // random flips anywhere (mostly weights: must still load)
      const f = b.slice();
      for (let k = 1 + pick(4); k > 0; k--) f[pick(f.length)] = pick(256);
      return f;
    }
    case 2: { // flips at keys, lengths and small varints
      const f = b.slice();
      for (let k = 1 + pick(3); k > 0; k--) {
        const at = s.structure[pick(s.structure.length)];
        f[at] = r() < 0.5 ? pick(256) : f[at] ^ (1 << pick(8));
      }
      return f;
    }
    case 3: { // a forged huge varint (length or dimension) at a structural offset
      const at = s.structure[pick(s.structure.length)];
      const huge = [0xff, 0xff, 0xff, 0xff, 0x0f].slice(0, 2 + pick(4));
      const f = new Uint8Array(b.length + huge.length - 1);
      f.set(b.subarray(0, at));
      f.set(huge, at);
      f.set(b.subarray(at + 1), at + huge.length);
      return f;
    }
    case 4: { // in-place edits of small integers (dims, kernel sizes, strides, pads, axes, groups, types)
      const f = b.slice();
      const choices = [0, 1, 2, 3, 4, 5, 7, 8, 13, 64, 127];
      for (let k = 1 + pick(2); k > 0; k--) f[s.values[pick(s.values.length)]] = choices[pick(choices.length)];
      return f;
    }
    default: { // splice: delete or duplicate a chunk
      const at = pick(b.length), len = 1 + pick(64);
      if (r() < 0.5) return Uint8Array.from([...b.subarray(0, at), ...b.subarray(Math.min(b.length, at + len))]);
      return Uint8Array.from([...b.subarray(0, at + len), ...b.subarray(at)]);
    }
  }
}

describe('io.fromONNX fuzz', () => {
  it('6000 mutated or truncated fixtures: a working model or a clear OnnxError, and a clean heap', () => {
    const r = rng(Number(process.env.ONNX_FUZZ_SEED ?? 20240611)); // other seeds: ONNX_FUZZ_SEED=n
    const base = memoryInfo().bytesInUse;
    const tally = { loaded: 0, ran: 0, refused: 0 };
    const kinds = new Map<string, number>();
    const started = Date.now();
    for (let i = 0; i < 6000; i++) {
      const s = samples[Math.floor(r() * samples.length)];
      const kind = i % 6;
      const bytes = mutate(s, kind, r);
      let g;
      try {
        g = io.fromONNX(bytes);
      } catch (e) {
        tally.refused++;
        if (!(e instanceof io.OnnxError)) throw new Error(`case ${i} (${s.name}, kind ${kind}): not an OnnxError: ${(e as Error)?.stack ?? e}`);
        expect((e as Error).message.length).toBeGreaterThan(12);
        const key = (e as Error).message.replace(/'[^']*'|\d+|\[[^\]]*\]/g, '…').slice(0, 60);
        kinds.set(key, (kinds.get(key) ?? 0) + 1);
        continue;
      }
      tally.loaded++;
      try {
        const name = g.inputNames[0];
        const shape = g.inputShapes[name];
        if (g.inputNames.length === 1 && shape.join() === s.inputShape.join()) {
          const x = Tensor.from(randArray(2 * shape.reduce((a, b) => a * b, 1), i), [2, ...shape]);
          try {
            g.predict(x).dispose();
            tally.ran++;
          } catch (e) {
            // a forged model may still be refused when it runs (e.g. a size only the batch reveals)
            if (process.env.ONNX_FUZZ_VERBOSE) console.log('predict refused:', (e as Error).message);
            expect((e as Error).message).not.toMatch(/unreachable|RuntimeError|out of bounds|call stack/);
          } finally {
            x.dispose();
          }
        }
      } finally {
        g.dispose();
      }
    }
    const ms = Date.now() - started;
    console.log(`onnx fuzz: ${JSON.stringify(tally)} in ${ms} ms; refusals by kind:\n` +
      [...kinds].sort((a, b) => b[1] - a[1]).slice(0, 25).map(([k, n]) => `${n}\t${k}`).join('\n'));
    expect(tally.refused).toBeGreaterThan(2000);
    expect(tally.ran).toBeGreaterThan(300);
    expect(memoryInfo().bytesInUse).toBe(base);
    expectCanariesIntact('after the ONNX fuzz');
    const t = Tensor.from([-1, 2, -3, 4], [4]);
    const y = ops.relu(t);
    expect(Array.from(y.toFloat32Array())).toEqual([0, 2, 0, 4]);
    t.dispose();
    y.dispose();
  });
});
