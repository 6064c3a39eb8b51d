// The `optim` namespace of the public API: optimizers and learning-rate schedules.
export { Optimizer, SGD, Adam, AdamW, type SGDOptions, type AdamOptions } from './optim.js';
export { StepLR, CosineAnnealingLR, type Schedule } from './schedule.js';
