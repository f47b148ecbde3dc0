/**
 * Runs a part of the reliability suite with stdout and stderr captured (where the structured logs go), then scans
 * every captured line for the secrets that part used: session strings, login codes, 2FA passwords, tokens. The
 * secrets are asked for after the part ran, so ones made during it (a code the fake Telegram sent) are included.
 * Short numeric secrets (login codes) only count as found when no digit touches them, so a timestamp that happens
 * to contain "52814" is not a leak, while "code 52814" is.
 */
import { expect } from "vitest";
import { captureOutput } from "./capture-logs";
import type { ReliabilityCounts } from "./reliability-counters";

export function findSecrets(lines: readonly string[], secrets: Iterable<string>): string[] {
  const found: string[] = [];
  for (const secret of new Set(secrets)) {
    if (secret.length < 4) continue;
    const pattern = /^\d+$/.test(secret)
      ? new RegExp(`(?<!\\d)${secret}(?!\\d)`)
      : new RegExp(secret.replace(/[.*+?^${}()|[\]\\]/g, "\\$&"));
    for (const line of lines)
      if (pattern.test(line)) found.push(`${secret.slice(0, 6)}… in: ${line.slice(0, 200)}`);
  }
  return found;
}

export async function scanLogs<T>(
  counts: ReliabilityCounts,
  secrets: () => Iterable<string>,
  part: () => Promise<T>,
): Promise<T> {
  const { result, output } = await captureOutput(part);
  const lines = output.split("\n").filter((l) => l.trim() !== "");
  const found = findSecrets(lines, secrets());
  counts.logLinesScanned += lines.length;
  counts.secretsInLogs += found.length;
  expect(found).toEqual([]);
  return result;
}
