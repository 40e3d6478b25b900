/**
 * Optimizers and learning-rate schedules, with PyTorch's update rules.
 * @example
 * const opt = new optim.Adam(model.parameters(), { lr: 1e-3 });
 * const sched = new optim.lrScheduler.StepLR(opt, { stepSize: 10, gamma: 0.5 });
 */
export { Optimizer } from './optimizer.js';
export type { BaseOptions, ParamGroup, ParamGroupInput, ParamsInput, ParamState, OptimizerStateDict, ScheduleFields } from './optimizer.js';
export { SGD } from './sgd.js';
export type { SGDOptions, SGDState } from './sgd.js';
export { Adam, AdamW } from './adam.js';
export type { AdamOptions, AdamState } from './adam.js';
export { RMSprop } from './rmsprop.js';
export type { RMSpropOptions, RMSpropState } from './rmsprop.js';
export { Adagrad } from './adagrad.js';
export type { AdagradOptions, AdagradState } from './adagrad.js';
export * as lrScheduler from './lr-scheduler.js';
