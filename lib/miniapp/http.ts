/**
 * The Mini App's HTTP answers, the same for every page (the login form, the fleet page): the headers every answer
 * carries, a page with its Content-Security-Policy, a JSON answer, the small JSON body a call sends, and the chat's
 * HTML texts as a page's plain text.
 *
 * Every page is one static HTML document whose inline script and style are allowed by their SHA-256 and nothing
 * else (`pageCsp`): it loads nothing from elsewhere, talks only to its own origin, and only Telegram Web may frame
 * it.
 */
import { createHash } from "node:crypto";
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";

/** Request bodies are a few hundred bytes (initData plus a code or password). */
export const MAX_BODY_BYTES = 8 * 1024;

/** On every answer: never cached, never sniffed, never a referrer. */
export const COMMON_HEADERS = {
  "cache-control": "no-store",
  "x-content-type-options": "nosniff",
  "referrer-policy": "no-referrer",
} as const;

/** A CSP source that allows exactly this inline text. */
export function sha256Source(text: string): string {
  return `'sha256-${createHash("sha256").update(text).digest("base64")}'`;
}

/**
 * Everything a page may load or run: its own inline `script` and `style` (by hash), `extra` directives (the fleet
 * page's `img-src blob:`), and calls to its own origin.
 */
export function pageCsp(script: string, style: string, extra: readonly string[] = []): string {
  return [
    "default-src 'none'",
    `script-src ${sha256Source(script)}`,
    `style-src ${sha256Source(style)}`,
    ...extra,
    "connect-src 'self'",
    "base-uri 'none'",
    "form-action 'none'",
    // Telegram Web shows Mini Apps in an iframe; nobody else may frame a page that takes passwords.
    "frame-ancestors https://web.telegram.org",
  ].join("; ");
}

export function htmlPage(html: string, csp: string): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode: 200,
    headers: {
      ...COMMON_HEADERS,
      "content-type": "text/html; charset=utf-8",
      "content-security-policy": csp,
    },
    body: html,
  };
}

export function jsonAnswer(statusCode: number, body: object): APIGatewayProxyStructuredResultV2 {
  return {
    statusCode,
    headers: { ...COMMON_HEADERS, "content-type": "application/json; charset=utf-8" },
    body: JSON.stringify(body),
  };
}

/** The call's body when it is a JSON object of at most `MAX_BODY_BYTES`, else undefined. */
export function parseBody(event: APIGatewayProxyEventV2): Record<string, unknown> | undefined {
  const raw = event.isBase64Encoded
    ? Buffer.from(event.body ?? "", "base64").toString("utf8")
    : (event.body ?? "");
  if (raw.length === 0 || Buffer.byteLength(raw) > MAX_BODY_BYTES) return undefined;
  try {
    const body: unknown = JSON.parse(raw);
    return typeof body === "object" && body !== null && !Array.isArray(body)
      ? (body as Record<string, unknown>)
      : undefined;
  } catch {
    return undefined;
  }
}

/** The chat's HTML texts as a page's plain text (shown with textContent). */
export function plain(html: string): string {
  return html
    .replace(/<[^>]*>/g, "")
    .replace(/&lt;/g, "<")
    .replace(/&gt;/g, ">")
    .replace(/&quot;/g, '"')
    .replace(/&#39;/g, "'")
    .replace(/&amp;/g, "&");
}
