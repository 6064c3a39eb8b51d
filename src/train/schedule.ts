// Learning-rate schedules, stepped once per epoch (as PyTorch's StepLR and CosineAnnealingLR).
import { intArg, numberArg } from '../ops/validate.js';

export interface Schedule {
  /** The learning rate for `epoch` (0-based), given the base rate. */
  lr(epoch: number, base: number): number;
}

/** lr = base · gamma^⌊epoch / stepSize⌋. */
export class StepLR implements Schedule {
  readonly stepSize: number;
  readonly gamma: number;
  constructor(stepSize: number, gamma = 0.1) {
    this.stepSize = intArg('StepLR', 'stepSize', stepSize, 1);
    this.gamma = numberArg('StepLR', 'gamma', gamma, 0);
  }
  lr(epoch: number, base: number): number {
    return base * Math.pow(this.gamma, Math.floor(epoch / this.stepSize));
  }
}

/** lr = etaMin + (base − etaMin)·(1 + cos(π·epoch/tMax))/2, for epoch ≤ tMax. */
export class CosineAnnealingLR implements Schedule {
  readonly tMax: number;
  readonly etaMin: number;
  constructor(tMax: number, etaMin = 0) {
    this.tMax = intArg('CosineAnnealingLR', 'tMax', tMax, 1);
    this.etaMin = numberArg('CosineAnnealingLR', 'etaMin', etaMin, 0);
  }
  lr(epoch: number, base: number): number {
    const t = Math.min(epoch, this.tMax);
    return this.etaMin + ((base - this.etaMin) * (1 + Math.cos((Math.PI * t) / this.tMax))) / 2;
  }
}
