/** Training utilities beyond PyTorch's core: fit/evaluate, metrics, history plots. */
export { fit, fitAsync, evaluate, evaluateAsync } from './fit.js';
export type {
  FitOptions,
  FitAsyncOptions,
  EvaluateOptions,
  Evaluation,
  History,
  Metric,
  MetricSpec,
  LossFn,
  Trainable,
  StepOptimizer,
  Batch,
  Batches,
  AsyncBatches,
  StepResult,
} from './fit.js';
export { EarlyStopping, ModelCheckpoint, HistoryLogger } from './callbacks.js';
export type { Callback, TrainContext, EarlyStoppingOptions, ModelCheckpointOptions, HistoryLoggerOptions } from './callbacks.js';
export * as metrics from './metrics.js';
export { plotHistory, plotLrFinder, plotHistograms } from './plot.js';
export { lrFinder } from './lr-finder.js';
export type { LrFinderOptions, LrFinderResult, LrOptimizer } from './lr-finder.js';
export type { PlotOptions, HistogramOptions } from './plot.js';
