/**
 * Runs a part of the reliability suite with stdout and stderr captured (where the structured logs go), then scans
 * every captured line for the secrets that part used: session strings, login codes, 2FA passwords, tokens. The
 * secrets are asked for after the part ran, so ones made during it (a code the fake Telegram sent) are included.
 * Short numeric secrets (login codes) only count as found when no digit touches them, so a timestamp that happens
 * to contain "52814" is not a leak, while "code 52814" is. Each secret is also looked for in the other shapes a mask
 * must catch (URL-encoded, a Buffer's bytes, wrapped over lines), and one under 4 characters as a whole token in a
 * logged string.
 */
import { expect } from "vitest";
import { captureOutput } from "./capture-logs";
import type { ReliabilityCounts } from "./reliability-counters";

/**
 * The shapes a secret can take in a log line besides itself, each of which must have been masked: percent-encoded (in
 * a URL or a form body), escaped by JSON, as a Buffer's or a typed array's bytes, and wrapped over lines (checked on
 * the output with its line breaks and indents taken out, see `findSecrets`).
 */
export function secretShapes(secret: string): { shape: string; text: string }[] {
  const bytes = [...Buffer.from(secret, "utf8")];
  const shapes = [
    { shape: "as is", text: secret },
    { shape: "URL-encoded", text: encodeURIComponent(secret) },
    { shape: "JSON-escaped", text: JSON.stringify(secret).slice(1, -1) },
    { shape: "Buffer bytes", text: `[${bytes.join(",")}]` },
    { shape: "typed array bytes", text: bytes.map((b, i) => `"${i}":${b}`).join(",") },
  ];
  return shapes.filter((s, i) => i === 0 || shapes.findIndex((o) => o.text === s.text) === i);
}

/** Where a short secret may stand alone without being part of a number or a word. */
function wholeToken(secret: string): RegExp {
  return new RegExp(`(?<![\\p{L}\\p{N}])${escapeRegExp(secret)}(?![\\p{L}\\p{N}])`, "u");
}

function escapeRegExp(text: string): string {
  return text.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
}

/** The string values of a JSON log line other than its timestamp (where a short secret like "12" is just a date). */
function stringValues(line: string): string[] {
  try {
    const values: string[] = [];
    JSON.parse(line, (key, value: unknown) => {
      if (typeof value === "string" && key !== "timestamp") values.push(value);
      return value;
    });
    return values;
  } catch {
    return [line];
  }
}

/**
 * Line breaks (real, or JSON-escaped once or more) and the indents after them, taken out to find a secret wrapped
 * over lines.
 */
function unwrap(text: string): string {
  return text.replace(/(?:\r?\n|(?:\\+r)?\\+n)[ \t]*/g, "");
}

export function findSecrets(lines: readonly string[], secrets: Iterable<string>): string[] {
  const found: string[] = [];
  const unwrapped = unwrap(lines.join("\n"));
  for (const secret of new Set(secrets)) {
    if (secret.trim() === "") continue;
    if (secret.length < 4) {
      // A short secret (a 3-character 2FA password) counts when it stands alone in a logged string.
      const pattern = wholeToken(secret);
      for (const line of lines)
        if (stringValues(line).some((v) => pattern.test(v)))
          found.push(`short secret (${secret.length} characters) in: ${line.slice(0, 200)}`);
      continue;
    }
    for (const { shape, text } of secretShapes(secret)) {
      const pattern = /^\d+$/.test(text)
        ? new RegExp(`(?<!\\d)${text}(?!\\d)`)
        : new RegExp(escapeRegExp(text));
      for (const line of lines)
        if (pattern.test(line)) found.push(`${secret.slice(0, 6)}… (${shape}) in: ${line.slice(0, 200)}`);
    }
    // Wrapped over lines: long secrets only, where a match cannot be chance.
    if (secret.length >= 20 && !lines.some((l) => l.includes(secret)) && unwrapped.includes(secret))
      found.push(`${secret.slice(0, 6)}… (wrapped over lines)`);
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
