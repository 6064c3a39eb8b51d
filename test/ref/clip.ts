// Reference clip family (float64) and the PyTorch backward masks, op by op.
export const clipRef = (x: number, lo: number, hi: number): number => (Number.isNaN(x) ? NaN : Math.min(Math.max(x, lo), hi));
export const hardSigmoidRef = (x: number, alpha: number, beta: number): number => clipRef(alpha * x + beta, 0, 1);
export const hardSwishRef = (x: number): number => (x * clipRef(x + 3, 0, 6)) / 6;
/** torch.clamp's backward: inclusive. */
export const clipGradRef = (x: number, lo: number, hi: number): number => (x >= lo && x <= hi ? 1 : 0);
/** hardtanh_backward (relu6): strict, NaN passes. */
export const hardtanhGradRef = (x: number, lo: number, hi: number): number => (x <= lo || x >= hi ? 0 : 1);
export const hardSigmoidGradRef = (x: number, alpha: number, beta: number): number => {
  const t = alpha * x + beta;
  return t > 0 && t < 1 ? alpha : 0;
};
export const hardSwishGradRef = (x: number): number => (x < -3 ? 0 : x <= 3 ? x / 3 + 0.5 : 1);
