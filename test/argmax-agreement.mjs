// The argmax agreement of two score maps, shared by test/segmenters.test.ts and
// bench/segmenters.mjs (plain JavaScript so that the bench scripts, run by node, import it too).

/**
 * The share of pixels of [1, C, H, W] score maps a and b whose argmax over C is the same (the
 * first of equal maxima counts).
 * @param {ArrayLike<number>} a
 * @param {ArrayLike<number>} b
 * @param {readonly number[]} shape
 * @returns {number}
 */
export function argmaxAgreement(a, b, [, c, h, w]) {
  const hw = h * w;
  let same = 0;
  for (let p = 0; p < hw; p++) {
    let ka = 0, kb = 0;
    for (let k = 1; k < c; k++) {
      if (a[k * hw + p] > a[ka * hw + p]) ka = k;
      if (b[k * hw + p] > b[kb * hw + p]) kb = k;
    }
    if (ka === kb) same++;
  }
  return same / hw;
}
