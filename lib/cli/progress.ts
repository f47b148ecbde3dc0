/**
 * A one-line progress bar for long runs (remove-errors now; check --all and cleanup later), drawn on stderr so
 * stdout stays clean for the result. Only on a terminal: in a pipe or a log it draws nothing, and the command's
 * final count says what happened.
 */

export interface ProgressOptions {
  readonly total: number;
  /** What is being done, e.g. "Deleting". */
  readonly label: string;
  readonly stream: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  /** Draw at all (normally: the stream is a terminal). */
  readonly enabled?: boolean;
  /** Milliseconds between redraws; the last state is always drawn. */
  readonly intervalMs?: number;
  readonly now?: () => number;
}

export interface Progress {
  /** `n` more items done. */
  tick(n?: number): void;
  /** Clears the bar (the caller prints the result). */
  stop(): void;
  readonly done: number;
}

/** "Deleting [██████░░░░] 60/100 60% · 12s left", fitted to `columns`. */
export function renderBar(
  label: string,
  done: number,
  total: number,
  elapsedMs: number,
  columns = 80,
): string {
  const ratio = total > 0 ? Math.min(done / total, 1) : 1;
  const percent = `${Math.floor(ratio * 100)}%`;
  const counter = `${done}/${total}`;
  const left =
    done > 0 && done < total ? ` · ${formatDuration(((total - done) * elapsedMs) / done)} left` : "";
  const fixed = `${label}  ${counter} ${percent}${left}`;
  const barWidth = Math.max(0, Math.min(40, columns - fixed.length - 5));
  if (barWidth < 5) return fixed.slice(0, columns - 1);
  const filled = Math.round(ratio * barWidth);
  return `${label} [${"█".repeat(filled)}${"░".repeat(barWidth - filled)}] ${counter} ${percent}${left}`;
}

/** 4_500 → "5s", 95_000 → "1m 35s", 7_300_000 → "2h 2m". */
export function formatDuration(ms: number): string {
  const s = Math.max(1, Math.round(ms / 1000));
  if (s < 60) return `${s}s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${s % 60}s`;
  return `${Math.floor(s / 3600)}h ${Math.floor((s % 3600) / 60)}m`;
}

export function createProgress(options: ProgressOptions): Progress {
  const now = options.now ?? Date.now;
  const enabled = options.enabled ?? Boolean(options.stream.isTTY);
  const interval = options.intervalMs ?? 100;
  const started = now();
  let done = 0;
  let lastDraw = -Infinity;
  let drawn = false;
  const draw = (force: boolean) => {
    if (!enabled) return;
    const t = now();
    if (!force && t - lastDraw < interval) return;
    lastDraw = t;
    drawn = true;
    const line = renderBar(
      options.label,
      done,
      options.total,
      t - started,
      options.stream.columns || 80 /* a pty without a size says 0 */,
    );
    options.stream.write(`\r\u001b[2K${line}`);
  };
  draw(true);
  return {
    get done() {
      return done;
    },
    tick(n = 1) {
      done += n;
      draw(done >= options.total);
    },
    stop() {
      if (enabled && drawn) options.stream.write("\r\u001b[2K");
    },
  };
}
