/**
 * Structured JSON logs (Powertools Logger) that never carry a secret.
 *
 * Secrets are masked twice over: by key name (a field called `password`, `sessionString`, `ciphertext`, … is
 * replaced whatever it holds) and by value (a bot token, a session string or one of our ciphertexts is recognised
 * by its shape, and any value registered with `registerSecret` is masked wherever it appears, inside error
 * messages and stacks too). So a secret passed by mistake under an innocent key is still masked.
 */
import { Logger } from "@aws-lambda-powertools/logger";

export const REDACTED = "[REDACTED]";

/** Field names whose value is a secret whatever it looks like. Compared case-insensitively, ignoring `-`/`_`. */
const SECRET_KEYS = new Set(
  [
    "sessionString",
    "stringSession",
    "session",
    "sessionCiphertext",
    "ciphertext",
    "tempSessionCiphertext",
    "authKey",
    "loginCode",
    "phoneCode",
    "phoneCodeHash",
    "password",
    "passwordHash",
    "botToken",
    "token",
    "secret",
    "secretToken",
    "webhookSecret",
    "apiHash",
    "xTelegramBotApiSecretToken",
    "authorization",
    "sessionEncryptionKey",
    "plaintextKey",
    "dataKey",
  ].map(normaliseKey),
);

function normaliseKey(key: string): string {
  return key.replace(/[-_]/g, "").toLowerCase();
}

/** Shapes of secrets, recognised in any string. */
const SECRET_PATTERNS: readonly RegExp[] = [
  // Bot API token: "<bot id>:<35 characters>".
  /\b\d{6,12}:[A-Za-z0-9_-]{30,}/g,
  // Our envelope ciphertexts (lib/crypto).
  /skenc1\.[A-Za-z0-9._~-]+/g,
  // GramJS / Telethon string sessions and any other long base64 blob (an auth key is 256 bytes).
  /[A-Za-z0-9+/_-]{200,}={0,2}/g,
];

/** Each registered secret with how many times it is registered: nested steps register the same value. */
const registered = new Map<string, number>();

/**
 * Masks `value` in every log line from now on: login codes, passwords, API hashes, webhook secrets. Values shorter
 * than 4 characters are ignored (masking "1" everywhere would hide everything and protect nothing). Registrations
 * are counted: a value stays masked until each `registerSecret` has had its `forgetSecret` (the Mini App form
 * registers a password, and the login step it calls registers and forgets it again; the form's own later log
 * lines must still be masked).
 */
export function registerSecret(value: string | undefined | null): void {
  if (value && value.length >= 4) registered.set(value, (registered.get(value) ?? 0) + 1);
}

export function forgetSecret(value: string | undefined | null): void {
  if (!value) return;
  const count = registered.get(value) ?? 0;
  if (count > 1) registered.set(value, count - 1);
  else registered.delete(value);
}

/** Masks every secret inside a piece of text: for log lines, and for messages and errors shown to people. */
export function redactText(text: string): string {
  let out = text;
  for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, REDACTED);
  for (const secret of registered.keys()) if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  return out;
}

/** JSON replacer used by the logger: redacts by key, then by value. */
export function redactingReplacer(key: string, value: unknown): unknown {
  if (key !== "" && SECRET_KEYS.has(normaliseKey(key)) && value !== undefined && value !== null) {
    // A numeric `code` is an error code (401) and stays; only secret-named keys are masked, and `code` is not one.
    return REDACTED;
  }
  // A login code under the generic key `code` is a string of digits; an RPC error code is a number.
  if (key === "code" && typeof value === "string" && /^[\d\s-]{4,}$/.test(value)) return REDACTED;
  if (typeof value === "string") return redactText(value);
  return value;
}

export type LogLevel = "DEBUG" | "INFO" | "WARN" | "ERROR" | "SILENT" | "CRITICAL";

export interface LoggerOptions {
  /** The component, e.g. "admin-bot", "health-check", "cli". */
  readonly service: string;
  /** Keys added to every line, e.g. `{ function: "health-check-worker" }`. */
  readonly persistentKeys?: Record<string, string>;
  readonly level?: LogLevel;
}

/**
 * A Powertools Logger with redaction built in. One per entry point; add per-item keys with `appendKeys`
 * (e.g. `{ phone }` while one session is worked on) and remove them with `removeKeys`.
 */
export function createLogger(options: LoggerOptions): Logger {
  const level = options.level ?? (process.env.LOG_LEVEL as LogLevel | undefined) ?? "INFO";
  return new Logger({
    serviceName: options.service,
    logLevel: level,
    persistentKeys: options.persistentKeys ?? {},
    jsonReplacerFn: redactingReplacer,
  });
}

export type { Logger };
