/**
 * Opening a userbot for one job, the only way this system talks to Telegram as a user: a fresh GramJS client per
 * job, `connect()` checked (it returns false instead of throwing), the job raced against a hard deadline, and
 * `destroy()` in `finally`. `disconnect()` would leave GramJS's ping loop running into the next Lambda invocation;
 * `destroy()` stops it.
 *
 * The client is built through an injectable factory: tests plug in a client whose network is replaced, and the
 * loopback data centre plugs in the real transport pointed at itself.
 */
import { TelegramClient } from "telegram";
import { Logger as GramLogger, LogLevel } from "telegram/extensions/Logger";
import { StringSession } from "telegram/sessions";
import type { TelegramClientParams } from "telegram/client/telegramBaseClient";
import type { TelegramApiCredentials } from "../secrets";
import { ConnectFailedError, DeadlineExceededError } from "./errors";

export { TelegramClient, StringSession };
export type { TelegramClientParams };

/** Builds the client for one job. The default is GramJS's own `new TelegramClient(...)`. */
export type CreateClient = (
  session: StringSession,
  apiId: number,
  apiHash: string,
  params: TelegramClientParams,
) => TelegramClient;

export const createTelegramClient: CreateClient = (session, apiId, apiHash, params) =>
  new TelegramClient(session, apiId, apiHash, params);

/** How long `destroy()` may take before we stop waiting for it (it normally takes a few ms). */
export const DESTROY_GRACE_MS = 5_000;

/**
 * Client settings for a short-lived job in a Lambda: few retries so a dead network fails fast, and no flood
 * sleeping (GramJS would otherwise sleep up to 60 s inside `invoke` on FLOOD_WAIT; we record the wait instead).
 * GramJS's own logger is silenced: it logs "Running gramJS version" on construction and raw errors to the console;
 * everything that matters reaches our structured logs through the errors it throws.
 */
export function clientParams(): TelegramClientParams {
  return {
    connectionRetries: 2,
    requestRetries: 2,
    retryDelay: 500,
    reconnectRetries: 1,
    floodSleepThreshold: 0,
    baseLogger: new GramLogger(LogLevel.NONE),
  };
}

/** What a job gets: the connected client and the session object whose `save()` gives the current string. */
export interface OpenUserbot {
  readonly client: TelegramClient;
  readonly session: StringSession;
}

export interface OneShotOptions {
  readonly createClient: CreateClient;
  /** Hard limit on connect + job, in ms. The client is destroyed when it passes. */
  readonly deadlineMs: number;
}

/**
 * Connects a client on `sessionString` ("" for a new login), runs `job`, and destroys the client whatever happens.
 * Rejects with `ConnectFailedError` when GramJS could not connect, `DeadlineExceededError` when the deadline
 * passed first, or whatever the job threw (GramJS's RPC errors as they are).
 */
export async function runOneShot<T>(
  sessionString: string,
  credentials: TelegramApiCredentials,
  job: (userbot: OpenUserbot) => Promise<T>,
  options: OneShotOptions,
): Promise<T> {
  const session = new StringSession(sessionString);
  const client = options.createClient(session, credentials.apiId, credentials.apiHash, clientParams());
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceededError(options.deadlineMs)), options.deadlineMs);
  });
  const work = (async () => {
    if (!(await client.connect())) throw new ConnectFailedError();
    return job({ client, session });
  })();
  // A job abandoned at the deadline may still reject later; that rejection has already been accounted for.
  work.catch(() => undefined);
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
    await destroyWithin(client, DESTROY_GRACE_MS);
  }
}

/** `destroy()`, but never waits longer than `graceMs`, and never throws: the job's outcome is what matters. */
async function destroyWithin(client: TelegramClient, graceMs: number): Promise<void> {
  let timer: NodeJS.Timeout | undefined;
  try {
    await Promise.race([
      client.destroy().catch(() => undefined),
      new Promise<void>((resolve) => {
        timer = setTimeout(resolve, graceMs);
      }),
    ]);
  } finally {
    clearTimeout(timer);
  }
}
