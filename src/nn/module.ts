/**
 * Module and Parameter: the registration-by-assignment core every layer builds on. A Module finds
 * its parameters and sub-modules among its own properties (in assignment order, which is PyTorch's
 * registration order), so a layer is written as a class with fields and a forward().
 */
import { noGrad } from '../autograd/grad-mode.js';
import { release, releasePendingGraphs } from '../memory.js';
import { fmtShape, sameShape } from '../shape.js';
import { Tensor } from '../tensor.js';

/**
 * A tensor that a Module trains: a leaf that requires grad by default, shares `data`'s storage and
 * is kept (never released automatically).
 * @example this.weight = new Parameter(randn([out, in]));
 */
export class Parameter extends Tensor {
  constructor(data: Tensor, requiresGrad = true) {
    data.check('Parameter');
    super(data.storage, data.shape, data.strides, data.offset, data.dtype);
    this.keep();
    if (requiresGrad) this.requiresGrad_(true);
  }
}


/** Options of `loadStateDict`. */
export interface LoadStateDictOptions {
  /** Require the keys to match exactly (shapes must always match). Default true. */
  strict?: boolean;
}

/** What `loadStateDict` could not match (only reported when strict is false). */
export interface LoadStateDictResult {
  missingKeys: string[];
  unexpectedKeys: string[];
}

/** A name → tensor record in insertion order, as `stateDict()` returns and `loadStateDict()` takes. */
export type StateDict = Record<string, Tensor>;

/**
 * Base class of every layer: assign Parameters and Modules to fields and they are registered.
 * @example
 * class Net extends Module {
 *   fc1 = new Linear(4, 8);
 *   fc2 = new Linear(8, 2);
 *   forward(x: Tensor) { return this.fc2.forward(this.fc1.forward(x).relu()); }
 * }
 */
export abstract class Module {
  /** Train mode (dropout active, batch norm uses batch statistics) or eval mode. */
  training = true;
  readonly #buffers = new Map<string, Tensor | null>();

  /** The computation; subclasses narrow the signature. */
  abstract forward(...args: Tensor[]): Tensor;

  /** Own parameters and children, in assignment order; arrays register as `name.0`, `name.1`, … */
  #ownMembers(): { params: [string, Parameter][]; children: [string, Module][] } {
    const params: [string, Parameter][] = [];
    const children: [string, Module][] = [];
    for (const [key, value] of Object.entries(this)) {
      if (value instanceof Parameter) params.push([key, value]);
      else if (value instanceof Module) children.push([key, value]);
      else if (Array.isArray(value)) {
        value.forEach((v: unknown, i) => {
          if (v instanceof Parameter) params.push([`${key}.${i}`, v]);
          else if (v instanceof Module) children.push([`${key}.${i}`, v]);
        });
      }
    }
    return { params, children };
  }

  /**
   * Registers a tensor that is state but not a parameter (BatchNorm's running statistics): it is
   * kept, saved in stateDict(), and readable as `this[name]`.
   */
  registerBuffer(name: string, tensor: Tensor | null): void {
    if (name in this && !this.#buffers.has(name)) throw new Error(`registerBuffer: attribute '${name}' already exists on ${this.constructor.name}`);
    this.#buffers.set(name, tensor?.keep() ?? null);
    const buffers = this.#buffers;
    Object.defineProperty(this, name, {
      configurable: true,
      enumerable: false,
      get: () => buffers.get(name) ?? null,
      set: (t: Tensor | null) => {
        buffers.set(name, t?.keep() ?? null);
      },
    });
  }

  /** Own buffers (null ones skipped), in registration order. */
  namedBuffers(prefix = ''): [string, Tensor][] {
    const out: [string, Tensor][] = [];
    for (const [path, m] of this.namedModules(prefix)) {
      for (const [name, t] of m.#buffers) if (t) out.push([path ? `${path}.${name}` : name, t]);
    }
    return out;
  }

  /** Every buffer of this module and its descendants. */
  buffers(): Tensor[] {
    return this.namedBuffers().map(([, t]) => t);
  }

  /** Direct sub-modules with their attribute names. */
  namedChildren(): [string, Module][] {
    return this.#ownMembers().children;
  }

  /** Direct sub-modules. */
  children(): Module[] {
    return this.namedChildren().map(([, m]) => m);
  }

  /** This module and all descendants, pre-order, each once, with dotted names ('' for this one). */
  namedModules(prefix = ''): [string, Module][] {
    const out: [string, Module][] = [];
    const seen = new Set<Module>();
    const visit = (m: Module, path: string) => {
      if (seen.has(m)) return;
      seen.add(m);
      out.push([path, m]);
      for (const [name, child] of m.namedChildren()) visit(child, path ? `${path}.${name}` : name);
    };
    visit(this, prefix);
    return out;
  }

  /** This module and all descendants, pre-order. */
  modules(): Module[] {
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
      for (const [name, p] of m.#ownMembers().params) {
        if (seen.has(p)) continue;
        seen.add(p);
        out.push([path ? `${path}.${name}` : name, p]);
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

  /** Calls fn on every descendant, children first, then on this module (PyTorch's apply); returns this. */
  apply(fn: (m: Module) => void): this {
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
   * Clears every parameter's gradient: releases it (setToNone, the default) or fills it with zeros.
   * It is a step boundary, so the previous step's backpropagated graph is released first.
   */
  zeroGrad(setToNone = true): void {
    releasePendingGraphs();
    for (const p of this.parameters()) {
      if (!p.grad) continue;
      if (setToNone) {
        release(p.grad, 'zeroGrad() cleared the gradient');
        p.grad = null;
      } else if (p.grad.releasedBecause === null) p.grad.zero_();
    }
  }

  /**
   * Parameters then buffers of each module, pre-order, under dotted names. The values are detached
   * views sharing the live storage (as in PyTorch): clone them to snapshot a model that keeps training.
   * @example save(model.stateDict(), 'model.safetensors');
   */
  stateDict(): StateDict {
    const out: StateDict = {};
    for (const [path, m] of this.namedModules()) {
      const key = (name: string) => (path ? `${path}.${name}` : name);
      for (const [name, p] of m.#ownMembers().params) out[key(name)] = p.detach();
      for (const [name, t] of m.#buffers) if (t) out[key(name)] = t.detach();
    }
    return out;
  }

  /**
   * Copies a state dict's tensors into this module's parameters and buffers, in place. Shapes must
   * match; with `strict` (default) the keys must match too. Returns the keys that did not match.
   */
  loadStateDict(state: StateDict | Map<string, Tensor>, { strict = true }: LoadStateDictOptions = {}): LoadStateDictResult {
    const entries = state instanceof Map ? new Map(state) : new Map(Object.entries(state));
    const targets = new Map<string, Tensor>();
    for (const [path, m] of this.namedModules()) {
      const key = (name: string) => (path ? `${path}.${name}` : name);
      for (const [name, p] of m.#ownMembers().params) targets.set(key(name), p);
      for (const [name, t] of m.#buffers) if (t) targets.set(key(name), t);
    }
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
      if (!sameShape(src.shape, target.shape)) {
        problems.push(`size mismatch for ${key}: copying a param with shape ${fmtShape(src.shape)} into ${fmtShape(target.shape)}`);
      }
    }
    if (problems.length > 0) throw new Error(`loadStateDict: ${problems.join('; ')} (loading into ${this.constructor.name})`);
    noGrad(() => {
      for (const [key, target] of targets) {
        const src = entries.get(key);
        if (src) target.copy_(src.check(`loadStateDict (${key})`));
      }
    });
    return { missingKeys, unexpectedKeys };
  }

  /** The layer's settings for toString(), e.g. `inFeatures=4, outFeatures=2, bias=true`. */
  extraRepr(): string {
    return '';
  }

  /** The module tree, printed like PyTorch's repr. */
  toString(): string {
    const extra = this.extraRepr();
    const children = this.namedChildren().map(([name, m]) => `(${name}): ${m.toString()}`);
    if (children.length === 0) return `${this.constructor.name}(${extra})`;
    const lines = [...(extra ? extra.split('\n') : []), ...children].join('\n').split('\n');
    return `${this.constructor.name}(\n${lines.map((l) => `  ${l}`).join('\n')}\n)`;
  }
}
