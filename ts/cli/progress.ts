// Progress for long CLI jobs: one rewritten line on a terminal (epoch, loss, accuracy, ETA), about ten lines per run
// when stderr is a file or a pipe, or JSON lines.
import type { EpochReport } from '../training/train.js';

function formatSeconds(s: number): string {
  if (!Number.isFinite(s)) return '?';
  if (s < 60) return `${s.toFixed(0)}s`;
  return `${Math.floor(s / 60)}m${String(Math.round(s % 60)).padStart(2, '0')}s`;
}

export class ProgressLine {
  private readonly started = performance.now();
  private readonly tty = Boolean(process.stderr.isTTY);
  private open = false;

  constructor(
    private readonly total: number,
    private readonly json: boolean,
  ) {}

  note(text: string): void {
    if (this.json) return;
    this.done();
    process.stderr.write(text + '\n');
  }

  epoch(e: EpochReport): void {
    if (this.json) {
      process.stdout.write(JSON.stringify({ type: 'epoch', ...e }) + '\n');
      return;
    }
    const elapsed = (performance.now() - this.started) / 1000;
    const eta = (elapsed / e.epoch) * (this.total - e.epoch);
    const width = 20;
    const filled = Math.round((width * e.epoch) / this.total);
    const parts = [
      `[${'#'.repeat(filled)}${'.'.repeat(width - filled)}]`,
      `epoch ${e.epoch}/${this.total}`,
      `loss ${e.loss.toExponential(3)}`,
      e.validationLoss !== undefined ? `val ${e.validationLoss.toExponential(3)}` : '',
      e.validationAccuracy !== undefined ? `acc ${e.validationAccuracy.toFixed(3)}` : '',
      `ETA ${formatSeconds(eta)}`,
    ].filter(Boolean);
    const line = parts.join('  ');
    if (this.tty) {
      process.stderr.write('\r' + line.padEnd(100));
      this.open = true;
    } else if (e.epoch % Math.ceil(this.total / 10) === 0 || e.epoch === this.total || e.epoch === 1) {
      // a log, not a terminal: about ten lines per run
      process.stderr.write(line + '\n');
    }
  }

  summary(values: Record<string, unknown>): void {
    if (this.json) {
      process.stdout.write(JSON.stringify({ type: 'result', ...values }) + '\n');
      return;
    }
    this.done();
    const text = Object.entries(values)
      .filter(([, v]) => v !== undefined)
      .map(([k, v]) => `${k} ${typeof v === 'number' ? Number(v.toPrecision(4)) : v}`)
      .join(', ');
    process.stderr.write(text + '\n');
  }

  done(): void {
    if (this.open) {
      process.stderr.write('\n');
      this.open = false;
    }
  }
}

/** Prints rows as an aligned text table, numbers to 3 decimals (stderr is for progress; tables go to stdout). */
export function printTable(header: string[], rows: (string | number | undefined)[][]): void {
  const cells = rows.map((r) => r.map((v) => (v === undefined ? '-' : typeof v === 'number' ? v.toFixed(3) : v)));
  const widths = header.map((h, i) => Math.max(h.length, ...cells.map((r) => r[i].length)));
  const line = (r: string[]) => r.map((c, i) => c.padStart(widths[i])).join('  ');
  process.stdout.write([line(header), ...cells.map(line)].join('\n') + '\n');
}

/** Progress over several runs (fits, stages): a new progress line, announced by a note, for each. */
export class StagePrinter {
  private line?: ProgressLine;

  constructor(private readonly json: boolean) {}

  start(name: string, epochs: number): void {
    this.line?.done();
    this.line = new ProgressLine(epochs, this.json);
    this.line.note(name);
  }

  epoch(e: EpochReport): void {
    this.line?.epoch(e);
  }

  done(): void {
    this.line?.done();
  }
}
