import { createHash } from 'node:crypto';
import { mkdtempSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { gunzipSync, gzipSync } from 'node:zlib';
import { afterAll, describe, expect, it, vi } from 'vitest';
import * as T from '../src/index.js';
import { Generator, arange, cat, data, manualSeed, randn, tensor, type Tensor } from '../src/index.js';
import { measureLoop } from './browser/memory-loop.js';

const { DataLoader, TensorDataset, Dataset, Subset, randomSplit, defaultCollate, Compose, Normalize, RandomCrop, RandomHorizontalFlip } = data;
const tmp = mkdtempSync(join(tmpdir(), 'tessera-data-'));
afterAll(() => rmSync(tmp, { recursive: true, force: true }));

/** Samples are [i, i * 10] as numbers: the simplest dataset to read batches of. */
class Numbers extends Dataset<[number, number]> {
  constructor(readonly length: number) {
    super();
  }
  getItem(i: number): [number, number] {
    return [i, i * 10];
  }
}

const firstColumn = (batches: Iterable<[Tensor, Tensor]>) => Array.from(batches, ([a]) => a.tolist() as number[]);

describe('DataLoader', () => {
  it('batches in order, keeping or dropping the short last batch', () => {
    const ds = new Numbers(10);
    const loader = new DataLoader(ds, { batchSize: 3 });
    expect(loader.length).toBe(4);
    expect(firstColumn(loader)).toEqual([[0, 1, 2], [3, 4, 5], [6, 7, 8], [9]]);
    const dropping = new DataLoader(ds, { batchSize: 3, dropLast: true });
    expect(dropping.length).toBe(3);
    expect(firstColumn(dropping)).toEqual([
      [0, 1, 2],
      [3, 4, 5],
      [6, 7, 8],
    ]);
    expect(new DataLoader(ds).length).toBe(10);
  });

  it('shuffles every pass with the global generator: the same seed gives the same order', () => {
    const loader = new DataLoader(new Numbers(20), { batchSize: 20, shuffle: true });
    manualSeed(7);
    const [first] = firstColumn(loader);
    const [second] = firstColumn(loader);
    manualSeed(7);
    const [again] = firstColumn(loader);
    expect(again).toEqual(first);
    expect(second).not.toEqual(first);
    expect([...first].sort((a, b) => a - b)).toEqual(Array.from({ length: 20 }, (_, i) => i));
  });

  it('shuffles with its own generator, independent of the global one', () => {
    const order = (seed: number, globalSeed: number) => {
      manualSeed(globalSeed);
      return firstColumn(new DataLoader(new Numbers(12), { batchSize: 12, shuffle: true, generator: new Generator(seed) }))[0];
    };
    expect(order(3, 1)).toEqual(order(3, 2));
    expect(order(3, 1)).not.toEqual(order(4, 1));
  });

  it('collates tuples of tensors and numbers like default_collate (ints to int32, floats to float32)', () => {
    const samples = [
      [tensor([1, 2]), 0, 0.5, 'a', true],
      [tensor([3, 4]), 1, 1.5, 'b', false],
    ] as const;
    const [x, y, w, names, flags] = defaultCollate(samples.map((s) => [...s]) as [Tensor, number, number, string, boolean][]);
    expect(x.tolist()).toEqual([
      [1, 2],
      [3, 4],
    ]);
    expect([y.dtype, y.tolist()]).toEqual(['int32', [0, 1]]);
    expect([w.dtype, w.tolist()]).toEqual(['float32', [0.5, 1.5]]);
    expect(names).toEqual(['a', 'b']);
    expect([flags.dtype, flags.tolist()]).toEqual(['bool', [true, false]]);
  });

  it('collates objects key by key and typed arrays into rows', () => {
    const batch = defaultCollate([
      { pixels: new Uint8Array([1, 2, 3]), label: 4 },
      { pixels: new Uint8Array([5, 6, 7]), label: 8 },
    ]);
    expect(batch.pixels.tolist()).toEqual([
      [1, 2, 3],
      [5, 6, 7],
    ]);
    expect(batch.label.tolist()).toEqual([4, 8]);
  });

  it('explains a batch it cannot stack', () => {
    expect(() => defaultCollate([tensor([1, 2]), tensor([1, 2, 3])])).toThrow(/cannot stack batch: sample 0 has shape \[2\] but sample 1 has \[3\]/);
    expect(() => defaultCollate([{ a: 1 }, { b: 2 }])).toThrow(/sample 1 has no key 'a'/);
    expect(() => defaultCollate([null])).toThrow(/cannot batch batch of type null; pass a custom collate/);
  });

  it('uses a custom collate when given', () => {
    const loader = new DataLoader(new Numbers(5), { batchSize: 2, collate: (s) => s.map(([i]) => i).join('+') });
    expect([...loader]).toEqual(['0+1', '2+3', '4']);
  });

  it('is async-iterable with the same batches', async () => {
    const loader = new DataLoader(new Numbers(5), { batchSize: 2 });
    const seen: number[][] = [];
    for await (const [a] of loader) seen.push(a.tolist() as number[]);
    expect(seen).toEqual([[0, 1], [2, 3], [4]]);
  });

  it('gathers a TensorDataset batch with one indexSelect per tensor, never sample by sample', () => {
    const x = arange(0, 24).reshape(8, 3);
    const y = arange(100, 108);
    const ds = new TensorDataset(x, y);
    const getItem = vi.spyOn(ds, 'getItem');
    const indexSelect = vi.spyOn(x, 'indexSelect');
    manualSeed(0);
    const batches: [number[][], number[]][] = [];
    for (const [xb, yb] of new DataLoader(ds, { batchSize: 4, shuffle: true })) batches.push([xb.tolist() as number[][], yb.tolist() as number[]]);
    expect(getItem).not.toHaveBeenCalled();
    expect(indexSelect).toHaveBeenCalledTimes(2);
    for (const [xs, ys] of batches) xs.forEach((row, k) => expect(row).toEqual([0, 1, 2].map((j) => (ys[k] - 100) * 3 + j)));
    expect(batches.flatMap(([, ys]) => ys).sort()).toEqual([100, 101, 102, 103, 104, 105, 106, 107]);
  });

  it('keeps every batch a loop holds intact, as PyTorch does (held batches passed to cat later)', () => {
    const ds = new TensorDataset(randn([6, 2]), arange(0, 6));
    const seen: Tensor[][] = [];
    for (const batch of new DataLoader(ds, { batchSize: 2 })) seen.push(batch);
    // Enough allocation in between to run reclaim passes over the held batches.
    for (let i = 0; i < 200; i++) randn([64, 64]).mul(2);
    expect(cat(seen.map(([xb]) => xb)).tolist()).toEqual(ds.tensors[0].tolist());
    expect(cat(seen.map(([, yb]) => yb)).tolist()).toEqual([0, 1, 2, 3, 4, 5]);
  });

  it('never releases tensors a custom collate hands back from the dataset', () => {
    const owned = tensor([1, 2, 3]);
    const loader = new DataLoader(new Numbers(4), { batchSize: 1, collate: () => owned });
    expect([...loader].length).toBe(4);
    expect(owned.tolist()).toEqual([1, 2, 3]);
  });

  it('keeps memory bounded over many epochs of a plain loop (batched and sample-by-sample datasets)', () => {
    const tensors = new DataLoader(new TensorDataset(randn([64, 4]), arange(0, 64)), { batchSize: 8, shuffle: true });
    const samples = new DataLoader(new Numbers(64), { batchSize: 8, shuffle: true });
    const sums: number[] = [];
    // One step is an epoch of each loader: 16 batches, dropped as the loop moves on.
    const m = measureLoop(T, 500, () => {
      for (const [xb, yb] of tensors) sums.push(xb.shape[0] + yb.shape[0]);
      for (const [a, b] of samples) sums.push(a.shape[0] + b.shape[0]);
    });
    expect(sums.length).toBe(8000);
    expect(m.lateBytes).toBeLessThanOrEqual(2 * m.earlyBytes);
    expect(m.lateTensors).toBeLessThanOrEqual(2 * m.earlyTensors);
    expect(m.wasmBytes).toBe(m.wasmAfterEarly);
  });

  it('rejects a batch size that is not a positive integer', () => {
    expect(() => new DataLoader(new Numbers(3), { batchSize: 0 })).toThrow(/batchSize must be an integer ≥ 1 \(got 0\)/);
  });
});

describe('TensorDataset, Subset and randomSplit', () => {
  it('TensorDataset returns the i-th slice of each tensor and checks the first dims agree', () => {
    const ds = new TensorDataset(arange(0, 6).reshape(3, 2), tensor([7, 8, 9]));
    expect(ds.length).toBe(3);
    expect(ds.getItem(1).map((t) => t.tolist())).toEqual([[2, 3], 8]);
    expect(() => ds.getItem(3)).toThrow(/index 3 is out of range for a dataset of 3 samples/);
    expect(() => new TensorDataset(randn([3, 2]), randn([4]))).toThrow(/tensor 0 has 3 samples \(shape \[3, 2\]\) but tensor 1 has 4 \(shape \[4\]\)/);
  });

  it('TensorDataset gathers batches from views (offset, non-contiguous) correctly', () => {
    const base = arange(0, 30).reshape(10, 3);
    const ds = new TensorDataset(base.slice(0, 2, 8), base.t().contiguous().t().slice(0, 4, 10));
    const [offsetRows, stridedRows] = ds.getBatch([3, 0]);
    expect(offsetRows.tolist()).toEqual([
      [15, 16, 17],
      [6, 7, 8],
    ]);
    expect(stridedRows.tolist()).toEqual([
      [21, 22, 23],
      [12, 13, 14],
    ]);
  });

  it('Subset picks samples by index and keeps the batched fast path', () => {
    const ds = new TensorDataset(tensor([10, 11, 12, 13]));
    const sub = new Subset(ds, [3, 1]);
    expect(sub.length).toBe(2);
    expect(sub.getItem(0)[0].item()).toBe(13);
    expect(sub.getBatch!([1, 0])[0].tolist()).toEqual([11, 13]);
  });

  it('randomSplit splits by lengths into disjoint subsets covering the dataset', () => {
    const parts = randomSplit(new Numbers(10), [3, 7], new Generator(1));
    expect(parts.map((p) => p.length)).toEqual([3, 7]);
    expect(parts.flatMap((p) => [...p.indices]).sort((a, b) => a - b)).toEqual(Array.from({ length: 10 }, (_, i) => i));
    expect(randomSplit(new Numbers(10), [3, 7], new Generator(1))[0].indices).toEqual(parts[0].indices);
  });

  it('randomSplit takes fractions, giving the remainder round-robin to the first subsets (as PyTorch)', () => {
    expect(randomSplit(new Numbers(10), [0.3, 0.3, 0.4]).map((p) => p.length)).toEqual([3, 3, 4]);
    expect(randomSplit(new Numbers(5), [0.5, 0.5]).map((p) => p.length)).toEqual([3, 2]);
    // torch.utils.data.random_split(range(1797), [0.8, 0.1, 0.1]) gives these lengths too.
    expect(randomSplit(new Numbers(1797), [0.8, 0.1, 0.1]).map((p) => p.length)).toEqual([1438, 180, 179]);
  });

  it('randomSplit rejects lengths that do not add up', () => {
    expect(() => randomSplit(new Numbers(10), [3, 3])).toThrow(/the lengths \[3, 3\] sum to 6, but the dataset has 10 samples/);
    expect(() => randomSplit(new Numbers(10), [1.5, -0.5])).toThrow(/fraction at index 0 is 1.5/);
  });
});

describe('transforms', () => {
  const image = () => arange(0, 12).float().reshape(1, 3, 4); // one channel, 3 rows, 4 columns

  it('Normalize subtracts the mean and divides by the std of each channel', () => {
    const x = tensor([[[1, 3]], [[2, 6]]]); // [2, 1, 2]
    expect(new Normalize([1, 2], [2, 4]).forward(x).tolist()).toEqual([[[0, 1]], [[0, 1]]]);
    const batch = new Normalize([1, 2], [2, 4]).forward(x.unsqueeze(0));
    expect(batch.shape).toEqual([1, 2, 1, 2]);
    expect(() => new Normalize([1, 2, 3], [1, 1, 1]).forward(x)).toThrow(/mean has 3 values but the input \[2, 1, 2\] has 2 channels/);
  });

  it('RandomHorizontalFlip mirrors with probability p, independently per image of a batch', () => {
    expect(new RandomHorizontalFlip(1).forward(image()).tolist()).toEqual([
      [
        [3, 2, 1, 0],
        [7, 6, 5, 4],
        [11, 10, 9, 8],
      ],
    ]);
    expect(new RandomHorizontalFlip(0).forward(image()).tolist()).toEqual(image().tolist());
    manualSeed(3);
    const batch = new RandomHorizontalFlip(0.5).forward(image().unsqueeze(0).expand(200, 1, 3, 4).contiguous());
    const flipped = (batch.tolist() as number[][][][]).filter((img) => img[0][0][0] === 3).length;
    expect(flipped).toBeGreaterThan(70);
    expect(flipped).toBeLessThan(130);
  });

  it('RandomCrop with padding returns a shifted window of the zero-padded image', () => {
    manualSeed(5);
    const x = image();
    const shifts = new Set<string>();
    for (let trial = 0; trial < 60; trial++) {
      const out = new RandomCrop([3, 4], { padding: 1 }).forward(x).tolist() as number[][][];
      // Find the shift (di, dj) in {-1, 0, 1}² this crop corresponds to.
      const match = [-1, 0, 1]
        .flatMap((di) => [-1, 0, 1].map((dj) => [di, dj]))
        .find(([di, dj]) =>
          out[0].every((row, i) =>
            row.every((v, j) => {
              const si = i + di,
                sj = j + dj;
              return v === (si >= 0 && si < 3 && sj >= 0 && sj < 4 ? si * 4 + sj : 0);
            }),
          ),
        );
      expect(match).toBeDefined();
      shifts.add(String(match));
    }
    expect(shifts.size).toBe(9);
  });

  it('RandomCrop is reproducible from the seed and crops each image of a batch on its own', () => {
    const batch = image().unsqueeze(0).expand(16, 1, 3, 4).contiguous();
    const crop = new RandomCrop(2, { padding: [0, 1] });
    manualSeed(11);
    const a = crop.forward(batch).tolist();
    manualSeed(11);
    expect(crop.forward(batch).tolist()).toEqual(a);
    expect(new Set((a as number[][][][]).map((img) => JSON.stringify(img))).size).toBeGreaterThan(1);
    expect(() => new RandomCrop(9).forward(image())).toThrow(/crop \[9, 9\] is larger than the padded image \[3, 4\]/);
  });

  it('Compose applies transforms and plain functions in order', () => {
    const t = new Compose([new RandomHorizontalFlip(1), (x: Tensor) => x.mul(2), new Normalize(1, 2)]);
    expect(t.forward(tensor([[[1, 2]]])).tolist()).toEqual([[[1.5, 0.5]]]);
  });
});

/** An IDX file: magic [0, 0, type, ndim], big-endian dims, then the big-endian elements. */
function idx(type: number, shape: number[], values: number[], size: number): Uint8Array {
  const bytes = new Uint8Array(4 + 4 * shape.length + values.length * size);
  const view = new DataView(bytes.buffer);
  bytes.set([0, 0, type, shape.length]);
  shape.forEach((s, d) => view.setUint32(4 + 4 * d, s, false));
  const at = 4 + 4 * shape.length;
  values.forEach((v, i) => {
    if (type === 0x08) view.setUint8(at + i, v);
    else if (type === 0x0b) view.setInt16(at + 2 * i, v, false);
    else if (type === 0x0d) view.setFloat32(at + 4 * i, v, false);
  });
  return bytes;
}

describe('IDX files', () => {
  const pixels = Array.from({ length: 3 * 2 * 4 }, (_, i) => (i * 11) % 256);
  const images = idx(0x08, [3, 2, 4], pixels, 1);
  const labels = idx(0x08, [3], [7, 0, 9], 1);

  it('parses uint8 images and labels', () => {
    const parsed = data.parseIdx(images);
    expect(parsed.shape).toEqual([3, 2, 4]);
    expect(parsed.type).toBe('uint8');
    expect(Array.from(parsed.data)).toEqual(pixels);
  });

  it('parses big-endian int16 and float32 elements', () => {
    expect(Array.from(data.parseIdx(idx(0x0b, [3], [-2, 300, 7], 2)).data)).toEqual([-2, 300, 7]);
    expect(Array.from(data.parseIdx(idx(0x0d, [2], [1.5, -0.25], 4)).data)).toEqual([1.5, -0.25]);
  });

  it('reads gzipped and plain files from paths and from bytes', async () => {
    writeFileSync(join(tmp, 'images-idx3-ubyte.gz'), gzipSync(images));
    writeFileSync(join(tmp, 'labels-idx1-ubyte'), labels);
    expect((await data.readIdx(join(tmp, 'images-idx3-ubyte.gz'))).shape).toEqual([3, 2, 4]);
    expect(Array.from((await data.readIdx(gzipSync(labels))).data)).toEqual([7, 0, 9]);
    const ds = await data.readIdxDataset(join(tmp, 'images-idx3-ubyte.gz'), join(tmp, 'labels-idx1-ubyte'));
    expect(ds.images.shape).toEqual([3, 1, 2, 4]);
    expect(ds.images.dtype).toBe('float32');
    expect(Array.from(ds.images.toArray())).toEqual(pixels.map((p) => Math.fround(p / 255)));
    expect([ds.labels.dtype, ds.labels.tolist()]).toEqual(['int32', [7, 0, 9]]);
  });

  it('rejects malformed files with a message naming the problem', async () => {
    expect(() => data.parseIdx(new Uint8Array([0, 0]))).toThrow(/parseIdx: bytes: byte 2: the file ends inside its 4-byte header/);
    expect(() => data.parseIdx(new Uint8Array([1, 0, 8, 1, 0, 0, 0, 0]))).toThrow(
      /byte 0: not an IDX file: the magic number must start with two zero bytes, got 0x01 0x00/,
    );
    expect(() => data.parseIdx(gzipSync(labels))).toThrow(/this is gzip data: use readIdx/);
    expect(() => data.parseIdx(new Uint8Array([0, 0, 7, 1, 0, 0, 0, 0]))).toThrow(/byte 2: unknown element type 0x07/);
    expect(() => data.parseIdx(new Uint8Array([0, 0, 8, 3, 0, 0, 0, 1]))).toThrow(/byte 8: the file ends inside its 16-byte header/);
    expect(() => data.parseIdx(images.subarray(0, images.length - 1))).toThrow(
      /byte 39: shape \[3, 2, 4\] of uint8 needs 24 data bytes after the 16-byte header \(40 in all\) but the file has 39/,
    );
    const gz = gzipSync(images);
    await expect(data.readIdx(gz.subarray(0, gz.length - 12))).rejects.toThrow(/gzip data is corrupt or truncated/);
    await expect(data.readIdxDataset(images, idx(0x08, [2], [1, 2], 1))).rejects.toThrow(/3 images but 2 labels/);
  });

  it('names the file and byte offset, and refuses sizes beyond a tensor before reading the data', async () => {
    const path = join(tmp, 'short-idx1-ubyte');
    writeFileSync(path, labels.subarray(0, labels.length - 1));
    await expect(data.readIdx(path)).rejects.toThrow(`parseIdx: ${path}: byte 10: shape [3] of uint8 needs 3 data bytes`);
    const huge = new Uint8Array([0, 0, 0x08, 2, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff, 0xff]);
    expect(() => data.parseIdx(huge)).toThrow(/byte 4: the header declares shape \[4294967295, 4294967295\]: .* more than the 2147483647 a tensor can hold/);
  });

  it('stops inflating a gzipped file once it passes the length its header declares', async () => {
    // A one-element header followed by 64 MiB of zeros: 64 KiB gzipped.
    const bomb = new Uint8Array(9 + 64 * 2 ** 20);
    bomb.set([0, 0, 0x08, 1, 0, 0, 0, 1]);
    const gz = gzipSync(bomb);
    expect(gz.length).toBeLessThan(2 ** 17);
    const before = process.memoryUsage().arrayBuffers;
    await expect(data.readIdx(gz)).rejects.toThrow(
      /readIdx: bytes \(inflated\): byte 9: the data runs past the 9 bytes its header declares \(shape \[1\] of uint8\)/,
    );
    // Inflation stopped within the first chunks, not after 64 MiB.
    expect(process.memoryUsage().arrayBuffers - before).toBeLessThan(16 * 2 ** 20);
    const bad = gzipSync(new Uint8Array([0, 0, 0x07, 1, 0, 0, 0, 1, 5]));
    await expect(data.readIdx(bad)).rejects.toThrow(/readIdx: bytes \(inflated\): byte 2: unknown element type 0x07/);
  });
});

describe('bundled data sets', () => {
  it('loadDigits gives 1,797 8×8 images scaled by 1/16 and their labels', () => {
    const digits = data.loadDigits();
    expect(digits.images.shape).toEqual([1797, 1, 8, 8]);
    expect(digits.images.dtype).toBe('float32');
    expect(digits.labels.shape).toEqual([1797]);
    expect(digits.labels.dtype).toBe('int32');
    // The first row of scikit-learn's digits.csv.gz, a zero.
    expect(Array.from(digits.pixels.subarray(0, 16))).toEqual([0, 0, 5, 13, 9, 1, 0, 0, 0, 0, 13, 15, 10, 15, 5, 0]);
    expect(digits.images.select(0, 0).select(0, 0).select(0, 0).select(0, 2).item()).toBe(5 / 16);
    expect(digits.images.max().item()).toBe(1);
    expect(digits.images.min().item()).toBe(0);
    const counts = new Array(10).fill(0);
    for (const label of digits.targets) counts[label]++;
    expect(counts).toEqual([178, 182, 177, 183, 181, 182, 181, 179, 174, 180]);
    expect(Array.from(digits.labels.toArray())).toEqual(Array.from(digits.targets));
  });

  it('loadNames gives the stdlib female and male first-name lists', () => {
    const { female, male } = data.loadNames();
    expect([female.length, male.length]).toEqual([4951, 3898]);
    expect([female[0], female.at(-1), male[0], male.at(-1)]).toEqual(['Aaren', 'Zuzana', 'Aaron', 'Zolly']);
    expect([...female, ...male].every((name) => /^[A-Za-z][A-Za-z' .-]*$/.test(name))).toBe(true);
  });

  // The modules hold the data re-encoded (scripts/vendor-data.mjs); decoding must give back the vendored files exactly,
  // and those must be the files whose sha256 the modules record.
  const source = (file: string) => readFileSync(new URL(`../data/${file}`, import.meta.url));
  const recordedSha = (module: string, file: string) =>
    new RegExp(`sha256 of data/${file}: ([0-9a-f]{64})`).exec(readFileSync(new URL(`../src/data/bundled/${module}`, import.meta.url), 'utf8'))?.[1];
  const sha256 = (bytes: Buffer) => createHash('sha256').update(bytes).digest('hex');

  it('loadDigits decodes to exactly the rows of data/digits.csv.gz, the file digits.ts was generated from', () => {
    const gz = source('digits.csv.gz');
    expect(sha256(gz)).toBe(recordedSha('digits.ts', 'digits.csv.gz'));
    const rows = gunzipSync(gz)
      .toString('utf8')
      .trim()
      .split('\n')
      .map((row) => row.split(',').map(Number));
    const { pixels, targets } = data.loadDigits();
    expect(Array.from(targets)).toEqual(rows.map((row) => row[64]));
    expect(Array.from(pixels)).toEqual(rows.flatMap((row) => row.slice(0, 64)));
  });

  it('loadNames decodes to exactly the lists in data/names/, the files names.ts was generated from', () => {
    const decoded = data.loadNames();
    for (const kind of ['female', 'male'] as const) {
      const bytes = source(`names/${kind}-first-names-en.txt`);
      expect(sha256(bytes)).toBe(recordedSha('names.ts', `names/${kind}-first-names-en.txt`));
      expect(decoded[kind]).toEqual(
        bytes
          .toString('utf8')
          .split('\n')
          .map((s) => s.trim())
          .filter((s) => s.length > 0),
      );
    }
  });
});
