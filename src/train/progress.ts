/**
 * The progress display of fit(): a bar redrawn in place on a TTY (epoch, step, loss, metrics,
 * rate, ETA), one plain line per epoch anywhere else (CI logs, browsers).
 */

interface Sink {
  isTTY: boolean;
  write(text: string): void;
}

function defaultSink(): Sink {
  const stdout = (globalThis as { process?: { stdout?: { isTTY?: boolean; write(s: string): boolean } } }).process?.stdout;
  if (stdout) return { isTTY: !!stdout.isTTY, write: (s) => void stdout.write(s) };
  return { isTTY: false, write: (s) => console.log(s.replace(/\n$/, '')) };
}

function duration(seconds: number): string {
  if (!Number.isFinite(seconds)) return '--:--';
  const s = Math.round(seconds);
  return `${Math.floor(s / 60)}:${String(s % 60).padStart(2, '0')}`;
}

export function formatLogs(logs: Record<string, number>): string {
  return Object.entries(logs)
    .map(([k, v]) => `${k} ${Math.abs(v) >= 1000 || (Math.abs(v) < 1e-3 && v !== 0) ? v.toExponential(3) : v.toFixed(4)}`)
    .join('  ');
}

export class Progress {
  private readonly sink: Sink;
  private epochStart = 0;
  private lastDraw = 0;

  constructor(
    private readonly epochs: number,
    private readonly stepsPerEpoch: number | null,
    private readonly enabled: boolean,
    sink?: Sink,
  ) {
    this.sink = sink ?? defaultSink();
  }

  startEpoch(): void {
    this.epochStart = performance.now();
    this.lastDraw = 0;
  }

  /** Redraws the bar (TTY only, at most ~20 times a second). */
  step(epoch: number, step: number, logs: Record<string, number>): void {
    if (!this.enabled || !this.sink.isTTY) return;
    const now = performance.now();
    if (now - this.lastDraw < 50 && step !== this.stepsPerEpoch) return;
    this.lastDraw = now;
    const elapsed = (now - this.epochStart) / 1000;
    const rate = step / Math.max(elapsed, 1e-9);
    const total = this.stepsPerEpoch;
    const width = 24;
    const filled = total ? Math.min(width, Math.round((step / total) * width)) : 0;
    const bar = total ? `[${'='.repeat(Math.max(filled - 1, 0))}${filled > 0 ? '>' : ''}${' '.repeat(width - filled)}]` : '';
    const eta = total ? `ETA ${duration((total - step) / rate)}` : '';
    this.sink.write(`\r\x1b[2KEpoch ${epoch}/${this.epochs} ${step}/${total ?? '?'} ${bar} ${formatLogs(logs)}  ${rate.toFixed(0)} step/s ${eta}`);
  }

  endEpoch(epoch: number, steps: number, logs: Record<string, number>): void {
    if (!this.enabled) return;
    const seconds = (performance.now() - this.epochStart) / 1000;
    const prefix = this.sink.isTTY ? '\r\x1b[2K' : '';
    this.sink.write(`${prefix}Epoch ${epoch}/${this.epochs}  ${steps} steps  ${seconds.toFixed(1)} s  ${formatLogs(logs)}\n`);
  }
}
