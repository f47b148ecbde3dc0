/**
 * Opening a userbot for one job, the only way this system talks to Telegram as a user: a fresh GramJS client per
 * job, `connect()` checked (it returns false instead of throwing), the job raced against a hard deadline, and
 * `destroy()` in `finally`. `disconnect()` would leave GramJS's ping loop running into the next Lambda invocation;
 * `destroy()` stops it.
 *
 * `destroy()` alone is not enough when Telegram dropped the link: GramJS 2.26.22's `MTProtoSender.reconnect()`
 * schedules `_reconnect()` after a 1 s sleep that nothing cancels, so a `destroy()` in that second is undone (a new
 * socket opens and lives ~9 s, or for ever if the server keeps dropping), on one auth key that the next holder of
 * the lease may already be using (AUTH_KEY_DUPLICATED). Every client therefore gets its own socket class that
 * refuses to connect once we start destroying it (`guardedSockets`); proven against GramJS's real transport in
 * test/integration/telegram-dc-deadlines.test.ts.
 *
 * A session whose key Telegram erased altogether gets a transport error -404; GramJS 2.26.22 then stops reading
 * without rejecting the pending request, so `connect()` never settles and only our deadline ends the job. It
 * arrives as `DeadlineExceededError` (TIMEOUT, transient): GramJS gives no way to tell it from a slow Telegram, so
 * one such check is not a death; the run of failures (3 by default) marks the session `error`.
 *
 * The client is built through an injectable factory: tests plug in a client whose network is replaced, and the
 * loopback data centre plugs in the real transport pointed at itself.
 */
import { TelegramClient } from "telegram";
import { PromisedNetSockets } from "telegram/extensions";
import { Logger as GramLogger, LogLevel } from "telegram/extensions/Logger";
import { StringSession } from "telegram/sessions";
import type { TelegramClientParams } from "telegram/client/telegramBaseClient";
import { pinTelegramAddress, profileParams, type ConnectionProfile } from "./connection";
import { ConnectFailedError, DeadlineExceededError, ProxyFailedError } from "./errors";

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
 * Connects a client on `sessionString` ("" for a new login) as `profile` says (its identity, API id, proxy, and
 * Telegram's address for its DC id, whatever the string names), runs `job`, and destroys the client whatever
 * happens. Rejects with `ConnectFailedError` when GramJS could not connect (`ProxyFailedError` through a proxy),
 * `DeadlineExceededError` when the deadline passed first, or whatever the job threw (GramJS's RPC errors as they
 * are).
 */
export async function runOneShot<T>(
  sessionString: string,
  profile: ConnectionProfile,
  job: (userbot: OpenUserbot) => Promise<T>,
  options: OneShotOptions,
): Promise<T> {
  const session = new StringSession(sessionString);
  pinTelegramAddress(session, profile.testServers);
  const guard = { destroying: false };
  const client = options.createClient(session, profile.apiId, profile.apiHash, {
    ...clientParams(),
    ...profileParams(profile),
    networkSocket: guardedSockets(guard),
  });
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<never>((_, reject) => {
    timer = setTimeout(() => reject(new DeadlineExceededError(options.deadlineMs)), options.deadlineMs);
  });
  const work = (async () => {
    let connected: boolean;
    try {
      connected = await client.connect();
    } catch (err) {
      // GramJS's SOCKS client throws its own errors; their text may quote the proxy, so only the kind is kept.
      if (profile.proxy) throw new ProxyFailedError();
      throw err;
    }
    if (!connected) throw profile.proxy ? new ProxyFailedError() : new ConnectFailedError();
    return job({ client, session });
  })();
  // A job abandoned at the deadline may still reject later; that rejection has already been accounted for.
  work.catch(() => undefined);
  try {
    return await Promise.race([work, deadline]);
  } finally {
    clearTimeout(timer);
    guard.destroying = true;
    await destroyWithin(client, DESTROY_GRACE_MS);
  }
}

/** Thrown into GramJS by a socket of a client being destroyed; GramJS logs it (silenced) and gives up. */
export class ClientDestroyedError extends Error {
  constructor() {
    super("The Telegram client was destroyed; not reconnecting.");
    this.name = "ClientDestroyedError";
  }
}

/**
 * GramJS's own TCP socket class, for one client: once `guard.destroying` is set it refuses every new connection,
 * so GramJS's uncancellable reconnect (see the top of this file) fails at once instead of reopening the link. A
 * connection already being opened when destroy starts is closed as soon as it is up.
 */
export function guardedSockets(guard: { readonly destroying: boolean }): typeof PromisedNetSockets {
  return class GuardedSockets extends PromisedNetSockets {
    override async connect(port: number, ip: string): Promise<unknown> {
      if (guard.destroying) throw new ClientDestroyedError();
      const connected = await super.connect(port, ip);
      if (guard.destroying) {
        await this.close();
        throw new ClientDestroyedError();
      }
      return connected;
    }
  };
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
