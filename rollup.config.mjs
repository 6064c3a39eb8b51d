// Builds the ESM entry dist/index.js (+ declarations in dist/types) beside dist/simdnet.wasm,
// which asc writes. init()'s default source is the .wasm next to the bundle.
import typescript from '@rollup/plugin-typescript';

export default {
  input: 'src/index.ts',
  output: { file: 'dist/index.js', format: 'es', sourcemap: false },
  external: [/^node:/],
  plugins: [typescript({ tsconfig: './tsconfig.build.json' })],
};
