import { execFile } from 'node:child_process';
import { promisify } from 'node:util';
import { describe, expect, it } from 'vitest';

const run = promisify(execFile);
const root = new URL('..', import.meta.url).pathname;

describe('examples run against the built package', () => {
  it('the main job trains the digits CNN to at least 97% test accuracy and reloads it identically', async () => {
    const { stdout } = await run('node', ['examples/digits-cnn.mjs'], { cwd: root, env: { ...process.env, FORCE_COLOR: '0' } });
    const accuracy = Number(/test accuracy (\d+\.\d+)%/.exec(stdout)?.[1]);
    expect(accuracy).toBeGreaterThanOrEqual(97);
    expect(stdout).toMatch(/Epoch 12\/12 .* valAccuracy 0\.9\d+/);
    expect(stdout).toMatch(/ {4}accuracy {26}0\.9\d\d {7}269/);
    expect(stdout).toContain("predictions identical to the trained model's");
  }, 120_000);

  it('the manual PyTorch-style loop learns the digits', async () => {
    const { stdout } = await run('node', ['examples/manual-loop.mjs'], { cwd: root });
    expect(Number(/test accuracy (\d+\.\d+)%/.exec(stdout)?.[1])).toBeGreaterThan(90);
  }, 120_000);

  it('the names Transformer trains (short setting) and samples names with temperature, top-k and top-p through its key/value cache', async () => {
    const { stdout } = await run('node', ['examples/names-transformer.mjs', '--steps', '30'], { cwd: root });
    const [, first, last] = /loss (\d+\.\d+) → (\d+\.\d+)/.exec(stdout) ?? [];
    expect(Number(last)).toBeLessThan(Number(first) - 0.5);
    for (const setting of ['{"temperature":1}', '{"temperature":0.8,"topK":5}', '{"temperature":1,"topP":0.9}']) {
      const line = stdout.split('\n').find((l) => l.startsWith(`${setting}: `));
      expect(line?.slice(setting.length + 2).split(', ')).toHaveLength(8);
    }
    expect(stdout).toMatch(/sampling: \d+ tokens\/s \(batch 1, key\/value cache\)/);
  }, 120_000);
});
