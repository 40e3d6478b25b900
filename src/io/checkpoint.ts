/**
 * Checkpoints: a model, its optimizer and scheduler, the epoch and any user values in one
 * safetensors file. Tensors are tensors (`model.<key>`, `optimizer.state.<i>.<name>`,
 * `extra.<name>`); everything else is JSON in `__metadata__` (`optimizer`, `scheduler`, `extra`),
 * in PyTorch's state-dict layout, so Python reads it with any safetensors reader and json.loads.
 */
import type { Device } from '../dtype.js';
import type { Module } from '../nn/module.js';
import type { LRScheduler, SchedulerStateDict } from '../optim/lr-scheduler.js';
import type { Optimizer, OptimizerStateDict } from '../optim/optimizer.js';
import { Tensor } from '../tensor.js';
import { nodeFs } from './node-fs.js';
import * as V from '../validate.js';
import { SafetensorsError, deserialize, serialize } from './safetensors.js';

/** What a checkpoint holds: any of model, optimizer, scheduler, plus the epoch and user values (JSON-able or tensors). */
export interface CheckpointContents {
  model?: Module;
  optimizer?: Optimizer;
  scheduler?: LRScheduler;
  epoch?: number;
  [extra: string]: unknown;
}

/** Where `loadCheckpoint` restores to (in place), and how. */
export interface LoadCheckpointOptions {
  model?: Module;
  optimizer?: Optimizer;
  scheduler?: LRScheduler;
  /** Passed to the model's loadStateDict (default true). */
  strict?: boolean;
  /** Where extra tensors are created (default: the default device). */
  device?: Device;
}

const FORMAT = 'tessera.checkpoint';
const VERSION = '1';
const EXTRA = 'extra.';

/**
 * Encodes a checkpoint as safetensors bytes (for browsers: store them in IndexedDB or download them).
 * @example const bytes = serializeCheckpoint({ model, optimizer, scheduler, epoch: 3, bestAccuracy: 0.91 });
 */
export function serializeCheckpoint(contents: CheckpointContents): Uint8Array {
  if (contents === null || typeof contents !== 'object')
    throw new TypeError(`saveCheckpoint: expected { model, optimizer, scheduler, epoch, ... }, got ${contents === null ? 'null' : typeof contents}`);
  const { model, optimizer, scheduler, ...extra } = contents;
  const tensors = new Map<string, Tensor>();
  const metadata: Record<string, string> = { format: FORMAT, version: VERSION };
  if (model !== undefined) {
    if (typeof (model as Module | null)?.stateDict !== 'function') throw new TypeError('saveCheckpoint: model must be an nn.Module');
    for (const [key, t] of Object.entries(model.stateDict())) tensors.set(`model.${key}`, t);
    metadata.model = 'true';
  }
  const temporaries: Tensor[] = [];
  if (optimizer !== undefined) {
    if (typeof (optimizer as Optimizer | null)?.stateDict !== 'function') throw new TypeError('saveCheckpoint: optimizer must be an optim.Optimizer');
    const { state, param_groups } = optimizer.stateDict();
    const plain: Record<string, Record<string, unknown>> = {};
    for (const [index, s] of Object.entries(state)) {
      plain[index] = {};
      for (const [name, v] of Object.entries(s)) {
        if (v instanceof Tensor) {
          tensors.set(`optimizer.state.${index}.${name}`, v);
          temporaries.push(v);
        } else plain[index][name] = v;
      }
    }
    metadata.optimizer = toJson('optimizer', { state: plain, param_groups });
  }
  if (scheduler !== undefined) {
    if (typeof (scheduler as LRScheduler | null)?.stateDict !== 'function') throw new TypeError('saveCheckpoint: scheduler must be an lr scheduler');
    metadata.scheduler = toJson('scheduler', scheduler.stateDict());
  }
  const plainExtra: Record<string, unknown> = {};
  for (const [key, v] of Object.entries(extra)) {
    if (v instanceof Tensor) tensors.set(`${EXTRA}${key}`, v);
    else if (v !== undefined) plainExtra[key] = v;
  }
  metadata.extra = toJson('extra', plainExtra);
  try {
    return serialize(tensors, metadata);
  } finally {
    for (const t of temporaries) t.dispose();
  }
}

/**
 * Writes a checkpoint to one safetensors file (Node; in browsers use `serializeCheckpoint`).
 * @example await saveCheckpoint('run.safetensors', { model, optimizer, scheduler, epoch });
 */
export async function saveCheckpoint(path: string, contents: CheckpointContents): Promise<void> {
  const bytes = serializeCheckpoint(contents);
  const { writeFile } = await nodeFs('saveCheckpoint');
  await writeFile(path, bytes);
}

/**
 * Restores a checkpoint's model, optimizer and scheduler in place (those passed in `targets`) and
 * returns the rest: the epoch and user values (tensors as tensors).
 * @example const { epoch } = deserializeCheckpoint(bytes, { model, optimizer, scheduler });
 */
export function deserializeCheckpoint(bytes: Uint8Array | ArrayBuffer, targets: LoadCheckpointOptions = {}): Record<string, unknown> {
  if (targets === null || typeof targets !== 'object')
    throw new TypeError(`loadCheckpoint: expected { model, optimizer, scheduler } to restore, got ${JSON.stringify(targets)}`);
  V.options('deserializeCheckpoint', targets, ['model', 'optimizer', 'scheduler', 'strict', 'device']);
  const { tensors, metadata } = deserialize(bytes, { device: targets.device });
  if (metadata.format !== FORMAT) {
    throw new SafetensorsError(
      `loadCheckpoint: this safetensors file is not a Tessera checkpoint (its __metadata__ has no format '${FORMAT}'); load a plain state dict with load() and model.loadStateDict()`,
    );
  }
  if (metadata.version !== VERSION)
    throw new SafetensorsError(`loadCheckpoint: checkpoint version ${metadata.version} is not supported (this version reads ${VERSION})`);
  const group = (prefix: string) => {
    const out: Record<string, Tensor> = {};
    for (const [key, t] of Object.entries(tensors)) if (key.startsWith(prefix)) out[key.slice(prefix.length)] = t;
    return out;
  };
  const absent = (what: string) => new Error(`loadCheckpoint: a ${what} was passed but the checkpoint holds none`);
  const { model, optimizer, scheduler } = targets;
  if (model) {
    if (metadata.model !== 'true') throw absent('model');
    const state = group('model.');
    model.loadStateDict(state, { strict: targets.strict ?? true });
    for (const t of Object.values(state)) t.dispose();
  }
  if (optimizer) {
    if (metadata.optimizer === undefined) throw absent('optimizer');
    const saved = fromJson('optimizer', metadata.optimizer) as {
      state: Record<string, Record<string, unknown>>;
      param_groups: OptimizerStateDict['param_groups'];
    };
    const stateTensors = group('optimizer.state.');
    for (const [key, t] of Object.entries(stateTensors)) {
      const dot = key.indexOf('.');
      (saved.state[key.slice(0, dot)] ??= {})[key.slice(dot + 1)] = t;
    }
    optimizer.loadStateDict(saved as OptimizerStateDict);
    for (const t of Object.values(stateTensors)) t.dispose();
  }
  if (scheduler) {
    if (metadata.scheduler === undefined) throw absent('scheduler');
    scheduler.loadStateDict(fromJson('scheduler', metadata.scheduler) as SchedulerStateDict);
  }
  return { ...(fromJson('extra', metadata.extra ?? '{}') as Record<string, unknown>), ...group(EXTRA) };
}

/**
 * Reads a checkpoint (a path in Node, or its bytes anywhere), restores what `targets` names in
 * place and returns the epoch and user values. Resuming and training on is bitwise identical to
 * not stopping.
 * @example const { epoch } = await loadCheckpoint('run.safetensors', { model, optimizer, scheduler });
 */
export async function loadCheckpoint(source: string | Uint8Array | ArrayBuffer, targets: LoadCheckpointOptions = {}): Promise<Record<string, unknown>> {
  if (typeof source !== 'string') return deserializeCheckpoint(source, targets);
  const { readFile } = await nodeFs('loadCheckpoint');
  return deserializeCheckpoint(await readFile(source), targets);
}

function toJson(what: string, value: unknown): string {
  return JSON.stringify(value, (key, v) => {
    if (typeof v === 'number' && !Number.isFinite(v)) throw new TypeError(`saveCheckpoint: ${what}${key ? ` '${key}'` : ''} is ${v}, which JSON cannot hold`);
    if (typeof v === 'bigint' || typeof v === 'function' || typeof v === 'symbol')
      throw new TypeError(`saveCheckpoint: ${what}${key ? ` '${key}'` : ''} is a ${typeof v}; checkpoints hold tensors and JSON values`);
    return v;
  });
}

function fromJson(what: string, text: string): unknown {
  try {
    return JSON.parse(text);
  } catch (e) {
    throw new SafetensorsError(`loadCheckpoint: the checkpoint's '${what}' metadata is not valid JSON (${(e as Error).message})`);
  }
}
