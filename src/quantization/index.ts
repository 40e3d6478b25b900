/**
 * int8 post-training quantization, as torch.ao.quantization: `quantizeDynamic` swaps Linear layers
 * for int8 ones that quantize each batch's input on the fly; `prepare` → calibration batches →
 * `convert` fixes the input's quantization from observed ranges (static) for Linear and Conv2d.
 * Weights are per-channel symmetric int8, activations per-tensor quint8; the layers run the int8
 * SIMD GEMM and take and return float32. `reduceRange` quantizes activations to 7 bits (PyTorch's
 * reduce_range), which the relaxed-SIMD int8 dot product needs; by default ('auto') Linear and Conv2d
 * layers take it where the runtime validates relaxed SIMD (Chromium, Node ≥ 22) and 8 bits elsewhere.
 * @example const q = quantization.quantizeDynamic(model); q(x);
 */
import { noGrad } from '../autograd/grad-mode.js';
import { Conv2d } from '../nn/conv.js';
import { Linear } from '../nn/layers.js';
import { type AnyModule, Module } from '../nn/module.js';
import type { RemovableHandle } from '../nn/hooks.js';
import { serialize as serializeSafetensors } from '../io/safetensors.js';
import { HistogramObserver, MinMaxObserver, type Observer, type ObserverKind, type QParams } from './observer.js';
import { QuantizedConv2d, QuantizedLinear } from './modules.js';
import { options as checkOptions } from '../validate.js';

export { QuantizedLinear, QuantizedConv2d, type QuantizedConvGeometry } from './modules.js';
export { MinMaxObserver, HistogramObserver, quint8Params, type Observer, type ObserverKind, type QParams } from './observer.js';

/** A layer class quantization can replace. */
export type QuantizableClass = typeof Linear | typeof Conv2d;

/**
 * 7-bit activations (0…127, PyTorch's reduce_range): true, false, or 'auto' (the default) — true for
 * Linear and Conv2d layers where the runtime validates relaxed SIMD, whose int8 dot product needs
 * them (the faster GEMM), false elsewhere.
 */
export type ReduceRange = boolean | 'auto';

/** Options of quantizeDynamic. */
export interface QuantizeDynamicOptions {
  /** The layer classes to replace (default [nn.Linear]; dynamic quantization of Conv2d is not offered, as in PyTorch). */
  modules?: (typeof Linear)[];
  /** 7-bit activations: true, false or 'auto' (default; see ReduceRange). */
  reduceRange?: ReduceRange;
}

/** Options of prepare. */
export interface PrepareOptions {
  /** The layer classes to quantize (default [nn.Linear, nn.Conv2d]). */
  modules?: QuantizableClass[];
  /** 'minmax' (default, MinMaxObserver) or 'histogram' (clips the tails at `percentile`). */
  observer?: ObserverKind;
  /** For the histogram observer: the percentage of values the range keeps (default 99.99). */
  percentile?: number;
  /** 7-bit activations: true, false or 'auto' (default; see ReduceRange), applied by convert. */
  reduceRange?: ReduceRange;
}

function checkReduceRange(fn: string, value: unknown): ReduceRange {
  if (value === undefined) return 'auto';
  if (value !== true && value !== false && value !== 'auto')
    throw new TypeError(`quantization.${fn}: reduceRange must be true, false or 'auto' (got ${String(value)})`);
  return value;
}

/** Whether layer m's activations take 7 bits under `option` ('auto': on a backend with the relaxed int8 dot product). */
function reducesRange(option: ReduceRange, m: Linear | Conv2d): boolean {
  return option === 'auto' ? m.weight.backend.int8RelaxedDot : option;
}

/** Every (parent, field, index, child) whose child matches, depth first. */
function slots(model: Module, match: (m: AnyModule) => boolean): { parent: AnyModule; field: string; index: number | null; child: AnyModule; path: string }[] {
  const out: { parent: AnyModule; field: string; index: number | null; child: AnyModule; path: string }[] = [];
  for (const [path, parent] of model.namedModules()) {
    for (const [field, value] of Object.entries(parent)) {
      const at = (child: unknown, index: number | null) => {
        if (child instanceof Module && match(child))
          out.push({ parent, field, index, child, path: `${path ? `${path}.` : ''}${field}${index === null ? '' : `.${index}`}` });
      };
      if (Array.isArray(value)) value.forEach((v, i) => at(v, i));
      else at(value, null);
    }
  }
  return out;
}

function replace(slot: { parent: AnyModule; field: string; index: number | null }, m: AnyModule): void {
  const owner = slot.parent as unknown as Record<string, unknown>;
  if (slot.index === null) owner[slot.field] = m;
  else (owner[slot.field] as unknown[])[slot.index] = m;
}

function checkModel(fn: string, model: unknown): asserts model is Module {
  if (!(model instanceof Module)) throw new TypeError(`quantization.${fn}: model must be an nn.Module`);
}

function checkClasses(fn: string, modules: unknown, allowed: readonly QuantizableClass[]): QuantizableClass[] {
  if (!Array.isArray(modules) || modules.some((c) => !allowed.includes(c))) {
    throw new TypeError(`quantization.${fn}: modules must be an array of ${allowed.map((c) => `nn.${c.name}`).join(', ')} (got ${String(modules)})`);
  }
  return modules;
}

/** The int8 layer for a float one, with the given input quantization (null: dynamic). */
function quantized(m: Linear | Conv2d, inputQParams: QParams | null, reduceRange: boolean): QuantizedLinear | QuantizedConv2d {
  const weight = noGrad(() => m.weight.toArray());
  const bias = m.bias ? noGrad(() => m.bias!.toArray()) : null;
  if (m instanceof Linear) return new QuantizedLinear(weight, bias, m.inFeatures, m.outFeatures, inputQParams, m.weight.device, reduceRange);
  return new QuantizedConv2d(weight, bias, convGeometry(m)!, inputQParams, m.weight.device, reduceRange);
}

/** A Conv2d's geometry if the int8 path supports it (groups 1, symmetric padding), else null. */
function convGeometry(m: Conv2d): ConstructorParameters<typeof QuantizedConv2d>[2] | null {
  if (m.groups !== 1) return null;
  let padding: [number, number];
  if (m.padding === 'valid') padding = [0, 0];
  else if (m.padding === 'same') {
    const spans = [0, 1].map((d) => m.dilation[d] * (m.kernelSize[d] - 1));
    if (spans.some((s) => s % 2 !== 0)) return null;
    padding = [spans[0] / 2, spans[1] / 2];
  } else padding = m.padding;
  return { inChannels: m.inChannels, outChannels: m.outChannels, kernelSize: m.kernelSize, stride: m.stride, padding, dilation: m.dilation };
}

/**
 * Replaces the model's Linear layers by int8 ones that quantize their input per batch
 * (torch.ao.quantization.quantize_dynamic with per-channel weights); converts in place and returns
 * the model, in eval mode.
 * @example quantization.quantizeDynamic(model, { modules: [nn.Linear] });
 */
export function quantizeDynamic<M extends Module>(model: M, options: QuantizeDynamicOptions = {}): M {
  checkModel('quantizeDynamic', model);
  checkOptions('quantizeDynamic', options, ['modules', 'reduceRange']);
  const classes = checkClasses('quantizeDynamic', options.modules ?? [Linear], [Linear]);
  const reduceRange = checkReduceRange('quantizeDynamic', options.reduceRange);
  for (const slot of slots(model, (m) => classes.some((c) => m.constructor === c))) {
    const m = slot.child as Linear;
    replace(slot, quantized(m, null, reducesRange(reduceRange, m)));
  }
  return model.eval();
}

const OBSERVERS = new WeakMap<Module, { observers: Map<AnyModule, Observer>; handles: RemovableHandle[]; reduceRange: ReduceRange }>();

/**
 * Attaches an observer to the input of every Linear and Conv2d (or `modules`) for calibration
 * (torch.ao.quantization.prepare); run representative batches through the model in eval mode, then
 * `convert` it. Returns the model.
 * @example quantization.prepare(model, { observer: 'histogram' }); for (const x of calib) model(x); quantization.convert(model);
 */
export function prepare<M extends Module>(model: M, options: PrepareOptions = {}): M {
  checkModel('prepare', model);
  checkOptions('prepare', options, ['modules', 'observer', 'percentile', 'reduceRange']);
  if (OBSERVERS.has(model)) throw new Error('quantization.prepare: this model is already prepared; call convert() first');
  const classes = checkClasses('prepare', options.modules ?? [Linear, Conv2d], [Linear, Conv2d]);
  const kind = options.observer ?? 'minmax';
  if (kind !== 'minmax' && kind !== 'histogram') throw new RangeError(`quantization.prepare: observer must be 'minmax' or 'histogram' (got ${String(kind)})`);
  const { percentile } = options;
  if (percentile !== undefined) {
    if (kind !== 'histogram') throw new TypeError("quantization.prepare: percentile applies to the 'histogram' observer only");
    if (typeof percentile !== 'number' || !(percentile > 50 && percentile <= 100))
      throw new RangeError(`quantization.prepare: percentile must be a number in (50, 100] (got ${String(percentile)})`);
  }
  const reduceRange = checkReduceRange('prepare', options.reduceRange);
  const observers = new Map<AnyModule, Observer>();
  const handles: RemovableHandle[] = [];
  for (const { child } of slots(model, (m) => classes.some((c) => m.constructor === c))) {
    if (observers.has(child)) continue;
    const observer = kind === 'minmax' ? new MinMaxObserver() : new HistogramObserver(options.percentile);
    observers.set(child, observer);
    handles.push(child.registerForwardPreHook((_m, args) => void observer.observe(args[0] as never)));
  }
  OBSERVERS.set(model, { observers, handles, reduceRange });
  return model.eval();
}

/**
 * Below this GEMM depth (inChannels·kH·kW) a convolution stays float32: with fewer than four
 * int8 steps per output the unfold and the float epilogue cost what the int8 multiply saves (the
 * bench CNN's 1-channel 3×3 conv measured 0.87× float32 at batch 1 and 1.0× at batch 64 by CPU
 * time), and its weight is a few hundred bytes.
 */
const MIN_INT8_CONV_DEPTH = 16;

/**
 * Replaces each observed layer by its int8 form with the calibrated input quantization
 * (torch.ao.quantization.convert); in place, returns the model. Grouped convolutions, 'same'
 * padding with an odd kernel span, and convolutions shallower than 16 (inChannels·kH·kW, such as a
 * first layer on one-channel images, where int8 is slower) stay float32.
 */
export function convert<M extends Module>(model: M): M {
  checkModel('convert', model);
  const prepared = OBSERVERS.get(model);
  if (!prepared) throw new Error('quantization.convert: the model was not prepared; call quantization.prepare(model) and run calibration batches first');
  for (const h of prepared.handles) h.remove();
  OBSERVERS.delete(model);
  for (const slot of slots(model, (m) => prepared.observers.has(m))) {
    const m = slot.child as Linear | Conv2d;
    if (m instanceof Conv2d && (!convGeometry(m) || (m.inChannels / m.groups) * m.kernelSize[0] * m.kernelSize[1] < MIN_INT8_CONV_DEPTH)) continue;
    const observer = prepared.observers.get(m)!;
    const reduceRange = reducesRange(prepared.reduceRange, m);
    let q: QParams;
    try {
      q = observer.qparams(reduceRange ? 127 : 255);
    } catch (error) {
      throw new Error(`quantization.convert: layer '${slot.path}': ${(error as Error).message}`);
    }
    replace(slot, quantized(m, q, reduceRange));
  }
  return model.eval();
}

/**
 * The model's state dict as safetensors bytes with the int8 weights stored as I8 (a quarter of
 * their float32 size); load it back into a model quantized the same way with loadStateDict.
 * @example await writeFile('model.int8.safetensors', quantization.serialize(model));
 */
export function serialize(model: Module, metadata?: Record<string, string>): Uint8Array {
  checkModel('serialize', model);
  const int8 = new Set(
    model
      .namedModules()
      .filter(([, m]) => m instanceof QuantizedLinear || m instanceof QuantizedConv2d)
      .map(([path]) => (path ? `${path}.weight` : 'weight')),
  );
  return serializeSafetensors(model.stateDict(), metadata, { int8 });
}
