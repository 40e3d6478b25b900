/**
 * Text tokenizers: CharTokenizer (one id per character) and a byte-level BPE (GPT-2's scheme:
 * text → UTF-8 bytes → pairs of tokens merged in the order training learned them). Both
 * round-trip any text they can encode, serialise to JSON and check what they load.
 */
import { nodeFs } from '../io/node-fs.js';
import { Tensor } from '../tensor.js';
import { options as checkOptions } from '../validate.js';

/** What encode/decode accept as a list of token ids. */
export type TokenIds = readonly number[] | Int32Array | Tensor;

function checkText(op: string, text: unknown): string {
  if (typeof text !== 'string') throw new TypeError(`${op}: text must be a string (got ${text === null ? 'null' : typeof text})`);
  return text;
}

function checkIds(op: string, given: unknown, vocabSize: number): readonly number[] | Int32Array {
  let ids = given;
  if (ids instanceof Tensor) {
    // What sampling loops hold: a 0-D or 1-D int32 tensor of ids (multinomial, argmax, topk).
    if (ids.dtype !== 'int32' || ids.ndim > 1)
      throw new TypeError(`${op}: a Tensor of ids must be 0-D or 1-D int32 (got ${ids.dtype} [${ids.shape.join(', ')}])`);
    ids = ids.check(op).toArray();
  }
  if (!Array.isArray(ids) && !(ids instanceof Int32Array))
    throw new TypeError(`${op}: ids must be an array of integers or an int32 Tensor (got ${ids === null ? 'null' : typeof ids})`);
  for (let i = 0; i < ids.length; i++) {
    const id = ids[i];
    if (!Number.isInteger(id) || id < 0 || id >= vocabSize)
      throw new RangeError(`${op}: id ${String(id)} at position ${i} is not a token id (the vocabulary has ids 0 to ${vocabSize - 1})`);
  }
  return ids as readonly number[] | Int32Array;
}

function parseJson(op: string, json: unknown): Record<string, unknown> {
  let value = json;
  if (typeof json === 'string') {
    try {
      value = JSON.parse(json);
    } catch (error) {
      throw new SyntaxError(`${op}: not valid JSON (${(error as Error).message})`);
    }
  }
  if (typeof value !== 'object' || value === null || Array.isArray(value))
    throw new TypeError(`${op}: expected a JSON object (got ${Array.isArray(value) ? 'an array' : typeof value})`);
  return value as Record<string, unknown>;
}

function checkType(op: string, obj: Record<string, unknown>, type: string): void {
  if (obj.type !== type) throw new TypeError(`${op}: field "type" must be "${type}" (got ${JSON.stringify(obj.type)})`);
  if (obj.version !== 1) throw new RangeError(`${op}: field "version" must be 1 (got ${JSON.stringify(obj.version)})`);
}

async function writeJson(op: string, path: string, value: unknown): Promise<void> {
  const { writeFile } = await nodeFs(op);
  await writeFile(path, JSON.stringify(value));
}

/** Runs a parse of a file's text, naming the file in any error it raises. */
function inFile<T>(path: string, parse: () => T): T {
  try {
    return parse();
  } catch (e) {
    if (!(e instanceof Error)) throw e;
    throw new (e.constructor as ErrorConstructor)(`${e.message} (file ${path})`, { cause: e });
  }
}

async function readJson(op: string, path: string): Promise<string> {
  const { readFile } = await nodeFs(op);
  return readFile(path, 'utf8');
}

/**
 * One id per character (Unicode code point): the vocabulary is the sorted set of characters of
 * the text it is built from.
 * @example const tok = new data.CharTokenizer('hello'); tok.decode(tok.encode('hole')) // 'hole'
 */
export class CharTokenizer {
  /** The characters, by id. */
  readonly chars: readonly string[];
  private readonly ids: Map<string, number>;

  /** A tokenizer whose vocabulary is every character of `text`, sorted by code point. */
  constructor(text: string) {
    checkText('CharTokenizer', text);
    const chars = [...new Set(Array.from(text))].sort((a, b) => a.codePointAt(0)! - b.codePointAt(0)!);
    this.chars = chars;
    this.ids = new Map(chars.map((c, i) => [c, i]));
  }

  /** Number of distinct tokens (characters, plus specials). */
  get vocabSize(): number {
    return this.chars.length;
  }

  /** The id of each character; a character outside the vocabulary is an error that names it. */
  encode(text: string): number[] {
    checkText('CharTokenizer.encode', text);
    const out: number[] = [];
    let position = 0;
    for (const c of text) {
      const id = this.ids.get(c);
      if (id === undefined)
        throw new RangeError(
          `CharTokenizer.encode: character ${JSON.stringify(c)} (U+${c.codePointAt(0)!.toString(16).toUpperCase().padStart(4, '0')}) at position ${position} is not in the vocabulary`,
        );
      out.push(id);
      position++;
    }
    return out;
  }

  /** The text of a list of ids. */
  decode(ids: TokenIds): string {
    const checked = checkIds('CharTokenizer.decode', ids, this.vocabSize);
    let out = '';
    for (const id of checked) out += this.chars[id];
    return out;
  }

  /** The JSON form `fromJSON` reads (what `JSON.stringify(tokenizer)` writes). */
  toJSON(): { type: 'tessera.CharTokenizer'; version: 1; chars: string[] } {
    return { type: 'tessera.CharTokenizer', version: 1, chars: [...this.chars] };
  }

  /** A tokenizer from its JSON form (a string or the parsed object), checked field by field. */
  static fromJSON(json: unknown): CharTokenizer {
    const op = 'CharTokenizer.fromJSON';
    const obj = parseJson(op, json);
    checkType(op, obj, 'tessera.CharTokenizer');
    const { chars } = obj;
    if (!Array.isArray(chars)) throw new TypeError(`${op}: field "chars" must be an array of characters`);
    chars.forEach((c, i) => {
      if (typeof c !== 'string' || Array.from(c).length !== 1) throw new TypeError(`${op}: chars[${i}] must be a single character (got ${JSON.stringify(c)})`);
      if (chars.indexOf(c) !== i) throw new RangeError(`${op}: chars[${i}] ${JSON.stringify(c)} repeats chars[${chars.indexOf(c)}]`);
    });
    const tok = new CharTokenizer('');
    (tok as { chars: readonly string[] }).chars = [...(chars as string[])];
    (chars as string[]).forEach((c, i) => tok.ids.set(c, i));
    return tok;
  }

  /** Writes the JSON form to a file (Node). */
  save(path: string): Promise<void> {
    return writeJson('CharTokenizer.save', path, this);
  }

  /** Reads a tokenizer saved with `save` (Node). */
  static async load(path: string): Promise<CharTokenizer> {
    const text = await readJson('CharTokenizer.load', path);
    return inFile(path, () => CharTokenizer.fromJSON(text));
  }
}

/** Options of `BPETokenizer.train`. */
export interface BPETrainOptions {
  /** Vocabulary size to reach: 256 byte tokens, then merges, then the special tokens. */
  vocabSize: number;
  /** Strings kept whole as one token each (e.g. '<|endoftext|>'), never split or merged. */
  specialTokens?: string[];
  /** Merges need a pair seen at least this often (default 2); training stops earlier without one. */
  minFrequency?: number;
}

/**
 * GPT-2's pre-tokenizer: contractions, runs of letters or digits with an optional leading space,
 * runs of other symbols, and whitespace. Merges never cross these pieces.
 */
const PIECES = /'(?:[sdmt]|ll|ve|re)| ?\p{L}+| ?\p{N}+| ?[^\s\p{L}\p{N}]+|\s+(?!\S)|\s+/gu;
const BYTE_TOKENS = 256;
const encoder = new TextEncoder();
/** Decoding is lenient: ids that end inside a multi-byte character give U+FFFD, as GPT-2's errors='replace'. */
const decoder = new TextDecoder('utf-8');

const pairKey = (a: number, b: number): number => a * 2 ** 21 + b;

/**
 * Byte-level byte-pair encoding, as GPT-2: any text encodes (there is no unknown token), decode
 * inverts encode exactly, and training learns merges from a corpus.
 * @example const bpe = data.BPETokenizer.train(text, { vocabSize: 512 }); bpe.decode(bpe.encode('Hello')) // 'Hello'
 */
export class BPETokenizer {
  /** The learned merges in order: token 256 + i is merges[i][0] followed by merges[i][1]. */
  readonly merges: readonly (readonly [number, number])[];
  /** Tokens never split or merged, given ids after the merges. */
  readonly specialTokens: readonly string[];
  private readonly ranks = new Map<number, number>();
  private readonly bytes: Uint8Array[] = [];
  private readonly special = new Map<string, number>();
  private readonly splitter: RegExp | null;
  private readonly cache = new Map<string, number[]>();

  private constructor(merges: [number, number][], specialTokens: string[]) {
    // Private in TypeScript only: plain JavaScript can call it.
    checkMerges('BPETokenizer', merges);
    checkSpecialTokens('BPETokenizer', specialTokens);
    this.merges = merges;
    this.specialTokens = specialTokens;
    for (let b = 0; b < BYTE_TOKENS; b++) this.bytes.push(Uint8Array.of(b));
    merges.forEach(([a, b], i) => {
      this.ranks.set(pairKey(a, b), i);
      const joined = new Uint8Array(this.bytes[a].length + this.bytes[b].length);
      joined.set(this.bytes[a]);
      joined.set(this.bytes[b], this.bytes[a].length);
      this.bytes.push(joined);
    });
    specialTokens.forEach((s, i) => this.special.set(s, BYTE_TOKENS + merges.length + i));
    const escaped = [...specialTokens].sort((a, b) => b.length - a.length).map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&'));
    this.splitter = escaped.length > 0 ? new RegExp(`(${escaped.join('|')})`) : null;
  }

  /** 256 byte tokens + merges + special tokens. */
  get vocabSize(): number {
    return BYTE_TOKENS + this.merges.length + this.specialTokens.length;
  }

  /**
   * Learns merges from `text` until the vocabulary reaches vocabSize (or no pair occurs
   * minFrequency times): each step merges the most frequent adjacent pair (ties: the smallest
   * ids), counting pairs within GPT-2's pre-tokenized pieces only.
   * @example data.BPETokenizer.train(corpus, { vocabSize: 1000, specialTokens: ['<|endoftext|>'] })
   */
  static train(text: string, options: BPETrainOptions): BPETokenizer {
    const op = 'BPETokenizer.train';
    checkText(op, text);
    if (typeof options !== 'object' || options === null) throw new TypeError(`${op}: options must be an object such as { vocabSize: 1000 }`);
    checkOptions(op, options, ['vocabSize', 'specialTokens', 'minFrequency']);
    const { vocabSize, specialTokens = [], minFrequency = 2 } = options;
    checkSpecialTokens(op, specialTokens);
    if (!Number.isInteger(vocabSize) || vocabSize < BYTE_TOKENS + specialTokens.length || vocabSize > 2 ** 20) {
      throw new RangeError(
        `${op}: vocabSize must be an integer from ${BYTE_TOKENS + specialTokens.length} (the 256 bytes and the special tokens) to ${2 ** 20} (got ${vocabSize})`,
      );
    }
    if (!Number.isInteger(minFrequency) || minFrequency < 1) throw new RangeError(`${op}: minFrequency must be a positive integer (got ${minFrequency})`);
    // Distinct pieces with their counts: the pair statistics of a piece count once per occurrence.
    const counts = new Map<string, number>();
    const plain = specialTokens.length > 0 ? text.split(new RegExp(specialTokens.map((s) => s.replace(/[.*+?^${}()|[\]\\]/g, '\\$&')).join('|'))) : [text];
    for (const part of plain) for (const piece of part.match(PIECES) ?? []) counts.set(piece, (counts.get(piece) ?? 0) + 1);
    const words = [...counts].map(([piece, count]) => ({ ids: Array.from(encoder.encode(piece)), count }));
    const pairCounts = new Map<number, number>();
    const pairWords = new Map<number, Set<number>>();
    const addPairs = (w: number, sign: number) => {
      const { ids, count } = words[w];
      for (let i = 0; i + 1 < ids.length; i++) {
        const key = pairKey(ids[i], ids[i + 1]);
        pairCounts.set(key, (pairCounts.get(key) ?? 0) + sign * count);
        if (sign > 0) {
          let set = pairWords.get(key);
          if (!set) pairWords.set(key, (set = new Set()));
          set.add(w);
        }
      }
    };
    words.forEach((_, w) => addPairs(w, 1));
    const merges: [number, number][] = [];
    const target = vocabSize - specialTokens.length;
    while (BYTE_TOKENS + merges.length < target) {
      let best = -1;
      let bestCount = 0;
      for (const [key, c] of pairCounts) {
        if (c > bestCount || (c === bestCount && c > 0 && key < best)) {
          best = key;
          bestCount = c;
        }
      }
      if (best < 0 || bestCount < minFrequency) break;
      const a = Math.floor(best / 2 ** 21),
        b = best % 2 ** 21;
      const id = BYTE_TOKENS + merges.length;
      merges.push([a, b]);
      for (const w of pairWords.get(best) ?? []) {
        addPairs(w, -1);
        words[w].ids = mergePair(words[w].ids, a, b, id);
        addPairs(w, 1);
      }
      pairCounts.delete(best);
      pairWords.delete(best);
    }
    return new BPETokenizer(merges, [...specialTokens]);
  }

  /** Token ids of `text`: special tokens where they occur, BPE of each pre-tokenized piece elsewhere. */
  encode(text: string): number[] {
    checkText('BPETokenizer.encode', text);
    const out: number[] = [];
    const parts = this.splitter ? text.split(this.splitter) : [text];
    for (const part of parts) {
      const special = this.special.get(part);
      if (special !== undefined) {
        out.push(special);
        continue;
      }
      for (const piece of part.match(PIECES) ?? []) {
        let ids = this.cache.get(piece);
        if (!ids) {
          ids = this.encodePiece(piece);
          // NOTE: bounded, so encoding an endless stream of distinct pieces cannot grow memory without limit.
          if (this.cache.size >= 50_000) this.cache.clear();
          this.cache.set(piece, ids);
        }
        for (const id of ids) out.push(id);
      }
    }
    return out;
  }

  /** Applies the merges to one piece, lowest rank first, until no adjacent pair has one. */
  private encodePiece(piece: string): number[] {
    let ids = Array.from(encoder.encode(piece));
    for (;;) {
      let bestRank = Infinity;
      for (let i = 0; i + 1 < ids.length; i++) {
        const rank = this.ranks.get(pairKey(ids[i], ids[i + 1]));
        if (rank !== undefined && rank < bestRank) bestRank = rank;
      }
      if (bestRank === Infinity) return ids;
      const [a, b] = this.merges[bestRank];
      ids = mergePair(ids, a, b, BYTE_TOKENS + bestRank);
    }
  }

  /** The text of a list of ids; ids that split a multi-byte character decode to U+FFFD. */
  decode(ids: TokenIds): string {
    const checked = checkIds('BPETokenizer.decode', ids, this.vocabSize);
    let text = '';
    let pending: number[] = [];
    const flush = () => {
      if (pending.length === 0) return;
      const parts = pending.map((id) => this.bytes[id]);
      const joined = new Uint8Array(parts.reduce((n, p) => n + p.length, 0));
      let at = 0;
      for (const p of parts) {
        joined.set(p, at);
        at += p.length;
      }
      text += decoder.decode(joined);
      pending = [];
    };
    for (const id of checked) {
      if (id < this.bytes.length) pending.push(id);
      else {
        flush();
        text += this.specialTokens[id - this.bytes.length];
      }
    }
    flush();
    return text;
  }

  /** The bytes token `id` stands for (a special token's UTF-8). */
  tokenBytes(id: number): Uint8Array {
    checkIds('BPETokenizer.tokenBytes', [id], this.vocabSize);
    return id < this.bytes.length ? this.bytes[id].slice() : encoder.encode(this.specialTokens[id - this.bytes.length]);
  }

  /** The JSON form `fromJSON` reads (what `JSON.stringify(tokenizer)` writes). */
  toJSON(): { type: 'tessera.BPETokenizer'; version: 1; merges: [number, number][]; specialTokens: string[] } {
    return { type: 'tessera.BPETokenizer', version: 1, merges: this.merges.map(([a, b]) => [a, b]), specialTokens: [...this.specialTokens] };
  }

  /** A tokenizer from its JSON form (a string or the parsed object), checked field by field. */
  static fromJSON(json: unknown): BPETokenizer {
    const op = 'BPETokenizer.fromJSON';
    const obj = parseJson(op, json);
    checkType(op, obj, 'tessera.BPETokenizer');
    const { merges, specialTokens = [] } = obj;
    checkMerges(op, merges);
    checkSpecialTokens(op, specialTokens);
    return new BPETokenizer(
      merges.map(([a, b]) => [a, b]),
      [...(specialTokens as string[])],
    );
  }

  /** Writes the JSON form to a file (Node). */
  save(path: string): Promise<void> {
    return writeJson('BPETokenizer.save', path, this);
  }

  /** Reads a tokenizer saved with `save` (Node). */
  static async load(path: string): Promise<BPETokenizer> {
    const text = await readJson('BPETokenizer.load', path);
    return inFile(path, () => BPETokenizer.fromJSON(text));
  }
}

function checkMerges(op: string, merges: unknown): asserts merges is [number, number][] {
  if (!Array.isArray(merges)) throw new TypeError(`${op}: merges must be an array of [id, id] pairs`);
  merges.forEach((m, i) => {
    const known = BYTE_TOKENS + i;
    if (!Array.isArray(m) || m.length !== 2 || !m.every((id) => Number.isInteger(id) && id >= 0 && id < known)) {
      throw new RangeError(`${op}: merges[${i}] must be a pair of ids below ${known} (the tokens defined before it), got ${JSON.stringify(m)}`);
    }
  });
}

function checkSpecialTokens(op: string, tokens: unknown): asserts tokens is string[] {
  if (!Array.isArray(tokens)) throw new TypeError(`${op}: specialTokens must be an array of strings`);
  tokens.forEach((t, i) => {
    if (typeof t !== 'string' || t.length === 0) throw new TypeError(`${op}: specialTokens[${i}] must be a non-empty string (got ${JSON.stringify(t)})`);
    if (tokens.indexOf(t) !== i) throw new RangeError(`${op}: specialTokens[${i}] ${JSON.stringify(t)} repeats specialTokens[${tokens.indexOf(t)}]`);
  });
}

/** ids with every adjacent (a, b) replaced by id, left to right. */
function mergePair(ids: number[], a: number, b: number, id: number): number[] {
  const out: number[] = [];
  for (let i = 0; i < ids.length; i++) {
    if (i + 1 < ids.length && ids[i] === a && ids[i + 1] === b) {
      out.push(id);
      i++;
    } else out.push(ids[i]);
  }
  return out;
}
