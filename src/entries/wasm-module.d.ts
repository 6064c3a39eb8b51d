// `import m from './simdnet.wasm'` in the workerd and Deno entries: the compiled module.
declare module '*.wasm' {
  const module: WebAssembly.Module;
  export default module;
}
