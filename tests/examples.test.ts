import { execFile } from 'node:child_process';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
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

  it('the augmentation comparison (short setting) trains both runs at the same budget and plots both validation curves in one SVG', async () => {
    const { stdout } = await run('node', ['examples/augment.mjs', '--short'], { cwd: root, env: { ...process.env, FORCE_COLOR: '0' } });
    for (const label of ['without augmentation', 'with augmentation']) {
      const curve = new RegExp(`^${label}: validation accuracy ([\\d. →]+);`, 'm').exec(stdout)?.[1] ?? '';
      const values = curve.split(' → ').map(Number);
      expect(values, label).toHaveLength(4);
      expect(Math.max(...values), label).toBeGreaterThan(0.3); // well above chance (0.1) for 10 classes
    }
    const svg = readFileSync(join(root, 'out', 'augment-short.svg'), 'utf8');
    expect(svg).toContain('no augmentation');
    expect(svg).toContain('>augmentation<');
    expect(svg.match(/<polyline/g)).toHaveLength(4);
  }, 120_000);

  it('the manual PyTorch-style loop learns the digits', async () => {
    const { stdout } = await run('node', ['examples/manual-loop.mjs'], { cwd: root });
    expect(Number(/test accuracy (\d+\.\d+)%/.exec(stdout)?.[1])).toBeGreaterThan(90);
  }, 120_000);

  it('the names Transformer trains (short setting) and samples names with temperature, top-k and top-p through its key/value cache; its ONNX export with a dynamic sequence reloads with the same logits', async () => {
    const { stdout } = await run('node', ['examples/names-transformer.mjs', '--steps', '30'], { cwd: root });
    const [, first, last] = /loss (\d+\.\d+) → (\d+\.\d+)/.exec(stdout) ?? [];
    expect(Number(last)).toBeLessThan(Number(first) - 0.5);
    for (const setting of ['{"temperature":1}', '{"temperature":0.8,"topK":5}', '{"temperature":1,"topP":0.9}']) {
      const line = stdout.split('\n').find((l) => l.startsWith(`${setting}: `));
      expect(line?.slice(setting.length + 2).split(', ')).toHaveLength(8);
    }
    expect(stdout).toMatch(/sampling: \d+ tokens\/s \(batch 1, key\/value cache\)/);
    const [, namesOnnx] = /ONNX: \d+ KB, dynamic batch and sequence; onnx.load's logits at 1 × 3 match within (\S+)/.exec(stdout) ?? [];
    expect(Number(namesOnnx)).toBeLessThan(1e-4);
  }, 120_000);

  it('the text GPT (short setting) learns BPE tokens of the addresses: loss falls, held-out perplexity finite and below uniform, reload identical, ONNX export with a dynamic sequence reloads with the same logits', async () => {
    const args = ['--steps', '30', '--from', '2015', '--vocab', '320', '--dmodel', '48', '--layers', '2', '--eval', '4'];
    const { stdout } = await run('node', ['examples/text-gpt.mjs', ...args], { cwd: root });
    expect(stdout).toMatch(/BPE vocabulary 320 trained/);
    const [, first, last] = /training loss (\d+\.\d+) → (\d+\.\d+)/.exec(stdout) ?? [];
    expect(Number(last)).toBeLessThan(Number(first) - 0.3);
    const [, before] = /before training: validation loss \d+\.\d+, perplexity (\d+\.\d+)/.exec(stdout) ?? [];
    const [, perplexity, uniform] = /validation loss \d+\.\d+, perplexity (\d+\.\d+) over 4096 held-out tokens \(uniform: (\d+)\)/.exec(stdout) ?? [];
    expect(Number(uniform)).toBe(320);
    expect(Number(perplexity)).toBeGreaterThan(1);
    expect(Number(perplexity)).toBeLessThan(0.6 * Number(uniform));
    expect(Number(perplexity)).toBeLessThan(Number(before));
    expect(stdout.split('\n').filter((l) => l.startsWith('sample: "'))).toHaveLength(3);
    expect(stdout).toContain('"The state of the Union is');
    expect(stdout).toMatch(new RegExp(`reloaded from safetensors: logits identical, tokenizer identical, validation perplexity ${perplexity}\\n`));
    const [, gptOnnx] = /ONNX: \d+ KB, dynamic batch and sequence; onnx.load's logits at 1 × \d+ and 3 × 61 match within (\S+)/.exec(stdout) ?? [];
    expect(Number(gptOnnx)).toBeLessThan(1e-4);
  }, 120_000);

  it('the spam classifiers (short setting): LSTM and Transformer each learn and print a ham/spam classification report on the held-out split', async () => {
    const args = ['--limit', '400', '--epochs', '3', '--maxlen', '32', '--vocab', '512'];
    const { stdout } = await run('node', ['examples/spam-classifier.mjs', ...args], { cwd: root });
    expect(stdout).toMatch(/^400 messages: 320 for training \(\d+\.\d% spam\), 80 held out/);
    for (const name of ['LSTM', 'Transformer']) {
      const losses = (new RegExp(`${name} \\(\\d+ parameters\\): 3 epochs in .*training loss ([\\d. →]+),`).exec(stdout)?.[1] ?? '').split(' → ').map(Number);
      expect(losses).toHaveLength(3);
      expect(losses[2]).toBeLessThan(losses[0]);
      const report = stdout
        .split(`${name} on the held-out messages:\n`)[1]
        .split('\n')
        .slice(0, 9)
        .filter((l) => l.trim() !== '');
      expect(report[0]).toMatch(/^ +precision +recall +f1-score +support$/);
      const rows = Object.fromEntries(
        report.slice(1).map((l) => [
          l.trim().split(/ {2,}/)[0],
          l
            .trim()
            .split(/ +/)
            .filter((w) => /^\d/.test(w))
            .map(Number),
        ]),
      );
      expect(Object.keys(rows)).toEqual(['ham', 'spam', 'accuracy', 'macro avg', 'weighted avg']);
      expect(rows.ham).toHaveLength(4);
      expect(rows.ham[3] + rows.spam[3]).toBe(80);
      expect(rows.accuracy).toEqual([expect.any(Number), 80]);
      expect(rows.accuracy[0]).toBeGreaterThan(0.7);
      const [, f1] = new RegExp(`${name}: spam F1 (\\d\\.\\d+)`).exec(stdout) ?? [];
      expect(Number(f1)).toBeCloseTo(rows.spam[2], 3);
    }
  }, 120_000);

  it('the BERT example (short setting): masked-LM pretraining learns, then the fine-tuned and from-scratch classifiers train on the same labels and report held-out accuracy', async () => {
    const args = ['--limit', '300', '--pretrain', '3', '--labelled', '64', '--epochs', '2', '--maxlen', '24', '--vocab', '384'];
    const { stdout } = await run('node', ['examples/bert-finetune.mjs', ...args], { cwd: root });
    expect(stdout).toMatch(/^240 training bodies for pretraining \(labels unused\), 64 of them labelled for fine-tuning, 60 held out; BPE vocabulary 384/);
    const [, curve, uniform] = /MLM loss ([\d. →]+) \(uniform: (\d+\.\d+)\)/.exec(stdout) ?? [];
    const mlm = curve.split(' → ').map(Number);
    expect(mlm).toHaveLength(3);
    expect(Number(uniform)).toBeCloseTo(Math.log(384), 3);
    expect(mlm[2]).toBeLessThan(mlm[0] - 0.3);
    expect(mlm[2]).toBeLessThan(Number(uniform) - 0.5);
    const accuracies = ['fine-tuned', 'from scratch'].map((name) => {
      const line = stdout.split('\n').find((l) => l.startsWith(`${name}: 2 epochs on 64 labelled messages`)) ?? '';
      expect(line).toMatch(/training loss \d\.\d+ → \d\.\d+; held-out accuracy/);
      const accuracy = Number(/held-out accuracy (\d\.\d+)/.exec(line)?.[1]);
      // 60 held-out messages: accuracy is a multiple of 1/60, and at least the majority class's share.
      expect(Math.abs(accuracy * 60 - Math.round(accuracy * 60))).toBeLessThan(0.03);
      expect(accuracy).toBeGreaterThan(0.5);
      return accuracy.toFixed(3);
    });
    expect(stdout).toContain(`held-out accuracy: fine-tuned ${accuracies[0]} vs from scratch ${accuracies[1]}`);
  }, 120_000);

  it('the PyTorch-trained digits CNN loads through safetensors and through ONNX with PyTorch logits, then fine-tunes in Tessera', async () => {
    const { stdout } = await run('node', ['examples/from-pytorch.mjs', '--epochs', '2'], { cwd: root });
    expect(stdout).toContain('bn1.running_var, bn1.num_batches_tracked');
    const torchAccuracy = Number(/PyTorch's own test accuracy: (\d+\.\d+)%/.exec(stdout)?.[1]);
    for (const name of ['safetensors → nn.Module', 'ONNX → onnx.load']) {
      const row = stdout.split('\n').find((l) => l.startsWith(`| ${name}`)) ?? '';
      const [diff, loaded, tuned] = row.split('|').slice(2, 5).map(Number);
      expect(diff, name).toBeLessThan(1e-4);
      expect(loaded, name).toBe(torchAccuracy);
      expect(tuned, name).toBeGreaterThan(loaded);
    }
  }, 120_000);

  /** The rows of the Markdown table whose header starts with `| first`: cells by column name. */
  function tableRows(stdout: string, first: string): Record<string, string>[] {
    const lines = stdout.split('\n');
    const start = lines.findIndex((l) => l.startsWith(`| ${first} `));
    const cells = (l: string) =>
      l
        .split('|')
        .slice(1, -1)
        .map((c) => c.trim());
    const header = cells(lines[start]);
    const rows: Record<string, string>[] = [];
    for (let i = start + 2; lines[i]?.startsWith('|'); i++) rows.push(Object.fromEntries(cells(lines[i]).map((c, j) => [header[j], c])));
    return rows;
  }

  it('the transfer-learning comparison (smoke setting): frozen backbone, fine-tuning with two parameter groups or one lr, and from scratch in one table', async () => {
    const { stdout } = await run('node', ['examples/transfer.mjs', '--smoke'], { cwd: root });
    expect(stdout).toMatch(/pretrained on \d+ images of classes 0–4/);
    const rows = tableRows(stdout, 'method');
    expect(rows.map((r) => r.method)).toEqual([
      'frozen backbone + new head',
      'full fine-tuning (backbone lr ÷10)',
      'full fine-tuning (one lr)',
      'from scratch',
    ]);
    const trainable = rows.map((r) => Number(r['trainable parameters'].replace(/,/g, '')));
    expect(trainable[0]).toBe(128 * 5 + 5); // only the new head
    expect(new Set(trainable.slice(1)).size).toBe(1);
    for (const r of rows) {
      const mean = Number(r['test accuracy % (mean ± sd)'].split(' ± ')[0]);
      expect(mean).toBeGreaterThan(20); // at least chance for 5 classes
      expect(mean).toBeLessThanOrEqual(100);
    }
  }, 180_000);

  it('the distillation comparison (smoke setting): teacher, student alone and distilled students at two temperatures, the student a quarter the size', async () => {
    const { stdout } = await run('node', ['examples/distill.mjs', '--smoke'], { cwd: root });
    const rows = tableRows(stdout, 'model');
    expect(rows.map((r) => r.model)).toEqual(['teacher', 'student alone (labels only)', 'student distilled, T = 1', 'student distilled, T = 4']);
    const params = rows.map((r) => Number(r.parameters.replace(/,/g, '')));
    expect(params[1] / params[0]).toBeGreaterThan(0.2);
    expect(params[1] / params[0]).toBeLessThan(0.3);
    for (const r of rows) expect(Number(r['test accuracy %'])).toBeGreaterThan(10);
  }, 180_000);

  it('the compression comparison (smoke setting): float32, 50% pruned, int8 and the distilled student in one table and one SVG', async () => {
    const { stdout } = await run('node', ['examples/compress.mjs', '--smoke'], { cwd: root });
    expect(stdout).toMatch(/pruning: 50\.0% of the conv\/Linear weights are zero/);
    const rows = tableRows(stdout, 'model');
    expect(rows.map((r) => r.model)).toEqual(['float32', '50% pruned', 'int8 (static)', 'distilled student']);
    const size = Object.fromEntries(rows.map((r) => [r.model, Number(r['size % of float32'])]));
    expect(size['50% pruned']).toBe(100); // dense safetensors: pruning saves only after compression
    expect(size['int8 (static)']).toBeLessThan(30);
    expect(Number(rows[1]['gzip -9 KiB'])).toBeLessThan(0.7 * Number(rows[0]['gzip -9 KiB']));
    for (const r of rows) {
      expect(Number(r['batch-1 ms'])).toBeGreaterThan(0);
      expect(Number(r['batch-64 ms'])).toBeGreaterThan(0);
    }
    expect(stdout).toMatch(/digits: \d+\.\d+% → \d+\.\d+% \([+-]\d+\.\d+ points\) on 497 test images/);
    const svg = readFileSync(join(root, 'out', 'compress-smoke.svg'), 'utf8');
    expect(svg.match(/<rect /g)).toHaveLength(1 + 3 * 4);
    expect(svg).toContain('distilled student');
  }, 180_000);

  it('the Fashion-MNIST examples stop with the install hint when the data set is absent', async () => {
    for (const example of ['transfer', 'distill', 'compress']) {
      const { stdout } = await run('node', [`examples/${example}.mjs`, '/nonexistent/fashion-mnist', '--epochs', '1'], { cwd: root });
      expect(stdout.trim(), example).toBe('Fashion-MNIST not found in /nonexistent/fashion-mnist; install it with: sudo apt-get install dataset-fashion-mnist');
    }
  }, 60_000);
});
