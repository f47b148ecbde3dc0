/** `--since 7d`: how far back a command reads, as operators write it. */
import { UsageError } from "./command";

const UNITS: Record<string, number> = { m: 60_000, h: 3_600_000, d: 86_400_000, w: 7 * 86_400_000 };

/**
 * "30m", "24h", "7d", "2w" before `now`, or a date ("2026-12-01", read as UTC midnight) or an ISO time. Refuses
 * anything else, and times in the future, with a usage error naming the command's help.
 */
export function parseSince(raw: string, now: Date, command: string): Date {
  const text = raw.trim();
  const hint = `Write it as 30m, 24h, 7d or 2w, or as a date such as 2026-12-01. Run \`sessions ${command} --help\`.`;
  const rel = /^(\d{1,5})\s*([mhdw])$/i.exec(text);
  let at: Date;
  if (rel) at = new Date(now.getTime() - Number(rel[1]) * UNITS[rel[2]!.toLowerCase()]!);
  else if (/^\d{4}-\d{2}-\d{2}([T ][\d:.]+Z?)?$/.test(text))
    at = new Date(text.length === 10 ? `${text}T00:00:00Z` : text);
  else throw new UsageError(`--since "${raw}" is not a time.`, hint);
  if (Number.isNaN(at.getTime())) throw new UsageError(`--since "${raw}" is not a time.`, hint);
  if (at.getTime() > now.getTime()) throw new UsageError(`--since "${raw}" is in the future.`, hint);
  return at;
}

/** "850 ms", "12 s", "3m 05s", "1h 02m". */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)} ms`;
  const s = Math.round(ms / 1000);
  if (s < 60) return `${s} s`;
  if (s < 3600) return `${Math.floor(s / 60)}m ${String(s % 60).padStart(2, "0")}s`;
  return `${Math.floor(s / 3600)}h ${String(Math.floor((s % 3600) / 60)).padStart(2, "0")}m`;
}
