import fc from 'fast-check';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { describe, expect, it } from 'vitest';
import { data, multinomial, tensor } from '../src/index.js';
// @ts-expect-error: a plain .mjs helper of the examples, without types
import { loadSpamAssassin, loadStateOfTheUnion, stateOfTheUnionText } from '../examples/corpora.mjs';

const { CharTokenizer, BPETokenizer } = data;
const corpus = (stateOfTheUnionText as (o: { from: number; to: number }) => string)({ from: 1900, to: 1905 });
const bpe = BPETokenizer.train(corpus, { vocabSize: 600, specialTokens: ['<|endoftext|>'] });

describe('CharTokenizer', () => {
  const tok = new CharTokenizer('hello, wörld 🎉');
  it('has one id per character, sorted by code point, and round-trips', () => {
    expect(tok.vocabSize).toBe(11);
    expect(tok.chars[0]).toBe(' ');
    expect(tok.decode(tok.encode('wörld 🎉, hello'))).toBe('wörld 🎉, hello');
    expect(tok.encode('🎉')).toEqual([10]);
  });
  it('names a character outside its vocabulary and rejects ids it does not have', () => {
    expect(() => tok.encode('hex')).toThrow(/CharTokenizer.encode: character "x" \(U\+0078\) at position 2 is not in the vocabulary/);
    expect(() => tok.decode([0, 11])).toThrow(/CharTokenizer.decode: id 11 at position 1 is not a token id \(the vocabulary has ids 0 to 10\)/);
    expect(() => tok.decode([0.5])).toThrow(/id 0.5 at position 0/);
    expect(() => tok.encode(42 as unknown as string)).toThrow(/CharTokenizer.encode: text must be a string \(got number\)/);
  });
  it('saves and loads its JSON, and checks what it loads', async () => {
    const again = CharTokenizer.fromJSON(JSON.stringify(tok));
    expect(again.encode('hello')).toEqual(tok.encode('hello'));
    const file = join(mkdtempSync(join(tmpdir(), 'tessera-tok-')), 'chars.json');
    await tok.save(file);
    expect((await CharTokenizer.load(file)).chars).toEqual(tok.chars);
    expect(() => CharTokenizer.fromJSON('{"type": "tessera.CharTokenizer", "version": 1, "chars": ["a", "bc"]}')).toThrow(
      /chars\[1\] must be a single character \(got "bc"\)/,
    );
    expect(() => CharTokenizer.fromJSON('{"type": "tessera.CharTokenizer", "version": 1, "chars": ["a", "a"]}')).toThrow(/chars\[1\] "a" repeats chars\[0\]/);
    expect(() => CharTokenizer.fromJSON('{"type": "tessera.BPETokenizer", "version": 1}')).toThrow(/field "type" must be "tessera.CharTokenizer"/);
    expect(() => CharTokenizer.fromJSON('{"chars": ')).toThrow(/CharTokenizer.fromJSON: not valid JSON/);
  });
  it('names the file when a saved tokenizer is truncated or malformed', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'tessera-tok-'));
    const truncated = join(dir, 'truncated.json');
    writeFileSync(truncated, '{"type":"tessera.CharTokenizer","version":1,"chars":["a"');
    await expect(CharTokenizer.load(truncated)).rejects.toThrow(new RegExp(`CharTokenizer.fromJSON: not valid JSON .*\\(file ${truncated}\\)$`));
    const badMerge = join(dir, 'bad-merge.json');
    writeFileSync(badMerge, '{"type":"tessera.BPETokenizer","version":1,"merges":[[1,2,3]],"specialTokens":[]}');
    await expect(BPETokenizer.load(badMerge)).rejects.toThrow(/merges\[0\] must be a pair of ids below 256 .*got \[1,2,3\] \(file .*bad-merge\.json\)/);
  });
  it('decodes the int32 tensor a sampling loop holds, and refuses other tensors', () => {
    const ids = multinomial(tensor([0, 0, 1, 0], { dtype: 'float32' }), 1);
    expect(tok.decode(ids)).toBe(tok.chars[2]);
    expect(tok.decode(tensor([0, 1], { dtype: 'int32' }))).toBe(tok.decode([0, 1]));
    expect(() => tok.decode(tensor([1], { dtype: 'float32' }))).toThrow(/CharTokenizer.decode: a Tensor of ids must be 0-D or 1-D int32 \(got float32 \[1\]\)/);
    expect(() => bpe.decode(tensor([[1]], { dtype: 'int32' }))).toThrow(/BPETokenizer.decode: a Tensor of ids must be 0-D or 1-D int32/);
  });
});

describe('BPETokenizer', () => {
  it('learns merges up to vocabSize, and compresses the text it was trained on', () => {
    expect(bpe.vocabSize).toBe(600);
    expect(bpe.merges.length).toBe(600 - 256 - 1);
    const ids = bpe.encode(corpus);
    expect(ids.length).toBeLessThan(corpus.length / 2.2);
    expect(bpe.decode(ids)).toBe(corpus);
    // The first merge of English prose with GPT-2's pre-tokenizer is a space and a letter.
    expect(new TextDecoder().decode(bpe.tokenBytes(256))).toMatch(/^ [a-z]$/);
  });
  it('round-trips any string, including ones never seen in training', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'grapheme', maxLength: 60 }), (s) => bpe.decode(bpe.encode(s)) === s),
      { seed: 1, numRuns: 300 },
    );
    // Lone surrogates cannot be UTF-8 encoded: they come back as U+FFFD, as TextEncoder writes them.
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), (s) => bpe.decode(bpe.encode(s)) === new TextDecoder().decode(new TextEncoder().encode(s))),
      { seed: 2, numRuns: 300 },
    );
    const s = 'Ünïcödé ✓ 🎉🎉 <|endoftext|>\ttabs\n\nand  spaces';
    expect(bpe.decode(bpe.encode(s))).toBe(s);
  });
  it('keeps special tokens whole and never learns them', () => {
    const eot = bpe.vocabSize - 1;
    expect(bpe.encode('a<|endoftext|>b')).toContain(eot);
    expect(bpe.encode('<|endoftext|>')).toEqual([eot]);
    expect(bpe.decode([eot])).toBe('<|endoftext|>');
  });
  it('decodes ids that split a character to U+FFFD, and rejects ids outside the vocabulary', () => {
    const euro = bpe.encode('€');
    expect(euro.length).toBeGreaterThan(1);
    expect(bpe.decode(euro.slice(0, 1))).toBe('\uFFFD');
    expect(() => bpe.decode([1, 600])).toThrow(/BPETokenizer.decode: id 600 at position 1 is not a token id \(the vocabulary has ids 0 to 599\)/);
    expect(() => bpe.decode('abc' as unknown as number[])).toThrow(/ids must be an array of integers/);
  });
  it('trains deterministically and reloads from JSON to the same encoding', async () => {
    const again = BPETokenizer.train(corpus, { vocabSize: 600, specialTokens: ['<|endoftext|>'] });
    expect(again.merges).toEqual(bpe.merges);
    const loaded = BPETokenizer.fromJSON(JSON.stringify(bpe));
    const sample = corpus.slice(0, 5000);
    expect(loaded.encode(sample)).toEqual(bpe.encode(sample));
    const file = join(mkdtempSync(join(tmpdir(), 'tessera-bpe-')), 'bpe.json');
    await bpe.save(file);
    expect((await BPETokenizer.load(file)).encode(sample)).toEqual(bpe.encode(sample));
  });
  it('stops early when no pair is frequent enough, and rejects bad options and malformed JSON', () => {
    expect(BPETokenizer.train('abab', { vocabSize: 1000 }).vocabSize).toBe(257);
    expect(() => BPETokenizer.train(corpus, { vocabSize: 100 })).toThrow(/BPETokenizer.train: vocabSize must be an integer from 256/);
    expect(() => BPETokenizer.train(corpus, undefined as unknown as { vocabSize: number })).toThrow(/options must be an object/);
    expect(() => BPETokenizer.train(corpus, { vocabSize: 300, specialTokens: ['x', 'x'] })).toThrow(/specialTokens\[1\] "x" repeats specialTokens\[0\]/);
    const json = (merges: unknown) => JSON.stringify({ type: 'tessera.BPETokenizer', version: 1, merges, specialTokens: [] });
    expect(() =>
      BPETokenizer.fromJSON(
        json([
          [97, 98],
          [256, 300],
        ]),
      ),
    ).toThrow(/merges\[1\] must be a pair of ids below 257 \(the tokens defined before it\), got \[256,300\]/);
    expect(() => BPETokenizer.fromJSON(json('nope'))).toThrow(/BPETokenizer.fromJSON: merges must be an array/);
    expect(() => BPETokenizer.fromJSON({ type: 'tessera.BPETokenizer', version: 2, merges: [] })).toThrow(/field "version" must be 1 \(got 2\)/);
    expect(() => BPETokenizer.fromJSON('[1, 2]')).toThrow(/expected a JSON object \(got an array\)/);
  });
});

describe('text corpora from the dev dependencies', () => {
  it('SpamAssassin: 6,046 messages, 1,896 of them spam, with header-free bodies on request', () => {
    const mail = loadSpamAssassin({ body: true }) as { label: number; text: string; group: string }[];
    expect(mail.length).toBe(6046);
    expect(mail.filter((m) => m.label === 1).length).toBe(1896);
    expect(new Set(mail.map((m) => m.group))).toEqual(new Set(['easy-ham-1', 'easy-ham-2', 'hard-ham-1', 'spam-1', 'spam-2']));
    // One spam message carries a second, embedded header block in its body.
    expect(mail.filter((m) => /^Return-Path:/m.test(m.text.slice(0, 200))).length).toBe(1);
    expect((loadSpamAssassin() as { text: string }[])[0].text).toMatch(/^From .*\nReturn-Path:/);
  });
  it('State of the Union: 233 addresses from 1790, in order', () => {
    const speeches = loadStateOfTheUnion() as { year: number; name: string; text: string }[];
    expect(speeches.length).toBe(233);
    expect(speeches[0]).toMatchObject({ year: 1790, name: 'George Washington' });
    expect(speeches.every((s, i) => i === 0 || s.year >= speeches[i - 1].year)).toBe(true);
  });
});
