/** The share of pixels of [1, C, H, W] score maps a and b whose argmax over C is the same. */
export function argmaxAgreement(a: ArrayLike<number>, b: ArrayLike<number>, shape: readonly number[]): number;
