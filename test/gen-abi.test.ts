// The `@split` tags (scripts/split-tags.mjs): parsed into argument indices by name, so a kernel
// whose parameters are reordered still splits the same way; a tag the generator cannot place fails.
import { describe, it, expect } from 'vitest';
// @ts-expect-error: a build script in plain JavaScript, without declarations
import { parseSplitTag, tagAbove } from '../scripts/split-tags.mjs';
import { splitterOf, type SplitContext } from '../src/threads/split.js';
import { KERNEL_NAMES } from '../src/wasm/abi.js';
import { SPLIT_SPECS, type SplitSpec } from '../src/wasm/split-specs.js';

const ctx = { minPartNs: 0, maxParts: 4, heap: null, scratch: () => 0 } as unknown as SplitContext;

describe('@split tags', () => {
  it('name arguments, so reordered parameters split identically', () => {
    const tag = 'rows count=rows move=xPtr*n,yPtr*n cost=n';
    const a: SplitSpec = parseSplitTag('k', ['xPtr', 'yPtr', 'rows', 'n'], tag);
    const b: SplitSpec = parseSplitTag('k', ['n', 'rows', 'yPtr', 'xPtr'], tag);
    expect(a).toMatchObject({ kind: 'rows', count: 2, move: [{ arg: 0, by: [{ arg: 3 }] }, { arg: 1, by: [{ arg: 3 }] }] });
    expect(b).toMatchObject({ kind: 'rows', count: 1, move: [{ arg: 3, by: [{ arg: 0 }] }, { arg: 2, by: [{ arg: 0 }] }] });
    const x = 1024, y = 4096, rows = 13, n = 7;
    const pa = splitterOf(a)([x, y, rows, n], 4, ctx)!;
    const pb = splitterOf(b)([n, rows, y, x], 4, ctx)!;
    expect(pa.length).toBeGreaterThan(1);
    expect(pb.map(([n2, r2, y2, x2]) => [x2, y2, r2, n2])).toEqual(pa);
    expect(pa.reduce((s, p) => s + p[2]!, 0)).toBe(rows);
    expect(pa[1]![0]).toBe(x + pa[0]![2]! * n * 4);
  });
  it('fail loudly on a tag that cannot be placed', () => {
    const params = ['xPtr', 'yPtr', 'planeStart', 'planeEnd'];
    expect(() => parseSplitTag('pool_k', params, 'range start=planeStart end=planeStop cost=1')).toThrow(
      /@split of pool_k: 'planeStop' is not a parameter \(parameters: xPtr, yPtr, planeStart, planeEnd\)/,
    );
    expect(() => parseSplitTag('k', params, 'range start=planeStart end=planeEnd cost=hw*0.1')).toThrow(/'hw' is not a parameter/);
    expect(() => parseSplitTag('k', params, 'range start=planeStart cost=1')).toThrow(/'end' is missing/);
    expect(() => parseSplitTag('k', params, 'ranges start=planeStart')).toThrow(/unknown kind 'ranges'/);
    expect(() => parseSplitTag('k', params, 'range start=planeStart end=planeEnd cost=1 step=2')).toThrow(/unknown key 'step'/);
    expect(() => parseSplitTag('k', ['a', 'b', 'c', 'M', 'N', 'K', 'l'], 'gemm m=M n=N k=K a=a b=b bPanel=l c=c cRow=l')).toThrow(/exactly one of aRow, aPanel/);
  });
  it('are read from the comment block right above the function', () => {
    const src = '/**\n * y = x.\n * @split rows count=n move=xPtr,yPtr cost=0.1\n */\nexport function k(xPtr: usize, yPtr: usize, n: i32): void {}\n';
    expect(tagAbove(src, src.indexOf('export'))).toBe('rows count=n move=xPtr,yPtr cost=0.1');
    expect(tagAbove('const a = 1;\nexport function k(): void {}', 13)).toBeNull();
  });
  it('give every splittable kernel of the build indices inside its signature', () => {
    const names = new Set<string>(KERNEL_NAMES);
    for (const [name, spec] of Object.entries(SPLIT_SPECS)) {
      expect(names.has(name)).toBe(true);
      for (const v of Object.values(spec as object)) if (typeof v === 'number') expect(v).toBeGreaterThanOrEqual(0);
    }
    expect(Object.keys(SPLIT_SPECS).length).toBeGreaterThan(50);
  });
});
