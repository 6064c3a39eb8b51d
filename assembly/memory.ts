// Memory helpers. The allocator lives in TypeScript (src/wasm/heap.ts); the module only
// reports where its static data ends, and offers SIMD copy/fill used by ops such as flatten.

/** First byte after the module's static data; the TypeScript heap starts at or after it. */
export function heap_base(): usize {
  return __heap_base;
}

/**
 * y[i] = x[i] for i in [0, n). xPtr, yPtr: byte addresses of f32 arrays; n in elements.
 * Regions must not overlap. Tail (n mod 4) copied one element at a time.
 * @split rows count=n move=xPtr,yPtr align=16 grain=64 cost=0.1
 */
export function copy_f32_simd(xPtr: usize, yPtr: usize, n: i32): void {
  let i = 0;
  for (; i + 16 <= n; i += 16) {
    const o = <usize>i << 2;
    v128.store(yPtr + o, v128.load(xPtr + o));
    v128.store(yPtr + o + 16, v128.load(xPtr + o + 16));
    v128.store(yPtr + o + 32, v128.load(xPtr + o + 32));
    v128.store(yPtr + o + 48, v128.load(xPtr + o + 48));
  }
  for (; i + 4 <= n; i += 4) {
    const o = <usize>i << 2;
    v128.store(yPtr + o, v128.load(xPtr + o));
  }
  for (; i < n; i++) {
    const o = <usize>i << 2;
    store<f32>(yPtr + o, load<f32>(xPtr + o));
  }
}

/**
 * y[i] = value for i in [0, n). yPtr: byte address of an f32 array; n in elements.
 * @split rows count=n move=yPtr align=16 grain=64 cost=0.05
 */
export function fill_f32_simd(yPtr: usize, n: i32, value: f32): void {
  const v = f32x4.splat(value);
  let i = 0;
  for (; i + 4 <= n; i += 4) v128.store(yPtr + (<usize>i << 2), v);
  for (; i < n; i++) store<f32>(yPtr + (<usize>i << 2), value);
}
