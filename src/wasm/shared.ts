// Instantiation of a threaded build inside a worker: the same module over the pool's shared
// memory (this room is the only one that touches WebAssembly.*).
import type { Kernels } from './abi.js';

export async function instantiateShared(module: WebAssembly.Module, memory: WebAssembly.Memory): Promise<Kernels> {
  const instance = await WebAssembly.instantiate(module, { env: { memory } });
  return instance.exports as unknown as Kernels;
}

/** Whether this thread may block in Atomics.wait (a page's main thread may not). */
export function canBlock(): boolean {
  try {
    Atomics.wait(new Int32Array(new SharedArrayBuffer(4)), 0, 1, 0);
    return true;
  } catch {
    return false;
  }
}
