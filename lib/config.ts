/**
 * Configuration from the environment, parsed once by a schema. A missing or malformed variable stops start-up
 * with one line that names the variable and says how to set it.
 *
 * Each entry point reads only the part it needs (`loadStoreConfig` for everything that touches the tables and the
 * session key); later parts (bot, jobs) add their own schema with `parseEnv`.
 */
import * as z from "./zod";
import { blankIsUnset } from "./zod";

/** A configuration problem an operator fixes by setting a variable. The message is one line. */
export class ConfigError extends Error {
  constructor(
    readonly variable: string,
    message: string,
  ) {
    super(message);
    this.name = "ConfigError";
  }
}

export type Env = Readonly<Record<string, string | undefined>>;

/** How to set each variable, said once so every error names the same remedy. */
const HINTS: Record<string, string> = {
  SESSIONS_TABLE: "set it to the sessions table name (the stack output SessionsTableName)",
  BOT_STATE_TABLE: "set it to the bot state table name (the stack output BotStateTableName)",
  DYNAMODB_ENDPOINT: "set it to a URL such as http://127.0.0.1:8000, or unset it to use AWS",
  KMS_KEY_ID: "set it to the ARN or alias of the session encryption key (the stack output SessionKeyArn)",
  CONTEXT_KEY_SECRET_ARN:
    "set it to the ARN of the context key secret (the stack output ContextKeySecretArn)",
  SESSION_ENCRYPTION_KEY:
    "set it to 32 random bytes in base64 (openssl rand -base64 32), or unset it to have one generated into .data/",
  LOCAL_DATA_DIR: "set it to a writable folder, or unset it to use .data/",
  LOG_LEVEL: "set it to one of DEBUG, INFO, WARN, ERROR, SILENT",
  AWS_REGION: "set it to the region the stack is deployed in, e.g. eu-central-1",
};

/** A short hint for a variable, for schemas defined elsewhere to register theirs. */
export function registerHints(hints: Record<string, string>): void {
  Object.assign(HINTS, hints);
}

/**
 * Parses `env` with a zod object shape. On failure, throws a `ConfigError` for the first bad variable:
 * "Missing SESSIONS_TABLE: set it to …" or "Invalid LOG_LEVEL (…): set it to …".
 */
export function parseEnv<S extends z.core.$ZodLooseShape>(shape: S, env: Env): z.infer<z.ZodMiniObject<S>> {
  const result = z.object(shape).safeParse(env);
  if (result.success) return result.data;
  const issue = result.error.issues[0]!;
  const variable = String(issue.path[0] ?? "environment");
  const hint = HINTS[variable] ?? "see .env.example";
  const missing = env[variable] === undefined || env[variable] === "";
  const message = missing
    ? `Missing ${variable}: ${hint}.`
    : `Invalid ${variable} (${issue.message.replace(/\s+/g, " ")}): ${hint}.`;
  throw new ConfigError(variable, message);
}

const optionalString = blankIsUnset(z.optional(z.string().check(z.minLength(1))));

const storeShape = {
  SESSIONS_TABLE: optionalString,
  BOT_STATE_TABLE: optionalString,
  DYNAMODB_ENDPOINT: blankIsUnset(z.optional(z.url())),
  AWS_REGION: optionalString,
  KMS_KEY_ID: optionalString,
  CONTEXT_KEY_SECRET_ARN: optionalString,
  SESSION_ENCRYPTION_KEY: blankIsUnset(
    z.optional(
      z
        .string()
        .check(
          z.refine(
            (v) => Buffer.from(v, "base64").length === 32,
            "must decode from base64 to exactly 32 bytes",
          ),
        ),
    ),
  ),
  LOCAL_DATA_DIR: blankIsUnset(z._default(z.string(), ".data")),
  AWS_LAMBDA_FUNCTION_NAME: optionalString,
};

export const LOCAL_TABLE_NAMES = {
  sessions: "session-keeper-sessions",
  botState: "session-keeper-bot-state",
} as const;

export const LOCAL_DYNAMODB_ENDPOINT = "http://127.0.0.1:8000";

export type EncryptionConfig =
  | {
      readonly kind: "kms";
      /**
       * Unset only for an operator's CLI against a deployed stack that did not set `KMS_KEY_ID` (`keyWhenUsed`):
       * a command that seals or opens nothing (`sessions list`) works; the first that does is refused then.
       */
      readonly keyId?: string;
      /** The secret holding the key of the keyed hash in the encryption context (the stack output). */
      readonly contextKeySecretArn?: string;
    }
  | { readonly kind: "local"; readonly key?: Buffer; readonly dataDir: string };

export interface StoreConfig {
  /** `aws`: real DynamoDB and KMS. `local`: DynamoDB Local and a local key. */
  readonly target: "aws" | "local";
  readonly sessionsTable: string;
  readonly botStateTable: string;
  /** Unset in AWS outside a Lambda: the SDK then takes the region of the operator's profile. */
  readonly region?: string;
  /** Set only for DynamoDB Local. */
  readonly endpoint?: string;
  readonly encryption: EncryptionConfig;
  readonly dataDir: string;
}

/**
 * Where the sessions live and how their strings are protected.
 *
 * The target is `aws` inside a Lambda, or when a table name is set without a local endpoint (an operator's CLI
 * against a deployed stack); otherwise `local`, with default table names and DynamoDB Local. In AWS a missing
 * `KMS_KEY_ID` refuses to start: a local key must never protect production sessions.
 */
/** A deployed stack without `KMS_KEY_ID`: said at start in a Lambda, at the first seal or open in the CLI. */
export function missingKmsKey(): ConfigError {
  return new ConfigError(
    "KMS_KEY_ID",
    `Missing KMS_KEY_ID: ${HINTS.KMS_KEY_ID}. Session strings are never stored under a local key in AWS.`,
  );
}

export function loadStoreConfig(
  env: Env = process.env,
  options: {
    /**
     * Outside a Lambda, a deployed stack's missing `KMS_KEY_ID` is refused when a session is first sealed or opened
     * instead of here (the CLI: `sessions list` decrypts nothing). A Lambda always refuses to start without it.
     */
    readonly keyWhenUsed?: boolean;
  } = {},
): StoreConfig {
  const e = parseEnv(storeShape, env);
  const inLambda = e.AWS_LAMBDA_FUNCTION_NAME !== undefined;
  const target = inLambda || (e.SESSIONS_TABLE !== undefined && !e.DYNAMODB_ENDPOINT) ? "aws" : "local";

  if (target === "aws") {
    if (!e.SESSIONS_TABLE)
      throw new ConfigError("SESSIONS_TABLE", `Missing SESSIONS_TABLE: ${HINTS.SESSIONS_TABLE}.`);
    if (!e.BOT_STATE_TABLE)
      throw new ConfigError("BOT_STATE_TABLE", `Missing BOT_STATE_TABLE: ${HINTS.BOT_STATE_TABLE}.`);
    if (!e.KMS_KEY_ID && !e.DYNAMODB_ENDPOINT && !(options.keyWhenUsed && !inLambda)) throw missingKmsKey();
  }
  const keyLater = target === "aws" && !e.KMS_KEY_ID && !e.DYNAMODB_ENDPOINT;

  const encryption: EncryptionConfig =
    e.KMS_KEY_ID || keyLater
      ? {
          kind: "kms",
          ...(e.KMS_KEY_ID ? { keyId: e.KMS_KEY_ID } : {}),
          ...(e.CONTEXT_KEY_SECRET_ARN ? { contextKeySecretArn: e.CONTEXT_KEY_SECRET_ARN } : {}),
        }
      : {
          kind: "local",
          ...(e.SESSION_ENCRYPTION_KEY ? { key: Buffer.from(e.SESSION_ENCRYPTION_KEY, "base64") } : {}),
          dataDir: e.LOCAL_DATA_DIR,
        };

  return {
    target,
    sessionsTable: e.SESSIONS_TABLE ?? LOCAL_TABLE_NAMES.sessions,
    botStateTable: e.BOT_STATE_TABLE ?? LOCAL_TABLE_NAMES.botState,
    ...(e.AWS_REGION ? { region: e.AWS_REGION } : target === "local" ? { region: "local" } : {}),
    ...(target === "local" ? { endpoint: e.DYNAMODB_ENDPOINT ?? LOCAL_DYNAMODB_ENDPOINT } : {}),
    ...(target === "aws" && e.DYNAMODB_ENDPOINT ? { endpoint: e.DYNAMODB_ENDPOINT } : {}),
    encryption,
    dataDir: e.LOCAL_DATA_DIR,
  };
}

/**
 * MINI_APP_URL: the https address of the Mini App login form (`<HTTP API>/login`, set by the stack). Telegram opens
 * only https pages in a `web_app` button. Unset: no form button (the chat keypad and typed input remain).
 */
export function loadMiniAppUrl(env: Env): string | undefined {
  const raw = env.MINI_APP_URL?.trim();
  if (!raw) return undefined;
  let url: URL;
  try {
    url = new URL(raw);
  } catch {
    throw new ConfigError(
      "MINI_APP_URL",
      `MINI_APP_URL is not a URL ("${raw}"); set it to https://<api>/login or unset it.`,
    );
  }
  if (url.protocol !== "https:" || !url.pathname.endsWith("/login")) {
    throw new ConfigError(
      "MINI_APP_URL",
      `MINI_APP_URL must be an https URL ending in /login (Telegram opens only https pages), not "${raw}".`,
    );
  }
  return url.toString();
}

/** The product's name and version, presented to Telegram by default (see `loadDefaultDeviceIdentity`). */
export const PRODUCT_NAME = "Session Keeper";
export const PRODUCT_VERSION = "0.1.0";

registerHints({
  TELEGRAM_DEVICE_MODEL: "set it to the device name new sessions present to Telegram, e.g. Session Keeper",
  TELEGRAM_SYSTEM_VERSION: "set it to the system version new sessions present to Telegram, e.g. server",
  TELEGRAM_APP_VERSION: "set it to the app version new sessions present to Telegram, e.g. 0.1.0",
  TELEGRAM_LANG_CODE: "set it to a two-letter language code such as en",
  TELEGRAM_SYSTEM_LANG_CODE: "set it to a two-letter language code such as en",
});

const identityText = blankIsUnset(
  z.optional(
    z
      .string()
      .check(z.trim(), z.minLength(1), z.maxLength(64), z.regex(/^[\x20-\x7e]+$/, "must be printable ASCII")),
  ),
);
const langCode = blankIsUnset(
  z.optional(z.string().check(z.regex(/^[a-z]{2}$/, "must be two lowercase letters"))),
);

/**
 * The device identity new sessions get at login or import (each session keeps its own afterwards, whatever these
 * become): honest by default, the product's name and version, never the host's. TELEGRAM_DEVICE_MODEL,
 * TELEGRAM_SYSTEM_VERSION, TELEGRAM_APP_VERSION, TELEGRAM_LANG_CODE and TELEGRAM_SYSTEM_LANG_CODE override a part.
 */
export function loadDefaultDeviceIdentity(env: Env = {}): {
  readonly deviceModel: string;
  readonly systemVersion: string;
  readonly appVersion: string;
  readonly langCode: string;
  readonly systemLangCode: string;
} {
  const e = parseEnv(
    {
      TELEGRAM_DEVICE_MODEL: identityText,
      TELEGRAM_SYSTEM_VERSION: identityText,
      TELEGRAM_APP_VERSION: identityText,
      TELEGRAM_LANG_CODE: langCode,
      TELEGRAM_SYSTEM_LANG_CODE: langCode,
    },
    env,
  );
  return {
    deviceModel: e.TELEGRAM_DEVICE_MODEL ?? PRODUCT_NAME,
    systemVersion: e.TELEGRAM_SYSTEM_VERSION ?? "server",
    appVersion: e.TELEGRAM_APP_VERSION ?? PRODUCT_VERSION,
    langCode: e.TELEGRAM_LANG_CODE ?? "en",
    systemLangCode: e.TELEGRAM_SYSTEM_LANG_CODE ?? e.TELEGRAM_LANG_CODE ?? "en",
  };
}
