/**
 * The secrets every part needs: the bot token, the Telegram API id and hash, and the webhook secret.
 *
 * In AWS they live in Secrets Manager and reach a function as references (`APP_SECRET_ARN`, a JSON secret with
 * `BOT_TOKEN`, `API_ID`, `API_HASH`; `WEBHOOK_SECRET_ARN`, a generated string), read at run time through
 * Powertools Parameters and cached for `SECRETS_MAX_AGE_SECONDS`. Never as plain environment variables.
 * On a developer machine they come from the environment (`.env`).
 *
 * Each getter asks only for what its caller needs, so the webhook answering a button press never needs the API
 * hash, and `npm run dev` starts with only `BOT_TOKEN` set (`API_ID`/`API_HASH` are asked for when a login starts).
 */
import { ConfigError, parseEnv, registerHints, type Env } from "./config";
import * as z from "./zod";
import { registerSecret } from "./log";

registerHints({
  BOT_TOKEN: "create a bot with @BotFather in Telegram (/newbot) and set BOT_TOKEN to the token it gives",
  API_ID: "get it at my.telegram.org → API development tools, and set API_ID to the number shown",
  API_HASH: "get it at my.telegram.org → API development tools, and set API_HASH to the 32-character hash",
  WEBHOOK_SECRET:
    "set it to 16+ random letters/digits (openssl rand -hex 24); Telegram sends it back in a header",
  APP_SECRET_ARN: "set it to the ARN of the app secret (the stack output AppSecretArn)",
  WEBHOOK_SECRET_ARN: "set it to the ARN of the webhook secret (the stack output WebhookSecretArn)",
});

export interface TelegramApiCredentials {
  readonly apiId: number;
  readonly apiHash: string;
}

const botToken = z.string().check(z.regex(/^\d{5,16}:[A-Za-z0-9_-]{30,}$/, "does not look like a bot token"));
const apiId = z.pipe(z.coerce.number(), z.int().check(z.positive("must be a positive number")));
const apiHash = z.string().check(z.regex(/^[a-f0-9]{32}$/i, "must be 32 hexadecimal characters"));
const webhookSecret = z
  .string()
  .check(z.regex(/^[A-Za-z0-9_-]{16,256}$/, "must be 16–256 of A-Z a-z 0-9 _ -"));

const appSecretJson = z.object({
  BOT_TOKEN: botToken,
  API_ID: z.optional(apiId),
  API_HASH: z.optional(apiHash),
});

export interface SecretSource {
  botToken(): Promise<string>;
  telegramApi(): Promise<TelegramApiCredentials>;
  /** The webhook secret; `fresh` reads it again past the cache (the webhook does so once after a mismatch). */
  webhookSecret(options?: { readonly fresh?: boolean }): Promise<string>;
}

/** Telegram's `secret_token` allows 1–256 of these; we ask for at least 16 so it cannot be guessed. */
const WEBHOOK_SECRET_CHARSET = /^[A-Za-z0-9_-]*$/;
export const WEBHOOK_SECRET_MIN_LENGTH = 16;
const WEBHOOK_SECRET_MAX_LENGTH = 256;

/**
 * Checks a webhook secret read from Secrets Manager and says what is wrong with it without echoing it: blank, too
 * short, too long, or with characters Telegram refuses in `secret_token` (setWebhook would fail, or every update
 * would be refused with 401).
 */
export function checkWebhookSecret(value: unknown, arn: string): string {
  const fix =
    `Put a new one with aws secretsmanager put-secret-value --secret-id ${arn} ` +
    `--secret-string "$(openssl rand -hex 24)", then run npm run webhook:set.`;
  const fail = (what: string) =>
    new ConfigError("WEBHOOK_SECRET_ARN", `The webhook secret in ${arn} ${what}. ${fix}`);
  if (typeof value !== "string" || value.trim() === "") throw fail("is blank");
  if (!WEBHOOK_SECRET_CHARSET.test(value))
    throw fail("has characters Telegram refuses in a secret token (it allows only A-Z a-z 0-9 _ -)");
  if (value.length < WEBHOOK_SECRET_MIN_LENGTH)
    throw fail(`is ${value.length} characters long; it needs at least ${WEBHOOK_SECRET_MIN_LENGTH}`);
  if (value.length > WEBHOOK_SECRET_MAX_LENGTH)
    throw fail(`is ${value.length} characters long; Telegram allows at most ${WEBHOOK_SECRET_MAX_LENGTH}`);
  return value;
}

function maxAge(env: Env): number {
  return Number(env.SECRETS_MAX_AGE_SECONDS ?? 300);
}

/** Secrets from Secrets Manager (in AWS: whenever `APP_SECRET_ARN` is set). */
export function secretsManagerSource(env: Env = process.env): SecretSource {
  const { APP_SECRET_ARN, WEBHOOK_SECRET_ARN } = parseEnv(
    {
      APP_SECRET_ARN: z.string().check(z.minLength(1)),
      WEBHOOK_SECRET_ARN: z.optional(z.string().check(z.minLength(1))),
    },
    env,
  );
  const app = async () => {
    // Loaded lazily: only functions that need a secret pay for the Secrets Manager client.
    const { getSecret } = await import("@aws-lambda-powertools/parameters/secrets");
    const raw = await getSecret(APP_SECRET_ARN, { transform: "json", maxAge: maxAge(env) });
    const parsed = appSecretJson.safeParse(raw);
    if (!parsed.success) {
      const variable = String(parsed.error.issues[0]?.path[0] ?? "BOT_TOKEN");
      throw new ConfigError(
        variable,
        `The app secret ${APP_SECRET_ARN} has no valid ${variable}: put it with ` +
          `aws secretsmanager put-secret-value --secret-id ${APP_SECRET_ARN} --secret-string '{"BOT_TOKEN":"…","API_ID":"…","API_HASH":"…"}'.`,
      );
    }
    registerSecret(parsed.data.BOT_TOKEN);
    if (parsed.data.API_HASH) registerSecret(parsed.data.API_HASH);
    return parsed.data;
  };
  return {
    botToken: async () => (await app()).BOT_TOKEN,
    telegramApi: async () => {
      const a = await app();
      if (!a.API_ID || !a.API_HASH) {
        throw new ConfigError(
          "API_ID",
          `The app secret ${APP_SECRET_ARN} has no API_ID/API_HASH: add them (my.telegram.org).`,
        );
      }
      return { apiId: a.API_ID, apiHash: a.API_HASH };
    },
    webhookSecret: async (options = {}) => {
      if (!WEBHOOK_SECRET_ARN) throw new ConfigError("WEBHOOK_SECRET_ARN", "Missing WEBHOOK_SECRET_ARN.");
      const { getSecret } = await import("@aws-lambda-powertools/parameters/secrets");
      const raw = await getSecret(WEBHOOK_SECRET_ARN, {
        maxAge: maxAge(env),
        ...(options.fresh ? { forceFetch: true } : {}),
      });
      // Masked before it is judged: even a malformed value is someone's secret.
      if (typeof raw === "string") registerSecret(raw);
      return checkWebhookSecret(raw, WEBHOOK_SECRET_ARN);
    },
  };
}

/** Secrets from the environment (`.env` on a developer machine, tests). */
export function environmentSource(env: Env = process.env): SecretSource {
  return {
    botToken: () => {
      const v = parseEnv({ BOT_TOKEN: botToken }, env).BOT_TOKEN;
      registerSecret(v);
      return Promise.resolve(v);
    },
    telegramApi: () => {
      const v = parseEnv({ API_ID: apiId, API_HASH: apiHash }, env);
      registerSecret(v.API_HASH);
      return Promise.resolve({ apiId: v.API_ID, apiHash: v.API_HASH });
    },
    webhookSecret: () => {
      const v = parseEnv({ WEBHOOK_SECRET: webhookSecret }, env).WEBHOOK_SECRET;
      registerSecret(v);
      return Promise.resolve(v);
    },
  };
}

/** Secrets Manager when `APP_SECRET_ARN` is set, else the environment. */
export function createSecretSource(env: Env = process.env): SecretSource {
  return env.APP_SECRET_ARN ? secretsManagerSource(env) : environmentSource(env);
}
