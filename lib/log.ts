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
    "smsCode",
    "emailCode",
    "otp",
    "pin",
    "passcode",
    "digits",
    // A chat message's text: an admin may type a code or a password where a command was expected.
    "text",
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

/** Any key that names a password or a secret (`newPassword`, `current_password`, `pathSecret`) is one too. */
const SECRET_KEY_PARTS = ["password", "passwd", "secret"];

function normaliseKey(key: string): string {
  return key.replace(/[-_]/g, "").toLowerCase();
}

function isSecretKey(key: string): boolean {
  const k = normaliseKey(key);
  return SECRET_KEYS.has(k) || SECRET_KEY_PARTS.some((part) => k.includes(part));
}

/**
 * One character of a base64/base64url blob as it may appear in text: itself, or percent-encoded (a session string
 * passed in a URL or a form body has its `+`, `/` and `=` written `%2B`, `%2F`, `%3D`).
 */
const BLOB_CHAR = String.raw`(?:[A-Za-z0-9+/_=-]|%[0-9A-Fa-f]{2})`;
/**
 * A line break inside a wrapped blob: a real one, or one escaped as `\n` (once or more) in already-serialised text,
 * and the indent after it.
 */
const BLOB_BREAK = String.raw`(?:\r?\n|(?:\\+r)?\\+n)[ \t]*`;
/**
 * A blob, possibly wrapped over lines (each full line at least 16 characters, as base64 wrapped at 64 or 76 is), or
 * URL-encoded. Whether it is long enough to be a secret is decided on its length without breaks and escapes.
 */
const BLOB = new RegExp(
  `${BLOB_CHAR}{16,}(?:${BLOB_BREAK}${BLOB_CHAR}{16,})*(?:${BLOB_BREAK}${BLOB_CHAR}{1,15}(?!${BLOB_CHAR}))?`,
  "g",
);
/** A GramJS/Telethon string session is about 350 characters and an auth key 256 bytes (344 in base64). */
const BLOB_SECRET_LENGTH = 200;

function blobLength(match: string): number {
  return match.replace(/\r|\n|\\+r|\\+n|[ \t]/g, "").replace(/%[0-9A-Fa-f]{2}/g, "_").length;
}

/** Shapes of secrets, recognised in any string. */
const SECRET_PATTERNS: readonly RegExp[] = [
  // Bot API token: "<bot id>:<35 characters>", also where the id follows letters (".../bot123456:AA.../sendMessage")
  // and with its colon percent-encoded.
  /(?<!\d)\d{5,15}(?::|%3[Aa])[A-Za-z0-9_-]{30,}/g,
  // Our envelope ciphertexts (lib/crypto).
  /skenc\d+\.[A-Za-z0-9._~-]+/g,
];

/** Each registered secret with how many times it is registered: nested steps register the same value. */
const registered = new Map<string, number>();
/** The registered secrets shorter than 4 characters, each as a whole-token pattern (see `registerSecret`). */
const shortPatterns = new Map<string, RegExp>();

/** Values at least this long are masked wherever they appear; shorter ones only as a whole token. */
const SUBSTRING_MASK_LENGTH = 4;

/**
 * Masks `value` in every log line from now on: login codes, passwords, API hashes, webhook secrets. A value of 4
 * characters or more is masked wherever it appears. A shorter one (a 2FA password may be "abc") is masked where it
 * stands as a whole token, not inside a longer word or number: masking "ab" inside "table" would hide everything and
 * protect nothing, while "password abc" still loses it. Blank values are ignored. Registrations are counted: a value
 * stays masked until each `registerSecret` has had its `forgetSecret` (the Mini App form registers a password, and
 * the login step it calls registers and forgets it again; the form's own later log lines must still be masked).
 */
export function registerSecret(value: string | undefined | null): void {
  if (!value || value.trim() === "") return;
  registered.set(value, (registered.get(value) ?? 0) + 1);
  if (value.length < SUBSTRING_MASK_LENGTH && !shortPatterns.has(value)) {
    const escaped = value.replace(/[.*+?^${}()|[\]\\]/g, "\\$&");
    shortPatterns.set(value, new RegExp(`(?<![\\p{L}\\p{N}])${escaped}(?![\\p{L}\\p{N}])`, "gu"));
  }
}

export function forgetSecret(value: string | undefined | null): void {
  if (!value) return;
  const count = registered.get(value) ?? 0;
  if (count > 1) registered.set(value, count - 1);
  else {
    registered.delete(value);
    shortPatterns.delete(value);
  }
}

/** Masks every secret inside a piece of text: for log lines, and for messages and errors shown to people. */
export function redactText(text: string): string {
  let out = text;
  for (const pattern of SECRET_PATTERNS) out = out.replace(pattern, REDACTED);
  out = out.replace(BLOB, (match) => (blobLength(match) >= BLOB_SECRET_LENGTH ? REDACTED : match));
  for (const secret of registered.keys()) {
    if (secret.length < SUBSTRING_MASK_LENGTH) out = out.replace(shortPatterns.get(secret)!, REDACTED);
    else if (out.includes(secret)) out = out.split(secret).join(REDACTED);
  }
  return out;
}

/** What a binary value becomes in a log line: its size, never its bytes (an auth key is 256 bytes of secret). */
function binarySummary(bytes: number): string {
  return `[binary, ${bytes} bytes]`;
}

/** A login code under the generic key `code` (a string of digits, or a number of 4+ digits) is masked; error codes
 * (`AUTH_KEY_UNREGISTERED`, `ECONNRESET`, 401, -503) stay, as they are what an operator searches the logs for. */
function isErrorCode(value: unknown): boolean {
  if (typeof value === "number") return Math.abs(value) < 1000;
  if (typeof value === "string") return /^[A-Z][A-Z0-9_]*$/.test(value) || /^-?\d{1,3}$/.test(value);
  return true;
}

/** JSON replacer used by the logger: redacts by key, then by value. */
export function redactingReplacer(key: string, value: unknown): unknown {
  // A boolean says whether something is set (`passwordSet`), never what it is.
  if (key !== "" && isSecretKey(key) && value !== undefined && value !== null && typeof value !== "boolean") {
    return REDACTED;
  }
  if (key === "code" && !isErrorCode(value)) return REDACTED;
  if (typeof value === "string") return redactText(value);
  // A Buffer reaches the replacer already turned into `{ type: "Buffer", data: [..bytes] }` by its toJSON.
  if (isSerialisedBuffer(value)) return binarySummary(value.data.length);
  if (value instanceof ArrayBuffer) return binarySummary(value.byteLength);
  if (ArrayBuffer.isView(value)) return binarySummary(value.byteLength);
  return value;
}

function isSerialisedBuffer(value: unknown): value is { type: "Buffer"; data: unknown[] } {
  return (
    typeof value === "object" &&
    value !== null &&
    (value as { type?: unknown }).type === "Buffer" &&
    Array.isArray((value as { data?: unknown }).data)
  );
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
