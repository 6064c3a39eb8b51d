// node:os for the browser run of the test suite: only the core count that
// src/threads/spawn-node.ts reads (the Node pool, which a page never starts).
export function availableParallelism(): number {
  return navigator.hardwareConcurrency || 1;
}

export function cpus(): unknown[] {
  return Array.from({ length: availableParallelism() }, () => ({}));
}

export default { availableParallelism, cpus };
