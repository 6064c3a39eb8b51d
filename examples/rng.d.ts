// Types of rng.js (the examples' seeded generator), for the TypeScript tests that use it.
/** A seeded generator of floats in [0, 1) (mulberry32). */
export function rng(seed: number): () => number;
