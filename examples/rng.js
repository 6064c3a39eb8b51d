// A seeded generator of floats in [0, 1) (mulberry32: integer arithmetic only, so a seed gives the
// same numbers in every engine), shared by the examples (segment-shapes' scenes) and the tests'
// helpers. Plain JavaScript: it runs in Node and in the page as examples/serve.mjs serves it.

/** A seeded generator of floats in [0, 1) (mulberry32). */
export function rng(seed) {
  let a = seed >>> 0;
  return () => {
    a = (a + 0x6d2b79f5) >>> 0;
    let t = a;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}
