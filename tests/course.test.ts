// The course's exercises (docs/course/): each check passes on the reference solution and fails on
// the untouched stub, so no check is vacuous. The chapters' snippets run in tests/docs.test.ts.
import { readdirSync } from 'node:fs';
import { describe, expect, it } from 'vitest';
// @ts-expect-error plain-JS module of the course, without types
import { checkFolder } from '../docs/course/check.mjs';

const folder = (name: string) => new URL(`../docs/course/${name}`, import.meta.url).pathname;
const exercises = readdirSync(folder('exercises')).filter((f) => f.endsWith('.mjs'));

describe('course exercises', () => {
  it('every exercise has a reference solution', () => {
    expect(exercises.length).toBeGreaterThanOrEqual(2);
    expect(readdirSync(folder('solutions')).sort()).toEqual([...exercises].sort());
  });

  it.each(exercises.map((f) => f.replace(/\.mjs$/, '')))('%s: the check passes on the solution and fails on the stub', async (name) => {
    const quiet = console.log;
    console.log = () => {};
    try {
      expect(await checkFolder(folder('solutions'), [name])).toEqual([]);
      const failures: { name: string }[] = await checkFolder(folder('exercises'), [name]);
      expect(failures.map((f) => f.name)).toEqual([name]);
    } finally {
      console.log = quiet;
    }
  });
});

describe('plotHistograms (the course figures)', () => {
  it('draws one panel per named sample with bar heights proportional to the bin counts', async () => {
    const { plotHistograms } = await import('../src/index.js');
    const svg = plotHistograms({ a: [0, 0, 0, 1], b: [1] }, { bins: 2, range: [0, 1], title: 'T' });
    expect(svg.startsWith('<svg')).toBe(true);
    expect(svg).toContain('>a</text>');
    expect(svg).toContain('>b</text>');
    const heights = [...svg.matchAll(/<rect x="[\d.]+" y="[\d.]+" width="[\d.]+" height="([\d.]+)" fill="#/g)].map((m) => Number(m[1]));
    // a: 3 of 4 in the first bin (the peak, full height), 1 in the second (a third of it); b: all in the second.
    expect(heights).toEqual([heights[0], heights[0] / 3, 0, heights[0]].map((h) => Number(h.toFixed(1))));
    expect(() => plotHistograms({})).toThrow(/plotHistograms: give at least one named array/);
    expect(() => plotHistograms({ a: [Number.NaN] })).toThrow(/'a' has no finite values/);
  });
});
