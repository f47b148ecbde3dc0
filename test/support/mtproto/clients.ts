/**
 * Test-side helpers around the loopback DC: real TelegramClients with the settings a Lambda uses, tracked so that
 * a test file can destroy every one it opened, and a deadline race that never leaves its timer behind.
 */
import { Api, type TelegramClient } from "telegram";
import { RPCError } from "telegram/errors";
import type { TelegramClientParams } from "telegram/client/telegramBaseClient";
import { StringSession } from "telegram/sessions";
import type { LoopbackDc } from "./loopback-dc";

/** Few retries and no flood sleep, as in production (docs: notes/gramjs-in-lambda.md §4.2). */
export const LAMBDA_CLIENT_PARAMS: TelegramClientParams = {
  connectionRetries: 1,
  reconnectRetries: 1,
  retryDelay: 100,
  requestRetries: 1,
  floodSleepThreshold: 0,
};

export class ClientPool {
  private readonly open = new Set<TelegramClient>();

  constructor(private readonly dc: LoopbackDc) {}

  /** A client on `sessionString` ("" for a new key), not yet connected. */
  client(sessionString: string, session = new StringSession(sessionString)): TelegramClient {
    const client = this.dc.createClient(session, 1, "loopback-api-hash", { ...LAMBDA_CLIENT_PARAMS });
    this.open.add(client);
    return client;
  }

  /** A connected client; fails the test if connect() reports failure. */
  async connected(
    sessionString: string,
    session = new StringSession(sessionString),
  ): Promise<TelegramClient> {
    const client = this.client(sessionString, session);
    if (!(await client.connect())) throw new Error("connect() returned false");
    return client;
  }

  /**
   * getMe (`users.getUsers` of self) with `sessionString` on a fresh client: the user's id, or Telegram's error name
   * (`AUTH_KEY_UNREGISTERED` for a key logged out). `destroyAll`: every client of the pool is destroyed afterwards
   * (otherwise the test's own cleanup does it).
   */
  async getMe(sessionString: string, options: { readonly destroyAll?: boolean } = {}): Promise<string> {
    const client = await this.connected(sessionString);
    try {
      const [me] = await client.invoke(new Api.users.GetUsers({ id: [new Api.InputUserSelf()] }));
      return me instanceof Api.User ? me.id.toString() : "no user";
    } catch (err) {
      if (err instanceof RPCError) return err.errorMessage;
      throw err;
    } finally {
      if (options.destroyAll) await this.destroyAll();
    }
  }

  async destroyAll(): Promise<void> {
    const clients = [...this.open];
    this.open.clear();
    await Promise.all(clients.map((c) => c.destroy()));
  }
}

export type Settled<T> = { readonly value: T } | { readonly error: unknown } | "deadline";

/** Races `work` against `ms`; the timer is cleared either way. */
export async function within<T>(work: Promise<T>, ms: number): Promise<Settled<T>> {
  let timer: NodeJS.Timeout | undefined;
  const deadline = new Promise<"deadline">((resolve) => {
    timer = setTimeout(() => resolve("deadline"), ms);
  });
  try {
    return await Promise.race([
      work.then(
        (value) => ({ value }),
        (error: unknown) => ({ error }),
      ),
      deadline,
    ]);
  } finally {
    clearTimeout(timer);
  }
}
