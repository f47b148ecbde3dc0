/**
 * The userbot layer (GramJS) for the commands that talk to Telegram as a user: `check`, `add`, `import`. Loaded
 * only when one of them runs, so `sessions list` and `--help` never pay for GramJS. The API id and hash are read
 * first, before anything is touched, so a missing one is one line saying where to get it and nothing changes.
 */
import { createSecretSource } from "../secrets";
import type * as TelegramModule from "../telegram";
import type { UserbotServices } from "../telegram";
import { CliError, UsageError } from "./command";
import type { CliContext } from "./context";

/** Where the commands found it before it moved beside the context that builds the store with it. */
export { cliLogger } from "./context";

export async function loadUserbots(ctx: CliContext): Promise<UserbotServices> {
  // Read first: a missing API_ID/API_HASH stops here, before the store or Telegram is touched.
  await createSecretSource(ctx.env).telegramApi();
  const store = await ctx.store();
  return store.userbots();
}

/** lib/telegram itself (its error classes, the session string parser), loaded on first use like the services. */
export function loadTelegramLayer(): typeof TelegramModule {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  return require("../telegram") as typeof TelegramModule;
}

/**
 * A failure of one use of a session in the operator's words: the session is not active, in a flood wait, Telegram
 * failed or refused (its classified message), or the input was refused before Telegram was asked. Anything else
 * (the store, configuration) is returned as it was, for `errors.ts` to word.
 */
export function userbotFailure(err: unknown): unknown {
  const telegram = loadTelegramLayer();
  if (err instanceof telegram.UserbotFailedError)
    return new CliError(`Telegram could not be asked: ${err.failure.message}. Nothing was changed.`);
  if (err instanceof telegram.SessionNotActiveError || err instanceof telegram.FloodWaitPendingError)
    return new CliError(err.message);
  if (
    err instanceof telegram.InvalidAuthorizationHashError ||
    err instanceof telegram.InvalidTwoFaPasswordError
  )
    return new UsageError(err.message);
  return err;
}
