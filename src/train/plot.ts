/**
 * plotHistory: a fit() history as a standalone SVG, one panel per quantity (loss, then each
 * metric), training and validation curves together, epochs on the x axis.
 */
import { options as checkOptions } from '../validate.js';
import type { History } from './fit.js';

/** Options of plotHistory. */
export interface PlotOptions {
  title?: string;
  /** Size of one panel in pixels (default 360×240). */
  panelWidth?: number;
  panelHeight?: number;
  /** Legend names of the two curves of each panel (default ['train', 'validation']), e.g. to compare two runs. */
  labels?: readonly [string, string];
}

const PLOT_KEYS = ['title', 'panelWidth', 'panelHeight', 'labels'];
const COLORS = { train: '#1f77b4', val: '#ff7f0e' };
const MARGIN = { left: 52, right: 14, top: 30, bottom: 40 };

function escapeXml(s: string): string {
  return s.replace(/[<>&"]/g, (c) => ({ '<': '&lt;', '>': '&gt;', '&': '&amp;', '"': '&quot;' })[c]!);
}

/** A standalone SVG document of the given size: white background, an optional title, then `body`. */
function svgDocument(width: number, height: number, title: string | undefined, body: string): string {
  const heading = title ? `<text x="${width / 2}" y="20" text-anchor="middle" font-size="15" font-weight="bold">${escapeXml(title)}</text>\n` : '';
  return `<svg xmlns="http://www.w3.org/2000/svg" width="${width}" height="${height}" viewBox="0 0 ${width} ${height}" font-family="sans-serif" font-size="11">
<rect width="100%" height="100%" fill="white"/>
${heading}${body}
</svg>
`;
}

/** About five round tick values covering [lo, hi]. */
function ticks(lo: number, hi: number): number[] {
  if (lo === hi) [lo, hi] = [lo - 0.5, hi + 0.5];
  const raw = (hi - lo) / 5;
  const mag = 10 ** Math.floor(Math.log10(raw));
  const step = [1, 2, 5, 10].map((m) => m * mag).find((s) => s >= raw)!;
  const out: number[] = [];
  for (let v = Math.ceil(lo / step) * step; v <= hi + step * 1e-9; v += step) out.push(Number(v.toPrecision(12)));
  return out;
}

function panel(
  name: string,
  train: number[] | undefined,
  val: number[] | undefined,
  x0: number,
  y0: number,
  w: number,
  h: number,
  labels: readonly [string, string],
): string {
  const series = [train, val].filter((s): s is number[] => !!s && s.length > 0);
  const values = series.flat().filter(Number.isFinite);
  const lo = Math.min(...values);
  const hi = Math.max(...values);
  const yt = ticks(lo, hi);
  const yMin = Math.min(lo, yt[0]);
  const yMax = Math.max(hi, yt[yt.length - 1]);
  const epochs = Math.max(...series.map((s) => s.length));
  const pw = w - MARGIN.left - MARGIN.right;
  const ph = h - MARGIN.top - MARGIN.bottom;
  const px = (i: number) => x0 + MARGIN.left + (epochs === 1 ? pw / 2 : (i / (epochs - 1)) * pw);
  const py = (v: number) => y0 + MARGIN.top + ph - ((v - yMin) / (yMax - yMin || 1)) * ph;
  const parts: string[] = [];
  parts.push(`<text x="${x0 + w / 2}" y="${y0 + 18}" text-anchor="middle" font-weight="bold">${escapeXml(name)}</text>`);
  parts.push(`<rect x="${x0 + MARGIN.left}" y="${y0 + MARGIN.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`);
  for (const v of yt) {
    const y = py(v).toFixed(1);
    parts.push(`<line x1="${x0 + MARGIN.left}" x2="${x0 + MARGIN.left + pw}" y1="${y}" y2="${y}" stroke="#eee"/>`);
    parts.push(`<text x="${x0 + MARGIN.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${Number(v.toPrecision(4))}</text>`);
  }
  const xt = ticks(1, epochs).filter((e) => Number.isInteger(e) && e >= 1 && e <= epochs);
  for (const e of xt) parts.push(`<text x="${px(e - 1).toFixed(1)}" y="${y0 + MARGIN.top + ph + 16}" text-anchor="middle">${e}</text>`);
  parts.push(`<text x="${x0 + MARGIN.left + pw / 2}" y="${y0 + h - 6}" text-anchor="middle">epoch</text>`);
  const line = (s: number[] | undefined, color: string, label: string, slot: number) => {
    if (!s || s.length === 0) return;
    const pts = s.map((v, i) => `${px(i).toFixed(1)},${py(v).toFixed(1)}`).join(' ');
    parts.push(`<polyline points="${pts}" fill="none" stroke="${color}" stroke-width="2"/>`);
    for (const p of pts.split(' ')) parts.push(`<circle cx="${p.split(',')[0]}" cy="${p.split(',')[1]}" r="2.5" fill="${color}"/>`);
    const lx = x0 + MARGIN.left + 8 + slot * 130;
    const ly = y0 + MARGIN.top + 12;
    parts.push(
      `<line x1="${lx}" x2="${lx + 16}" y1="${ly}" y2="${ly}" stroke="${color}" stroke-width="2"/><text x="${lx + 20}" y="${ly}" dominant-baseline="middle">${label}</text>`,
    );
  };
  line(train, COLORS.train, escapeXml(labels[0]), 0);
  line(val, COLORS.val, escapeXml(labels[1]), 1);
  return parts.join('\n');
}

/**
 * Renders a history as an SVG document (a string to write to a .svg file or put in a page).
 * @example await fs.writeFile('history.svg', plotHistory(history));
 */
export function plotHistory(history: History, options: PlotOptions = {}): string {
  checkOptions('plotHistory', options, PLOT_KEYS);
  const names = Object.keys(history).filter((k) => !k.startsWith('val'));
  for (const k of Object.keys(history)) {
    if (k.startsWith('val')) {
      const base = k[3].toLowerCase() + k.slice(4);
      if (!names.includes(base)) names.push(base);
    }
  }
  if (names.length === 0) throw new RangeError('plotHistory: the history has no values to plot');
  const w = options.panelWidth ?? 360;
  const h = options.panelHeight ?? 240;
  const top = options.title ? 28 : 0;
  const width = w * names.length;
  const height = h + top;
  const labels = options.labels ?? ['train', 'validation'];
  const body = names.map((name, i) => panel(name, history[name], history[`val${name[0].toUpperCase()}${name.slice(1)}`], i * w, top, w, h, labels));
  return svgDocument(width, height, options.title, body.join('\n'));
}

/**
 * Renders an lrFinder result as an SVG: smoothed loss against the learning rate on a log axis,
 * with the suggested rate marked.
 * @example await fs.writeFile('lr.svg', plotLrFinder(lrFinder(model, loader, { optimizer, loss })));
 */
export function plotLrFinder(result: { lrs: number[]; losses: number[]; suggestedLr: number }, options: PlotOptions = {}): string {
  checkOptions('plotLrFinder', options, PLOT_KEYS);
  const { lrs, losses, suggestedLr } = (result ?? {}) as Partial<typeof result>;
  if (!Array.isArray(lrs) || lrs.length === 0 || !Array.isArray(losses) || lrs.length !== losses.length || !lrs.every((v) => v > 0))
    throw new TypeError('plotLrFinder: expected an lrFinder result { lrs, losses, suggestedLr } with as many losses as positive learning rates (at least one)');
  const w = options.panelWidth ?? 480;
  const h = options.panelHeight ?? 300;
  const top = options.title ? 28 : 0;
  const finite = losses.filter(Number.isFinite);
  const yt = ticks(Math.min(...finite), Math.max(...finite));
  const [yMin, yMax] = [Math.min(yt[0], ...finite), Math.max(yt[yt.length - 1], ...finite)];
  const [lo, hi] = [Math.log10(lrs[0]), Math.log10(lrs[lrs.length - 1])];
  const pw = w - MARGIN.left - MARGIN.right;
  const ph = h - MARGIN.top - MARGIN.bottom;
  const px = (lr: number) => MARGIN.left + (hi === lo ? pw / 2 : ((Math.log10(lr) - lo) / (hi - lo)) * pw);
  const py = (v: number) => top + MARGIN.top + ph - ((v - yMin) / (yMax - yMin || 1)) * ph;
  const parts: string[] = [`<rect x="${MARGIN.left}" y="${top + MARGIN.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`];
  for (const v of yt) {
    const y = py(v).toFixed(1);
    parts.push(`<line x1="${MARGIN.left}" x2="${MARGIN.left + pw}" y1="${y}" y2="${y}" stroke="#eee"/>`);
    parts.push(`<text x="${MARGIN.left - 6}" y="${y}" text-anchor="end" dominant-baseline="middle">${Number(v.toPrecision(4))}</text>`);
  }
  for (let e = Math.ceil(lo); e <= Math.floor(hi); e++)
    parts.push(`<text x="${px(10 ** e).toFixed(1)}" y="${top + MARGIN.top + ph + 16}" text-anchor="middle">1e${e}</text>`);
  parts.push(`<text x="${MARGIN.left + pw / 2}" y="${top + h - 6}" text-anchor="middle">learning rate (log scale)</text>`);
  const pts = lrs.map((lr, i) => `${px(lr).toFixed(1)},${py(losses[i]).toFixed(1)}`).join(' ');
  parts.push(`<polyline points="${pts}" fill="none" stroke="${COLORS.train}" stroke-width="2"/>`);
  if (typeof suggestedLr === 'number' && Number.isFinite(suggestedLr)) {
    const x = px(suggestedLr).toFixed(1);
    parts.push(`<line x1="${x}" x2="${x}" y1="${top + MARGIN.top}" y2="${top + MARGIN.top + ph}" stroke="${COLORS.val}" stroke-dasharray="4 3"/>`);
    parts.push(`<text x="${x}" y="${top + MARGIN.top - 6}" text-anchor="middle" fill="${COLORS.val}">suggested ${Number(suggestedLr.toPrecision(3))}</text>`);
  }
  return svgDocument(w, h + top, options.title, parts.join('\n'));
}

/** Options of plotHistograms. */
export interface HistogramOptions extends PlotOptions {
  /** Number of equal-width bins over each panel's range (default 30). */
  bins?: number;
  /** Shared x range for every panel (default: the range of all values), so panels compare at a glance. */
  range?: [number, number];
}

/**
 * Renders named samples (activations, gradients, weights) as one histogram panel each, side by side
 * on a shared x range, as an SVG document.
 * @example await fs.writeFile('activations.svg', plotHistograms({ layer1: a1.toArray(), layer2: a2.toArray() }));
 */
export function plotHistograms(samples: Record<string, ArrayLike<number>>, options: HistogramOptions = {}): string {
  checkOptions('plotHistograms', options, [...PLOT_KEYS, 'bins', 'range']);
  const names = Object.keys(samples ?? {});
  if (names.length === 0) throw new RangeError('plotHistograms: give at least one named array of values');
  const values = names.map((name) => {
    const finite = Array.from(samples[name] ?? [], Number).filter(Number.isFinite);
    if (finite.length === 0) throw new RangeError(`plotHistograms: '${name}' has no finite values`);
    return finite;
  });
  const bins = options.bins ?? 30;
  if (!Number.isInteger(bins) || bins < 1) throw new RangeError(`plotHistograms: bins must be a positive integer (got ${bins})`);
  // Loops, not Math.min(...v): a layer's activations can outnumber the arguments a call may take.
  let [lo, hi] = options.range ?? [Infinity, -Infinity];
  if (!options.range) for (const v of values) for (const x of v) [lo, hi] = [Math.min(lo, x), Math.max(hi, x)];
  if (lo === hi) [lo, hi] = [lo - 0.5, hi + 0.5];
  const w = options.panelWidth ?? 300;
  const h = options.panelHeight ?? 200;
  const top = options.title ? 28 : 0;
  const pw = w - MARGIN.left - MARGIN.right;
  const ph = h - MARGIN.top - MARGIN.bottom;
  const panels = names.map((name, i) => {
    const counts = new Array<number>(bins).fill(0);
    for (const v of values[i]) if (v >= lo && v <= hi) counts[Math.min(bins - 1, Math.floor(((v - lo) / (hi - lo)) * bins))]++;
    const fractions = counts.map((c) => c / values[i].length);
    const peak = Math.max(...fractions) || 1;
    const x0 = i * w;
    const y0 = top;
    const parts = [
      `<text x="${x0 + w / 2}" y="${y0 + 18}" text-anchor="middle" font-weight="bold">${escapeXml(name)}</text>`,
      `<rect x="${x0 + MARGIN.left}" y="${y0 + MARGIN.top}" width="${pw}" height="${ph}" fill="none" stroke="#999"/>`,
    ];
    fractions.forEach((f, b) => {
      const barH = (f / peak) * ph;
      parts.push(
        `<rect x="${(x0 + MARGIN.left + (b * pw) / bins).toFixed(1)}" y="${(y0 + MARGIN.top + ph - barH).toFixed(1)}" width="${(pw / bins).toFixed(1)}" height="${barH.toFixed(1)}" fill="${COLORS.train}"/>`,
      );
    });
    for (const v of ticks(lo, hi).filter((t) => t >= lo && t <= hi)) {
      const x = (x0 + MARGIN.left + ((v - lo) / (hi - lo)) * pw).toFixed(1);
      parts.push(`<text x="${x}" y="${y0 + MARGIN.top + ph + 16}" text-anchor="middle">${Number(v.toPrecision(4))}</text>`);
    }
    parts.push(`<text x="${x0 + MARGIN.left - 6}" y="${y0 + MARGIN.top + 4}" text-anchor="end">${Number((100 * peak).toPrecision(3))}%</text>`);
    return parts.join('\n');
  });
  const width = w * names.length;
  const height = h + top;
  return svgDocument(width, height, options.title, panels.join('\n'));
}
