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
