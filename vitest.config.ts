import { defineConfig } from 'vitest/config';

// SIMDNET_BUILD picks the build the suite runs on (test/helpers.ts); the relaxed-SIMD builds need
// Node 20's --experimental-wasm-relaxed-simd in the test processes (Chromium, Deno and workerd
// run relaxed SIMD without a flag).
const relaxed = (process.env.SIMDNET_BUILD ?? '').endsWith('relaxed');

export default defineConfig({
  test: {
    include: ['test/**/*.test.ts'],
    pool: 'forks',
    execArgv: relaxed ? ['--experimental-wasm-relaxed-simd'] : [],
    testTimeout: 60_000,
    hookTimeout: 60_000,
  },
});
