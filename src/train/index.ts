/** Training utilities beyond PyTorch's core: fit/evaluate, metrics, history plots. */
export { fit, evaluate } from './fit.js';
export type { FitOptions, EvaluateOptions, Evaluation, History, Callbacks, Metric, MetricSpec, LossFn, Trainable, StepOptimizer, Batches } from './fit.js';
export * as metrics from './metrics.js';
export { plotHistory } from './plot.js';
export type { PlotOptions } from './plot.js';
