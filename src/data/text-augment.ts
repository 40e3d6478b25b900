/**
 * Text augmentation over token arrays (the EDA operations of Wei & Zou, 2019): random deletion,
 * random swap, synonym replacement and random insertion. Each is a Transform over `T[]` (words,
 * or token ids for deletion and swap), seeded like the image transforms, and chains with Compose.
 */
import { Generator, defaultGenerator } from '../random.js';
import * as V from '../validate.js';
import { randperm } from './dataset.js';
import type { Transform } from './transforms.js';

/**
 * A small bundled thesaurus of common English words (groups of interchangeable words, written
 * for this library): enough for examples and tests; pass your own `synonyms` for real work.
 */
const SYNONYM_GROUPS: readonly string[] = [
  'good great fine excellent nice',
  'bad poor awful terrible lousy',
  'big large huge enormous vast',
  'small little tiny minor compact',
  'fast quick rapid swift speedy',
  'slow sluggish leisurely unhurried',
  'happy glad cheerful joyful pleased',
  'sad unhappy gloomy sorrowful downcast',
  'smart clever bright intelligent sharp',
  'easy simple effortless straightforward',
  'hard difficult tough demanding',
  'begin start commence launch',
  'end finish conclude complete',
  'buy purchase acquire',
  'help assist aid support',
  'show display reveal exhibit',
  'make create build produce',
  'say state remark mention',
  'look glance peek gaze',
  'think believe suppose reckon',
  'movie film picture',
  'book novel volume',
  'car automobile vehicle',
  'house home dwelling residence',
  'job work task duty',
  'friend companion pal buddy',
  'money cash funds',
  'story tale narrative account',
  'problem issue trouble difficulty',
  'idea notion concept thought',
  'answer reply response',
  'important significant crucial vital',
  'strange odd weird peculiar unusual',
  'beautiful lovely pretty attractive',
  'boring dull tedious monotonous',
  'funny amusing humorous comic',
  'angry mad furious irate',
  'scared afraid frightened fearful',
  'rich wealthy affluent prosperous',
  'old aged elderly ancient',
  'new fresh recent modern',
  'quiet silent calm still',
  'loud noisy deafening',
  'often frequently regularly',
  'maybe perhaps possibly',
  'really truly genuinely',
  'very extremely highly',
  'completely totally entirely fully',
  'love adore cherish',
  'hate detest loathe despise',
  'like enjoy appreciate',
  'want desire wish',
  'get obtain gain receive',
  'give provide offer grant',
  'use employ utilize',
  'fix repair mend',
  'try attempt endeavor',
  'choose pick select',
  'free complimentary gratis',
  'offer deal bargain',
  'message note letter',
  'call phone ring',
  'win triumph prevail',
  'prize award reward',
  'urgent pressing immediate',
];

let bundled: ReadonlyMap<string, readonly string[]> | null = null;

/** The bundled word list as word → synonyms (built on first use). */
export function bundledSynonyms(): ReadonlyMap<string, readonly string[]> {
  if (bundled) return bundled;
  const map = new Map<string, string[]>();
  for (const group of SYNONYM_GROUPS) {
    const words = group.split(' ');
    for (const w of words) map.set(w, [...new Set([...(map.get(w) ?? []), ...words.filter((o) => o !== w)])]);
  }
  bundled = map;
  return map;
}

function checkTokens(op: string, tokens: unknown): unknown[] {
  if (!Array.isArray(tokens)) throw new TypeError(`${op}: expects an array of tokens (got ${V.show(tokens)}); split the text first`);
  return tokens;
}

function generatorOf(op: string, g: unknown): Generator | undefined {
  if (g !== undefined && !(g instanceof Generator)) throw new TypeError(`${op}: generator must be a Generator (got ${V.show(g)})`);
  return g;
}

/**
 * Deletes each token with probability p (default 0.1); never returns an empty array (one random
 * token is kept, as EDA).
 * @example new RandomDeletion({ p: 0.2 }).forward('this movie was really good'.split(' '))
 */
export class RandomDeletion<T = string> implements Transform<T[]> {
  /** Probability of deleting each token. */
  readonly p: number;
  private readonly generator: Generator | undefined;
  constructor(options: { p?: number; generator?: Generator } = {}) {
    options = V.options('RandomDeletion', options, ['p', 'generator']);
    this.p = V.num('RandomDeletion', 'p', options.p ?? 0.1, { min: 0, max: 1 });
    this.generator = generatorOf('RandomDeletion', options.generator);
  }
  /** A copy with each token deleted with probability p (at least one kept), as EDA's random deletion. */
  forward(tokens: T[]): T[] {
    checkTokens('RandomDeletion', tokens);
    if (tokens.length <= 1) return [...tokens];
    const g = this.generator ?? defaultGenerator;
    const kept = tokens.filter(() => !(g.random() < this.p));
    return kept.length > 0 ? kept : [tokens[g.integer(0, tokens.length)]];
  }
}

/**
 * Swaps two random positions, n times (default 1).
 * @example new RandomSwap({ n: 2 }).forward(['a', 'b', 'c', 'd'])
 */
export class RandomSwap<T = string> implements Transform<T[]> {
  /** Number of swaps of two random positions. */
  readonly n: number;
  private readonly generator: Generator | undefined;
  constructor(options: { n?: number; generator?: Generator } = {}) {
    options = V.options('RandomSwap', options, ['n', 'generator']);
    this.n = V.int('RandomSwap', 'n', options.n ?? 1, { min: 0 });
    this.generator = generatorOf('RandomSwap', options.generator);
  }
  /** A copy with two random tokens swapped n times, as EDA's random swap. */
  forward(tokens: T[]): T[] {
    const out = [...checkTokens('RandomSwap', tokens)] as T[];
    if (out.length < 2) return out;
    const g = this.generator ?? defaultGenerator;
    for (let k = 0; k < this.n; k++) {
      const i = g.integer(0, out.length);
      let j = g.integer(0, out.length - 1);
      if (j >= i) j++; // a different position
      [out[i], out[j]] = [out[j], out[i]];
    }
    return out;
  }
}

/** Options of SynonymReplacement and RandomInsertion. */
export interface SynonymOptions {
  /** How many words to replace / insert (default 1). */
  n?: number;
  /** word → synonyms; the bundled list of common English words when not given. */
  synonyms?: ReadonlyMap<string, readonly string[]> | Readonly<Record<string, readonly string[]>>;
  generator?: Generator;
}

class SynonymBase {
  readonly n: number;
  protected readonly synonyms: ReadonlyMap<string, readonly string[]>;
  protected readonly generator: Generator | undefined;
  constructor(
    protected readonly op: string,
    options: SynonymOptions,
  ) {
    options = V.options(op, options, ['n', 'synonyms', 'generator']);
    this.n = V.int(op, 'n', options.n ?? 1, { min: 0 });
    const s = options.synonyms;
    if (s !== undefined && (s === null || typeof s !== 'object'))
      throw new TypeError(`${op}: synonyms must be a Map or an object of word → synonyms (got ${V.show(s)})`);
    this.synonyms = s === undefined ? bundledSynonyms() : s instanceof Map ? s : new Map(Object.entries(s));
    this.generator = generatorOf(op, options.generator);
  }

  /** A synonym of the first word (in random order) that has one, or null. */
  protected firstSynonym(words: string[], g: Generator): string | null {
    for (const i of randperm(words.length, g)) {
      const s = this.synonym(words[i], g);
      if (s !== null) return s;
    }
    return null;
  }

  /** A random synonym of word (matching a capitalised first letter), or null. */
  protected synonym(word: unknown, g: Generator): string | null {
    if (typeof word !== 'string') throw new TypeError(`${this.op}: tokens must be strings (words) to look up synonyms (got ${V.show(word)})`);
    const options = this.synonyms.get(word.toLowerCase());
    if (!options || options.length === 0) return null;
    const pick = options[g.integer(0, options.length)];
    return word[0] !== word[0].toLowerCase() ? pick[0].toUpperCase() + pick.slice(1) : pick;
  }
}

/**
 * Replaces up to n distinct words that have synonyms with a random synonym each (EDA's SR).
 * @example new SynonymReplacement({ n: 1 }).forward(['a', 'good', 'movie']) // e.g. ['a', 'great', 'movie']
 */
export class SynonymReplacement extends SynonymBase implements Transform<string[]> {
  constructor(options: SynonymOptions = {}) {
    super('SynonymReplacement', options);
  }
  /** A copy with up to n words replaced by a random synonym, as EDA's synonym replacement. */
  forward(tokens: string[]): string[] {
    const out = [...checkTokens(this.op, tokens)] as string[];
    const g = this.generator ?? defaultGenerator;
    let replaced = 0;
    for (const i of randperm(out.length, g)) {
      if (replaced >= this.n) break;
      const s = this.synonym(out[i], g);
      if (s !== null) (out[i] = s), replaced++;
    }
    return out;
  }
}

/**
 * Inserts a synonym of a random word at a random position, n times (EDA's RI); words without
 * synonyms are skipped, so fewer may be inserted.
 * @example new RandomInsertion({ n: 1 }).forward(['a', 'good', 'movie'])
 */
export class RandomInsertion extends SynonymBase implements Transform<string[]> {
  constructor(options: SynonymOptions = {}) {
    super('RandomInsertion', options);
  }
  /** A copy with a synonym of a random word inserted at a random position n times, as EDA's random insertion. */
  forward(tokens: string[]): string[] {
    const out = [...checkTokens(this.op, tokens)] as string[];
    const g = this.generator ?? defaultGenerator;
    for (let k = 0; k < this.n && out.length > 0; k++) {
      const s = this.firstSynonym(out, g);
      if (s === null) break;
      out.splice(g.integer(0, out.length + 1), 0, s);
    }
    return out;
  }
}
