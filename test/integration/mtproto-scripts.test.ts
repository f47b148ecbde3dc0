/**
 * Scripting the loopback DC per account and per method, and the protocol behaviour a real client meets on the way,
 * all through GramJS's real TelegramClient.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Api } from "telegram";
import { FloodWaitError, RPCError } from "telegram/errors";
import { returnBigInt } from "telegram/Helpers";
import { ClientPool, within } from "../support/mtproto/clients";
import { startLoopbackDc, type LoopbackDc } from "../support/mtproto/loopback-dc";

let dc: LoopbackDc;
let clients: ClientPool;

beforeAll(async () => {
  dc = await startLoopbackDc();
  clients = new ClientPool(dc);
});
afterEach(async () => {
  await clients.destroyAll();
  dc.clearScripts();
});
afterAll(async () => {
  await dc?.stop();
});

let nextUser = 7000;
function account() {
  nextUser += 1;
  const phone = `+44770${String(nextUser).padStart(7, "0")}`;
  const spec = { phone, userId: nextUser, firstName: `User${nextUser}` };
  return { ...spec, ...dc.addAccount(spec) };
}

describe("protocol", () => {
  it("takes a client through bad_server_salt, new_session_created and a gzip_packed config on connect", async () => {
    const ali = account();
    const before = dc.stats();

    const client = await clients.connected(ali.sessionString);
    await client.getMe();

    const after = dc.stats();
    // GramJS starts with salt 0, so its first message is refused once and resent with the DC's salt.
    expect(after.badServerSalts - before.badServerSalts).toBe(1);
    expect(after.newSessions - before.newSessions).toBe(1);
    expect(after.gzipPacked - before.gzipPacked).toBe(1);
    expect(after.requestsAnswered - before.requestsAnswered).toBe(2);
  });
});

describe("pings", () => {
  it("answers ping_delay_disconnect with a pong, closes the link when no ping follows in time, and GramJS reconnects", async () => {
    const ali = account();
    const client = await clients.connected(ali.sessionString);

    const pong = await client.invoke(
      new Api.PingDelayDisconnect({ pingId: returnBigInt(42), disconnectDelay: 1 }),
    );

    expect(pong).toBeInstanceOf(Api.Pong);
    expect(pong.pingId.toString()).toBe("42");
    await waitUntil(() => dc.keyState(ali.sessionString).openConnections === 0, 3_000);
    // GramJS reconnects by itself (after 1 s); waiting for it lets afterEach's destroy() close that link too, instead
    // of GramJS opening it after destroy() and keeping it until its update loop's next tick.
    await waitUntil(() => dc.keyState(ali.sessionString).openConnections === 1, 3_000);
  });
});

describe("scripted RPC errors", () => {
  it("answers one account's users.GetUsers with the scripted error and leaves other accounts alone", async () => {
    const ali = account();
    const bob = account();
    dc.script(ali.phone, { method: "users.GetUsers", error: { code: 420, message: "FLOOD_WAIT_30" } });
    const aliClient = await clients.connected(ali.sessionString);
    const bobClient = await clients.connected(bob.sessionString);

    const error = await aliClient.getMe().catch((err: unknown) => err);

    expect(error).toBeInstanceOf(FloodWaitError);
    expect(error).toMatchObject({ code: 420, seconds: 30 });
    expect((await bobClient.getMe()).id.toString()).toBe(String(bob.userId));
  });

  it("addresses an account by user id too, and `times` limits how often a rule applies", async () => {
    const ali = account();
    dc.script(ali.userId, { method: "users.GetUsers", error: { code: 500, message: "INTERNAL" }, times: 1 });
    const client = await clients.connected(ali.sessionString);

    const first = await client.getMe().catch((err: unknown) => err);

    expect(first).toBeInstanceOf(RPCError);
    expect(first).toMatchObject({ code: 500, errorMessage: "INTERNAL" });
    expect((await client.getMe()).id.toString()).toBe(String(ali.userId));
  });

  it("fails connect() itself when the error is scripted on help.GetConfig (what connect sends)", async () => {
    const ali = account();
    dc.script(ali.phone, { method: "help.GetConfig", error: { code: 401, message: "SESSION_REVOKED" } });
    const client = clients.client(ali.sessionString);

    await expect(client.connect()).rejects.toMatchObject({ code: 401, errorMessage: "SESSION_REVOKED" });
  });
});

describe("scripted timing", () => {
  it("answers getMe after the scripted delay", async () => {
    const ali = account();
    dc.script(ali.phone, { method: "users.GetUsers", delayMs: 300 });
    const client = await clients.connected(ali.sessionString);

    const started = performance.now();
    const me = await client.getMe();
    const elapsed = performance.now() - started;

    expect(me.id.toString()).toBe(String(ali.userId));
    expect(elapsed).toBeGreaterThanOrEqual(295);
    expect(elapsed).toBeLessThan(3_000); // the delay is applied once, not per retry (loose: a loaded machine)
  });

  it("reads a silent account's request and never answers it", async () => {
    const ali = account();
    dc.script(ali.phone, { method: "users.GetUsers", silent: true });
    const client = await clients.connected(ali.sessionString);

    expect(await within(client.getMe(), 700)).toBe("deadline");
  });

  it("drops the connection mid-call; GramJS reconnects on its own and gets its answer on the new link", async () => {
    const ali = account();
    dc.script(ali.phone, { method: "users.GetUsers", drop: true, times: 1 });
    const client = await clients.connected(ali.sessionString);
    const accepted = dc.stats().connectionsAccepted;

    const outcome = await within(client.getMe(), 5_000);

    expect(outcome).toMatchObject({ value: expect.any(Api.User) });
    expect(dc.stats().connectionsAccepted).toBe(accepted + 1);
  });
});

describe("one auth key on two connections at once", () => {
  it("kills the key with 406 AUTH_KEY_DUPLICATED, for the second connection and then for the first", async () => {
    const ali = account();
    const first = await clients.connected(ali.sessionString);
    await first.getMe();

    const second = clients.client(ali.sessionString);
    const error = await second.connect().catch((err: unknown) => err);

    expect(error).toBeInstanceOf(RPCError);
    expect(error).toMatchObject({ code: 406, errorMessage: "AUTH_KEY_DUPLICATED" });
    expect((error as Error).message).toBe("406: AUTH_KEY_DUPLICATED (caused by InvokeWithLayer)");
    await expect(first.getMe()).rejects.toMatchObject({ code: 406, errorMessage: "AUTH_KEY_DUPLICATED" });
    expect(dc.keyState(ali.sessionString).duplicated).toBe(true);
  });

  it("lets the same key connect again after the first client was destroyed", async () => {
    const ali = account();
    const first = await clients.connected(ali.sessionString);
    await first.getMe();
    await first.destroy();
    await waitUntil(() => dc.keyState(ali.sessionString).openConnections === 0);

    const second = await clients.connected(ali.sessionString);

    expect((await second.getMe()).id.toString()).toBe(String(ali.userId));
  });
});

async function waitUntil(condition: () => boolean, timeoutMs = 2_000): Promise<void> {
  const until = Date.now() + timeoutMs;
  while (!condition()) {
    if (Date.now() > until) throw new Error("condition not met in time");
    await new Promise((resolve) => setTimeout(resolve, 10));
  }
}
