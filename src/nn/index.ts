/**
 * tessera's nn namespace: Module and Parameter, layers, losses, `functional`, `init` and `utils`.
 * @example import { nn } from 'tessera'; const model = new nn.Sequential(new nn.Linear(4, 8), new nn.ReLU(), new nn.Linear(8, 2));
 */
export { Module, Parameter } from './module.js';
export type { StateDict, LoadStateDictOptions, LoadStateDictResult, AnyModule } from './module.js';
export {
  Sequential,
  Identity,
  Linear,
  Flatten,
  Dropout,
  Upsample,
  Embedding,
  LayerNorm,
  BatchNorm1d,
  BatchNorm2d,
  ReLU,
  GELU,
  Sigmoid,
  Tanh,
  Softmax,
  LogSoftmax,
  LeakyReLU,
  SiLU,
  ELU,
  Softplus,
  Mish,
  Hardswish,
  Hardtanh,
  ReLU6,
  GroupNorm,
  RMSNorm,
} from './layers.js';
export type { LinearOptions, EmbeddingOptions, LayerNormOptions, BatchNormOptions, GroupNormOptions, RMSNormOptions } from './layers.js';
export { RNN, LSTM, GRU, RNNCell, LSTMCell, GRUCell } from './rnn.js';
export type { RNNBaseOptions, RNNOptions, RNNCellOptions, RNNCellLayerOptions, LSTMState } from './rnn.js';
export type { PadSequenceOptions } from './rnn-utils.js';
export { MultiheadAttention } from './attention.js';
export type { SDPAOptions, MultiheadAttentionOptions, MultiheadAttentionForwardOptions } from './attention.js';
export { TransformerEncoderLayer, TransformerDecoderLayer, TransformerEncoder, TransformerDecoder } from './transformer.js';
export type {
  TransformerLayerOptions,
  EncoderForwardOptions,
  EncoderStackForwardOptions,
  DecoderForwardOptions,
  TransformerStackOptions,
} from './transformer.js';
export { Conv2d, MaxPool2d, AvgPool2d, AdaptiveAvgPool2d, type Conv2dLayerOptions, type PaddingMode } from './conv.js';
export { MSELoss, L1Loss, CrossEntropyLoss, NLLLoss, BCELoss, BCEWithLogitsLoss, HuberLoss, SmoothL1Loss, KLDivLoss } from './loss.js';
export type {
  Reduction,
  CrossEntropyOptions,
  NLLLossOptions,
  BCEOptions,
  BCEWithLogitsOptions,
  HuberLossOptions,
  SmoothL1LossOptions,
  KLDivOptions,
  HardtanhOptions,
  ReLU6Options,
} from './functional.js';
export * as functional from './functional.js';
export * as init from './init.js';
export * as utils from './utils.js';
export { summary } from './summary.js';
export type { SummaryOptions, SummaryRow, ModelSummary } from './summary.js';
