/**
 * Module and Parameter: the registration-by-assignment core every layer builds on. A Module finds
 * its parameters and sub-modules among its own properties (in assignment order, which is PyTorch's
 * registration order), so a layer is written as a class with fields and a forward().
 */
import { noGrad } from '../autograd/grad-mode.js';
import { releasePendingGraphs } from '../memory.js';
import { snakeKey } from '../names.js';
import { fmtShape, sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';
import * as V from '../validate.js';
import type { Device } from '../dtype.js';
import type { ForwardHook, ForwardPreHook, FullBackwardHook, HookRegistries, RemovableHandle } from './hooks.js';
import { addHook, callWithHooks } from './hooks.js';

/**
 * A tensor that a Module trains: a leaf that requires grad by default, shares `data`'s storage and
 * is kept (never released automatically).
 * @example this.weight = new Parameter(randn([out, in]));
 */
export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad = true) {
    V.tensorArg('Parameter', 'data', data);
    V.bool('Parameter', 'requiresGrad', requiresGrad);
    super(data.storage, data.shape, data.strides, data.offset, data.dtype);
    this.keep();
    if (requiresGrad) this.requiresGrad_(true);
  }
}

/** Options of `loadStateDict`. */
export interface LoadStateDictOptions {
  /** Require the keys to match exactly (shapes must always match). Default true. */
  strict?: boolean;
  /**
   * Make the module's parameters and buffers the given tensors (PyTorch's `assign=True`) instead of
   * copying into the existing ones; a parameter keeps its requiresGrad. Default false.
   */
  assign?: boolean;
  /** Strip this prefix (or the first matching of several) from every key, e.g. DataParallel's `'module.'`. */
  stripPrefix?: string | readonly string[];
  /** Renames each key (after stripPrefix); returning null or undefined drops the entry. */
  mapKeys?: (key: string) => string | null | undefined;
}

/** What `loadStateDict` could not match (only reported when strict is false). */
export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/** Any module, whatever its forward's arguments and result (what `children()` and `modules()` list). */
// biome-ignore lint/suspicious/noExplicitAny: the one type that accepts every module's forward signature
export type AnyModule = Module<any[], any>;

/** A name → tensor record in insertion order, as `stateDict()` returns and `loadStateDict()` takes. */
export type StateDict = Record<string, Tensor>;

/** A registered member: its state-dict name, the field holding it and the index in an array field. */
interface Member<T> {
  key: string;
  value: T;
  field: string;
  index?: number;
}

/**
 * Makes every Module instance a function that runs its `call()`, so `model(x)` works as in
 * PyTorch: the constructor returns that function with the subclass's prototype, and the fields
 * subclasses declare land on it.
 */
abstract class CallableObject {
  constructor() {
    const self = Object.setPrototypeOf((...args: unknown[]) => (self as Module).call(...(args as never[])), new.target.prototype);
    // A function's own `length` and `name` would shadow members such as Sequential's `length`.
    delete self.length;
    delete self.name;
    return self;
  }
}

/** Calling a module runs `call()`: forward pre-hooks, `forward`, forward hooks, backward-hook wiring. */
// biome-ignore lint/correctness/noUnusedVariables: declaration merging with class Module requires its type parameters
export interface Module<Args extends unknown[] = Tensor[], Out = Tensor> {
  (...args: Parameters<this['forward']>): ReturnType<this['forward']>;
}

/**
 * Base class of every layer: assign Parameters and Modules to fields and they are registered.
 * Call a module as a function, `model(x)` (or `model.call(x)`), so its hooks run; `forward(x)`
 * runs the bare computation.
 * @example
 * class Net extends Module {
 *   fc1 = new Linear(4, 8);
 *   fc2 = new Linear(8, 2);
 *   forward(x: Tensor) { return this.fc2(this.fc1(x).relu()); }
 * }
 */
export abstract class Module<Args extends unknown[] = Tensor[], Out = Tensor> extends CallableObject {
  /** Train mode (dropout active, batch norm uses batch statistics) or eval mode. */
  training = true;
  readonly #buffers = new Map<string, Tensor | null>();
  /** Bumped whenever a buffer is registered or replaced (not written in place): see bufferEpoch. */
  #bufferEpoch = 0;
  readonly #hooks: HookRegistries = { forwardPre: new Map(), forward: new Map(), backward: new Map() };

  /**
   * The computation. `Args` and `Out` type it (a layer taking several inputs and options, or
   * returning a tuple, declares them: `extends Module<[Tensor, Tensor?], [Tensor, Tensor]>`).
   * Call the module itself to run its hooks too.
   */
  abstract forward(...args: Args): Out;

  /** Runs forward with this module's hooks (what `model(x)` does; PyTorch's `__call__`). */
  call(...args: Parameters<this['forward']>): ReturnType<this['forward']> {
    const hooks = this.#hooks;
    if (hooks.forwardPre.size === 0 && hooks.forward.size === 0 && hooks.backward.size === 0) {
      return (this.forward as (...a: unknown[]) => ReturnType<this['forward']>)(...args);
    }
    return callWithHooks(this, this.forward as (...a: unknown[]) => unknown, args, hooks) as ReturnType<this['forward']>;
  }

  /**
   * Runs `hook(module, args)` before every call; returning an array (or a single value) replaces the arguments.
   * @example const h = conv.registerForwardPreHook((m, [x]) => [x.mul(2)]); … h.remove();
   */
  registerForwardPreHook(hook: ForwardPreHook<this, Parameters<this['forward']>>): RemovableHandle {
    return addHook(this.#hooks.forwardPre, hook as never, 'registerForwardPreHook');
  }

  /**
   * Runs `hook(module, args, output)` after every call; returning a value replaces the output.
   * @example model.fc1.registerForwardHook((m, args, out) => { activations.push(out.detach()); });
   */
  registerForwardHook(hook: ForwardHook<this, Parameters<this['forward']>, ReturnType<this['forward']>>): RemovableHandle {
    return addHook(this.#hooks.forward, hook as never, 'registerForwardHook');
  }

  /**
   * Runs `hook(module, gradInput, gradOutput)` when backward has computed the gradients with
   * respect to this module's input; returning an array replaces `gradInput`.
   * @example layer.registerFullBackwardHook((m, gradIn, gradOut) => [gradIn[0]!.clamp(-1, 1)]);
   */
  registerFullBackwardHook(hook: FullBackwardHook<this>): RemovableHandle {
    return addHook(this.#hooks.backward, hook as never, 'registerFullBackwardHook');
  }

  /**
   * Own parameters and children, in assignment order, under their state-dict names (`snakeKey`);
   * arrays register as `name.0`, `name.1`, …
   */
  #ownMembers(): { params: Member<Parameter>[]; children: Member<AnyModule>[] } {
    const params: Member<Parameter>[] = [];
    const children: Member<AnyModule>[] = [];
    for (const [field, value] of Object.entries(this)) {
      const key = snakeKey(field);
      if (value instanceof Parameter) params.push({ key, value, field });
      else if (value instanceof Module) children.push({ key, value, field });
      else if (Array.isArray(value)) {
        value.forEach((v: unknown, index) => {
          if (v instanceof Parameter) params.push({ key: `${key}.${index}`, value: v, field, index });
          else if (v instanceof Module) children.push({ key: `${key}.${index}`, value: v, field, index });
        });
      }
    }
    return { params, children };
  }

  /** Own buffers (null ones included) under their state-dict names. */
  #ownBuffers(): Member<Tensor | null>[] {
    return [...this.#buffers].map(([field, value]) => ({ key: snakeKey(field), value, field }));
  }

  /** Every parameter and (non-null) buffer under its full state-dict name, with the setter that replaces it. */
  #stateEntries(): { key: string; value: Tensor; isParam: boolean; replace: (t: Tensor) => void }[] {
    const out: { key: string; value: Tensor; isParam: boolean; replace: (t: Tensor) => void }[] = [];
    for (const [path, m] of this.namedModules()) {
      const full = (name: string) => (path ? `${path}.${name}` : name);
      for (const member of m.#ownMembers().params) {
        out.push({ key: full(member.key), value: member.value, isParam: true, replace: (t) => m.#replaceMember(member, t) });
      }
      for (const { key, value, field } of m.#ownBuffers()) {
        if (value) out.push({ key: full(key), value, isParam: false, replace: (t) => m.#setBuffer(field, t) });
      }
    }
    return out;
  }

  #replaceMember(member: Member<unknown>, value: unknown): void {
    const owner = this as unknown as Record<string, unknown>;
    if (member.index === undefined) owner[member.field] = value;
    else (owner[member.field] as unknown[])[member.index] = value;
  }

  /**
   * Registers a tensor that is state but not a parameter (BatchNorm's running statistics): it is
   * kept, saved in stateDict(), and readable as `this[name]`.
   */
  registerBuffer(name: string, tensor: Tensor | null): void {
    if (name in this && !this.#buffers.has(name)) throw new Error(`registerBuffer: attribute '${name}' already exists on ${this.constructor.name}`);
    this.#setBuffer(name, tensor);
    const buffers = this.#buffers;
    Object.defineProperty(this, name, {
      configurable: true,
      enumerable: false,
      get: () => buffers.get(name) ?? null,
      set: (t: Tensor | null) => this.#setBuffer(name, t),
    });
  }

  #setBuffer(name: string, t: Tensor | null): void {
    this.#buffers.set(name, t?.keep() ?? null);
    this.#bufferEpoch++;
  }

  /**
   * Changes whenever one of this module's buffers is registered or replaced by another tensor (not
   * when one is written in place: its storage's version says that), so a layer caching what it
   * derives from its buffers checks one number instead of reading every buffer.
   */
  protected get bufferEpoch(): number {
    return this.#bufferEpoch;
  }

  /** Buffers of this module and its descendants (null ones skipped) under their state-dict names. */
  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [path, m] of this.namedModules(prefix)) {
      for (const { key, value } of m.#ownBuffers()) if (value) out.push([path ? `${path}.${key}` : key, value]);
    }
    return out;
  }

  /** Every buffer of this module and its descendants. */
  buffers(): Tensor[] {
    return this.namedBuffers().map(([, t]) => t);
  }

  /** Direct sub-modules with their state-dict names (the field name, snake_cased). */
  namedChildren(): [string, AnyModule][] {
    return this.#ownMembers().children.map(({ key, value }) => [key, value]);
  }

  /** Direct sub-modules. */
  children(): AnyModule[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module and all descendants, pre-order, each once, with dotted names ('' for this one). */
  namedModules(prefix = ''): [string, AnyModule][] {
    const out: [string, AnyModule][] = [];
    const seen = new Set<Module>();
    const visit = (m: AnyModule, path: string) => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([path, m]);
      for (const [name, child] of m.namedChildren()) visit(child, path ? `${path}.${name}` : name);
    };
    visit(this, prefix);
    return out;
  }

  /** This module and all descendants, pre-order. */
  modules(): AnyModule[] {
    return this.namedModules().map(([, m]) => m);
  }

  /**
   * Parameters with PyTorch-style dotted names (`0.weight`, `encoder.fc1.bias`); a parameter shared
   * by two modules is listed once.
   * @example for (const [name, p] of model.namedParameters()) console.log(name, p.shape);
   */
  namedParameters(prefix = ''): [string, Parameter][] {
    const out: [string, Parameter][] = [];
    const seen = new Set<Parameter>();
    for (const [path, m] of this.namedModules(prefix)) {
      for (const { key, value: p } of m.#ownMembers().params) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([path ? `${path}.${key}` : key, p]);
      }
    }
    return out;
  }

  /** Every parameter of this module and its descendants, each once. @example new SGD(model.parameters(), { lr: 0.1 }) */
  parameters(): Parameter[] {
    return this.namedParameters().map(([, p]) => p);
  }

  /** Sets train mode (or eval mode with `false`) on this module and every descendant; returns this. */
  train(mode = true): this {
    for (const m of this.modules()) m.training = mode;
    return this;
  }

  /** Eval mode: `train(false)`. */
  eval(): this {
    return this.train(false);
  }

  /**
   * Moves every parameter and buffer to `device` as new tensors (the old ones are disposed, so
   * create optimizers after moving, as PyTorch advises); gradients are dropped. Returns this.
   * @example const model = new Net().to('js');
   */
  to(device: Device): this {
    if (device !== 'wasm' && device !== 'js') throw new TypeError(`Module.to: unknown device '${String(device)}' (expected 'wasm' or 'js')`);
    const moved = new Map<Tensor, Tensor>();
    const move = (t: Tensor, wrap: (data: Tensor) => Tensor) => {
      if (!moved.has(t))
        moved.set(
          t,
          noGrad(() => wrap(t.to(device))),
        );
      return moved.get(t)!;
    };
    for (const m of this.modules()) {
      for (const member of m.#ownMembers().params) {
        const p = member.value;
        if (p.device === device) continue;
        const next = move(p, (data) => {
          const param = new Parameter(data, p.requiresGrad);
          data.dispose();
          return param;
        });
        m.#replaceMember(member, next);
      }
      for (const [name, t] of m.#buffers)
        if (t && t.device !== device)
          m.#setBuffer(
            name,
            move(t, (data) => data.keep()),
          );
    }
    for (const old of moved.keys()) old.dispose();
    return this;
  }

  /** Calls fn on every descendant, children first, then on this module (PyTorch's apply); returns this. */
  apply(fn: (m: AnyModule) => void): this {
    for (const child of this.children()) child.apply(fn);
    fn(this);
    return this;
  }

  /** Turns gradient tracking of every parameter on or off (false freezes the module); returns this. */
  requiresGrad_(flag = true): this {
    for (const p of this.parameters()) p.requiresGrad_(flag);
    return this;
  }

  /**
   * Clears every parameter's gradient: sets it to null (setToNone, the default; one backward made is freed) or fills it with zeros.
   * It is a step boundary, so the previous step's backpropagated graph is released first.
   */
  zeroGrad(setToNone = true): void {
    releasePendingGraphs();
    for (const p of this.parameters()) {
      if (!p.grad) continue;
      if (setToNone) p.grad = null;
      else if (p.grad.releasedBecause === null) p.grad.zero_();
    }
  }

  /**
   * Parameters then buffers of each module, pre-order, under PyTorch's dotted snake_case names
   * (`features.0.running_mean`), so files load in PyTorch with no key map. The values are detached
   * views sharing the live storage (as in PyTorch): clone them to snapshot a model that keeps training.
   * @example save(model.stateDict(), 'model.safetensors');
   */
  stateDict(): StateDict {
    const out: StateDict = {};
    for (const { key, value } of this.#stateEntries()) out[key] = value.detach();
    return out;
  }

  /**
   * Copies a state dict's tensors into this module's parameters and buffers, in place (or makes
   * them the module's with `assign`). Shapes must match; with `strict` (default) the keys must
   * match too. `stripPrefix` and `mapKeys` rename the dict's keys first. Returns the keys that did
   * not match.
   * @example model.loadStateDict(await load('resnet.safetensors'), { stripPrefix: 'module.' });
   */
  loadStateDict(state: StateDict | Map<string, Tensor>, options: LoadStateDictOptions = {}): LoadStateDictResult {
    const { strict = true, assign = false, stripPrefix, mapKeys } = V.options('loadStateDict', options, ['strict', 'assign', 'stripPrefix', 'mapKeys']);
    const where = `(loading into ${this.constructor.name})`;
    if (state === null || typeof state !== 'object')
      throw new TypeError(`loadStateDict: expected a state dict (an object or Map of tensors), got ${state === null ? 'null' : typeof state}`);
    if (mapKeys !== undefined && typeof mapKeys !== 'function')
      throw new TypeError(`loadStateDict: mapKeys must be a function (key) => newKey, got ${typeof mapKeys}`);
    const prefixes = stripPrefix === undefined ? [] : typeof stripPrefix === 'string' ? [stripPrefix] : [...stripPrefix];
    const entries = new Map<string, unknown>();
    for (const [original, value] of state instanceof Map ? state : Object.entries(state)) {
      const prefix = prefixes.find((p) => original.startsWith(p));
      const stripped = prefix === undefined ? original : original.slice(prefix.length);
      const key = mapKeys ? mapKeys(stripped) : stripped;
      if (key === null || key === undefined) continue;
      if (entries.has(key)) throw new Error(`loadStateDict: two entries map to the key "${key}" (the second is "${original}") ${where}`);
      entries.set(key, value);
    }
    const targets = new Map(this.#stateEntries().map((e) => [e.key, e]));
    const missingKeys = [...targets.keys()].filter((k) => !entries.has(k));
    const unexpectedKeys = [...entries.keys()].filter((k) => !targets.has(k));
    const problems: string[] = [];
    if (strict && missingKeys.length > 0) problems.push(`missing keys ${missingKeys.map((k) => `"${k}"`).join(', ')}`);
    if (strict && unexpectedKeys.length > 0) problems.push(`unexpected keys ${unexpectedKeys.map((k) => `"${k}"`).join(', ')}`);
    for (const [key, target] of targets) {
      const src = entries.get(key);
      if (!(src instanceof Tensor)) {
        if (src !== undefined) problems.push(`${key} is not a Tensor`);
        continue;
      }
      if (!sameShape(src.shape, target.value.shape)) {
        problems.push(`size mismatch for ${key}: copying a param with shape ${fmtShape(src.shape)} into ${fmtShape(target.value.shape)}`);
      }
    }
    if (problems.length > 0) {
      const hint = strict && missingKeys.length > 0 && unexpectedKeys.length > 0 ? renameHint(missingKeys, unexpectedKeys) : '';
      throw new Error(`loadStateDict: ${problems.join('; ')} ${where}${hint}`);
    }
    noGrad(() => {
      for (const [key, target] of targets) {
        const src = entries.get(key) as Tensor | undefined;
        if (!src) continue;
        src.check(`loadStateDict (${key})`);
        if (!assign) target.value.copy_(src);
        else if (target.isParam) target.replace(new Parameter(src, target.value.requiresGrad));
        else target.replace(src);
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  /** The layer's settings for toString(), e.g. `inFeatures=4, outFeatures=2, bias=true`. */
  extraRepr(): string {
    return '';
  }

  /** `console.log(model)` in Node prints the module tree. */
  [Symbol.for('nodejs.util.inspect.custom')](): string {
    return this.toString();
  }

  /** The module tree, printed like PyTorch's repr. */
  override toString(): string {
    const extra = this.extraRepr();
    const children = this.namedChildren().map(([name, m]) => `(${name}): ${m.toString()}`);
    if (children.length === 0) return `${this.constructor.name}(${extra})`;
    const lines = [...(extra ? extra.split('\n') : []), ...children].join('\n').split('\n');
    return `${this.constructor.name}(\n${lines.map((l) => `  ${l}`).join('\n')}\n)`;
  }
}

/** When the unexpected keys are the missing ones under a common prefix, says which option fixes it. */
function renameHint(missing: string[], unexpected: string[]): string {
  const prefix = unexpected[0].endsWith(missing[0]) ? unexpected[0].slice(0, unexpected[0].length - missing[0].length) : '';
  if (prefix && unexpected.every((k) => k.startsWith(prefix))) return `; the file's keys have the prefix '${prefix}': pass { stripPrefix: '${prefix}' }`;
  const shorter = missing[0].endsWith(unexpected[0]) ? missing[0].slice(0, missing[0].length - unexpected[0].length) : '';
  if (shorter) return `; the module's keys have the prefix '${shorter}' the file's lack: pass { mapKeys: (k) => '${shorter}' + k }`;
  return '';
}
