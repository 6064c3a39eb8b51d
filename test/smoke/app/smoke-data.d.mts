// Types for the harness's imports of smoke-data.mjs.
export const PARAMS: [string, number[]][];
export function rng(seed: number): () => number;
export function paramValues(name: string, shape: number[]): Float32Array;
export function inputValues(): Float32Array;
