/**
 * The userbot layer (GramJS) for the commands that talk to Telegram as a user: `check`, `add`, `import`. Loaded
 * only when one of them runs, so `sessions list` and `--help` never pay for GramJS. The API id and hash are read
 * first, before anything is touched, so a missing one is one line saying where to get it and nothing changes.
 */
import { loadDefaultDeviceIdentity, type Env } from "../config";
import { createLogger, type Logger, type LogLevel } from "../log";
import { createSecretSource } from "../secrets";
import type * as TelegramModule from "../telegram";
import type * as TestDc from "../telegram/test-dc";
import type { UserbotServices } from "../telegram";
import type { CliContext } from "./context";

type TelegramLayer = typeof TelegramModule;

/**
 * The CLI's logger: silent by default (the command prints what happened in words), DEBUG with `DEBUG=1`, which then
 * shows the userbot layer's structured lines (secrets masked as everywhere).
 */
export function cliLogger(env: Env): Logger {
  const level: LogLevel = env.DEBUG ? "DEBUG" : "SILENT";
  return createLogger({ service: "cli", level });
}

export async function loadUserbots(ctx: CliContext): Promise<UserbotServices> {
  // Read first: a missing API_ID/API_HASH stops here, before the store or Telegram is touched.
  const credentials = await createSecretSource(ctx.env).telegramApi();
  const store = await ctx.store();
  const telegram = loadTelegramLayer();
  // A test seam (lib/telegram/test-dc.ts): undefined unless a test points the CLI at a loopback DC.
  const createClient = loadTestDc().testDcClientFactory(ctx.env, telegram.createTelegramClient);
  return telegram.createUserbotServices({
    sessions: store.sessions,
    doc: store.doc,
    botStateTable: store.config.botStateTable,
    cipher: store.cipher,
    credentials: () => Promise.resolve(credentials),
    defaultIdentity: loadDefaultDeviceIdentity(ctx.env),
    logger: cliLogger(ctx.env),
    audit: store.audit,
    ...(createClient ? { createClient } : {}),
  });
}

/**
 * lib/telegram (GramJS), loaded on first use. The CLI runs as CommonJS through tsx's require hook
 * (bin/sessions.js), where an `import()` of our own TypeScript source does not resolve; a `require` inside a
 * function keeps the load as lazy.
 */
export function loadTelegramLayer(): TelegramLayer {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("../telegram") as TelegramLayer;
}

function loadTestDc(): typeof TestDc {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("../telegram/test-dc") as typeof TestDc;
}
