// Text augmentation over token arrays: what each EDA operation may and may not change, the
// bundled word list, seeding, chaining with Compose, and errors.
import { describe, expect, it } from 'vitest';
import { Generator, data } from '../src/index.js';

const { Compose, RandomDeletion, RandomInsertion, RandomSwap, SynonymReplacement, bundledSynonyms } = data;
const words = 'the movie was really good and the story was strange'.split(' ');
const g = (seed: number) => new Generator(seed);

describe('text augmentation', () => {
  it('RandomDeletion drops about p of the tokens, keeps the order, and never returns nothing', () => {
    const long = Array.from({ length: 2000 }, (_, i) => `w${i}`);
    const kept = new RandomDeletion({ p: 0.3, generator: g(1) }).forward(long);
    expect(kept.length / 2000).toBeGreaterThan(0.66);
    expect(kept.length / 2000).toBeLessThan(0.74);
    expect(kept).toEqual(long.filter((w) => kept.includes(w)));
    expect(new RandomDeletion({ p: 1, generator: g(2) }).forward(['a', 'b', 'c'])).toHaveLength(1);
    expect(new RandomDeletion({ p: 0 }).forward(words)).toEqual(words);
    // Token ids work too.
    expect(new RandomDeletion<number>({ p: 0 }).forward([5, 6, 7])).toEqual([5, 6, 7]);
  });

  it('RandomSwap keeps the multiset of tokens and moves exactly two for n = 1', () => {
    const out = new RandomSwap({ n: 1, generator: g(3) }).forward(['a', 'b', 'c', 'd', 'e']);
    expect([...out].sort()).toEqual(['a', 'b', 'c', 'd', 'e']);
    expect(out.filter((w, i) => w !== ['a', 'b', 'c', 'd', 'e'][i])).toHaveLength(2);
    expect(new RandomSwap({ n: 3 }).forward(['only'])).toEqual(['only']);
  });

  it('SynonymReplacement replaces n words with synonyms from the bundled list, keeping capitals', () => {
    const out = new SynonymReplacement({ n: 2, generator: g(4) }).forward(words);
    const changed = out.flatMap((w, i) => (w !== words[i] ? [[words[i], w]] : []));
    expect(changed).toHaveLength(2);
    for (const [from, to] of changed) expect(bundledSynonyms().get(from)).toContain(to);
    expect(new SynonymReplacement({ generator: g(5) }).forward(['Good'])[0]).toMatch(/^[A-Z]/);
    expect(new SynonymReplacement().forward(['zzz', 'qqq'])).toEqual(['zzz', 'qqq']);
    expect(bundledSynonyms().get('good')).toContain('great');
    expect(bundledSynonyms().get('great')).toContain('good');
  });

  it('RandomInsertion inserts synonyms of words already present; a custom word list replaces the bundled one', () => {
    const out = new RandomInsertion({ n: 2, generator: g(6) }).forward(['a', 'good', 'film']);
    expect(out).toHaveLength(5);
    const added = [...out];
    for (const w of ['a', 'good', 'film']) added.splice(added.indexOf(w), 1);
    for (const w of added) expect([...bundledSynonyms().get('good')!, ...bundledSynonyms().get('film')!]).toContain(w);
    expect(new SynonymReplacement({ synonyms: { cat: ['kitty'] } }).forward(['a', 'cat', 'good'])).toEqual(['a', 'kitty', 'good']);
  });

  it('chains with Compose, is reproducible with a seeded generator, and leaves the input alone', () => {
    const make = (seed: number) =>
      new Compose<string[]>([
        new SynonymReplacement({ n: 1, generator: g(seed) }),
        new RandomSwap({ n: 1, generator: g(seed + 1) }),
        new RandomDeletion({ p: 0.1, generator: g(seed + 2) }),
      ]);
    const copy = [...words];
    expect(make(7).forward(words)).toEqual(make(7).forward(words));
    expect(words).toEqual(copy);
  });

  it('rejects strings and bad options with clear errors', () => {
    expect(() => new RandomSwap().forward('a b c' as never)).toThrow(/RandomSwap: expects an array of tokens \(got "a b c"\); split the text first/);
    expect(() => new SynonymReplacement().forward([1, 2] as never)).toThrow(/tokens must be strings \(words\) to look up synonyms/);
    expect(() => new RandomDeletion({ p: 2 })).toThrow(/p must be a finite number in 0..1/);
    expect(() => new RandomSwap({ n: -1 })).toThrow(/n must be an integer ≥ 0/);
    expect(() => new SynonymReplacement({ synonyms: 'x' as never })).toThrow(/synonyms must be a Map or an object/);
    expect(() => new Compose([3 as never])).toThrow(/transform 0 is neither a function nor an object with forward/);
  });
});
