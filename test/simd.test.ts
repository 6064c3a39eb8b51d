// The release .wasm really uses SIMD: every exported kernel (or a function it calls) contains
// v128 instructions in the compiled text format that asc writes beside the binary.
import { describe, expect, it } from 'vitest';
import { existsSync, readFileSync } from 'node:fs';
import { KERNEL_NAMES } from '../src/wasm/abi.js';

const WAT = new URL('../build/simdnet.wat', import.meta.url);
const NOT_KERNELS = new Set(['heap_base']);
// Scalar by design: the relaxed-dot probe asks a relaxed-SIMD runtime how it treats one
// instruction; the plain build (the one this .wat is) has no such instruction to ask about and
// answers −1 without doing any arithmetic. Its relaxed builds do run v128 code. The channels-last
// copy for the relaxed dot's quads is likewise empty in the plain build, which never asks for it
// (the plain lanes kernel reads channel pairs made by pad_qs8_cpairs_simd), and so are the GEMM's
// panels from channel quads (interleave_qs8_c4_simd, conv2d_pack_qs8_c4_p8_simd: the relaxed
// builds' 4-byte k-groups; the plain build packs byte planes into its 2-value groups).
const SCALAR_BY_DESIGN = new Set(['qs8_probe_rdot_simd', 'pad_qs8_nhwc_simd', 'interleave_qs8_c4_simd', 'conv2d_pack_qs8_c4_p8_simd']);

/** Splits a .wat module into its functions: name → body text. */
function functions(wat: string): Map<string, string> {
  const out = new Map<string, string>();
  const re = /^ \(func (\$\S+)/gm;
  const starts: { name: string; at: number }[] = [];
  for (let m; (m = re.exec(wat)); ) starts.push({ name: m[1], at: m.index });
  starts.forEach((s, i) => out.set(s.name, wat.slice(s.at, i + 1 < starts.length ? starts[i + 1].at : wat.length)));
  return out;
}

/** True when fn or any function it calls contains a v128 instruction. */
function reachesSimd(funcs: Map<string, string>, fn: string, seen = new Set<string>()): boolean {
  if (seen.has(fn)) return false;
  seen.add(fn);
  const body = funcs.get(fn) ?? '';
  if (/\b(v128|f32x4|i32x4|i8x16|i16x8|i64x2|f64x2)\./.test(body)) return true;
  for (const c of body.matchAll(/\bcall (\$\S+)/g)) if (reachesSimd(funcs, c[1], seen)) return true;
  return false;
}

describe('the compiled module uses SIMD', () => {
  const wat = existsSync(WAT) ? readFileSync(WAT, 'utf8') : '';
  const funcs = functions(wat);
  const exportsMap = new Map<string, string>();
  for (const m of wat.matchAll(/\(export "([^"]+)" \(func (\$[^)\s]+)\)\)/g)) exportsMap.set(m[1], m[2]);

  const usesSimd = (fn: string) => reachesSimd(funcs, fn);

  it('build/simdnet.wat exists and exports every kernel of the ABI', () => {
    expect(wat.length, 'run npm run asbuild first').toBeGreaterThan(0);
    for (const k of KERNEL_NAMES) expect(exportsMap.has(k), `export ${k}`).toBe(true);
  });

  it('every kernel contains v128 instructions', () => {
    const scalar = KERNEL_NAMES.filter((k) => !NOT_KERNELS.has(k) && !SCALAR_BY_DESIGN.has(k) && !usesSimd(exportsMap.get(k)!));
    expect(scalar, 'kernels without SIMD').toEqual([]);
    expect(KERNEL_NAMES.length).toBeGreaterThan(2);
  });

  it('the check itself can fail: a scalar-only function is detected', () => {
    const fake = functions(' (func $a\n  f32.add\n  call $b\n )\n (func $b\n  i32.add\n )\n (func $c\n  call $d\n )\n (func $d\n  f32x4.add\n )\n');
    expect(fake.size).toBe(4);
    expect(reachesSimd(fake, '$a')).toBe(false);
    expect(reachesSimd(fake, '$c')).toBe(true);
  });

  it('the binary declares no imports (single-thread build)', async () => {
    const bytes = readFileSync(new URL('../dist/simdnet.wasm', import.meta.url));
    const mod = await WebAssembly.compile(bytes);
    expect(WebAssembly.Module.imports(mod)).toEqual([]);
  });
});
