/**
 * The loopback DC through GramJS's real TelegramClient: a stored session that works, one whose key was revoked
 * (the seed's AUTH_KEY_UNREGISTERED), one the DC never heard of, and a brand-new key from an empty session.
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import { Api } from "telegram";
import { RPCError } from "telegram/errors";
import { StringSession } from "telegram/sessions";
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

let nextUser = 5000;
function account(overrides: { password?: string } = {}) {
  nextUser += 1;
  const phone = `+99890${String(nextUser).padStart(7, "0")}`;
  const spec = {
    phone,
    userId: nextUser,
    firstName: `User${nextUser}`,
    username: `user${nextUser}`,
    ...overrides,
  };
  return { ...spec, ...dc.addAccount(spec) };
}

describe("a stored session", () => {
  it("does getMe and gets the account the key is logged in as", async () => {
    const ali = account();
    const client = await clients.connected(ali.sessionString);

    const me = await client.getMe();

    expect(me).toBeInstanceOf(Api.User);
    expect(me.id.toString()).toBe(String(ali.userId));
    expect(me.firstName).toBe(ali.firstName);
    expect(me.username).toBe(ali.username);
    expect(me.self).toBe(true);
    expect(me.phone).toBe(ali.phone.slice(1));
  });

  it("answers 401 AUTH_KEY_UNREGISTERED to users.GetUsers once the DC forgot the key (the seed's error)", async () => {
    const ali = account();
    dc.forget(ali.phone);
    const client = await clients.connected(ali.sessionString);

    const error = await client.getMe().catch((err: unknown) => err);

    expect(error).toBeInstanceOf(RPCError);
    expect(error).toMatchObject({ code: 401, errorMessage: "AUTH_KEY_UNREGISTERED" });
    expect((error as Error).message).toBe("401: AUTH_KEY_UNREGISTERED (caused by users.GetUsers)");
  });

  it("forgets one session's key without touching the account's other devices", async () => {
    const ali = account();
    const phone2 = dc.issueSession(ali.phone);
    dc.forget({ sessionString: ali.sessionString });

    const forgotten = await clients.connected(ali.sessionString);
    const other = await clients.connected(phone2.sessionString);

    await expect(forgotten.getMe()).rejects.toMatchObject({ errorMessage: "AUTH_KEY_UNREGISTERED" });
    expect((await other.getMe()).id.toString()).toBe(String(ali.userId));
  });

  it("logs out with auth.LogOut: the same key then answers AUTH_KEY_UNREGISTERED", async () => {
    const ali = account();
    const client = await clients.connected(ali.sessionString);

    expect(await client.invoke(new Api.auth.LogOut())).toBeInstanceOf(Api.auth.LoggedOut);

    await expect(client.getMe()).rejects.toMatchObject({ code: 401, errorMessage: "AUTH_KEY_UNREGISTERED" });
    expect(dc.keyState(ali.sessionString)).toMatchObject({ known: true, loggedInAs: undefined });
  });

  it("answers a method it does not implement with 400 METHOD_INVALID", async () => {
    const ali = account();
    const client = await clients.connected(ali.sessionString);

    await expect(client.invoke(new Api.help.GetNearestDc())).rejects.toMatchObject({
      code: 400,
      errorMessage: "METHOD_INVALID",
    });
  });

  it("sends a transport -404 for a key it never knew: GramJS's connect() then never settles (callers need a deadline)", async () => {
    const ali = account();
    dc.forget(ali.phone, "erase");
    expect(dc.keyState(ali.sessionString).known).toBe(false);
    const client = clients.client(ali.sessionString);

    const outcome = await within(client.connect(), 1_000);

    expect(outcome).toBe("deadline");
  });
});

describe("an empty StringSession", () => {
  it("completes the DH key exchange against the test RSA key, and the new key is known but not logged in", async () => {
    const session = new StringSession("");
    const client = await clients.connected("", session);

    const saved = session.save();
    expect(saved).not.toBe("");
    expect(dc.keyState(saved)).toMatchObject({ known: true, loggedInAs: undefined, duplicated: false });
    await expect(client.getMe()).rejects.toMatchObject({ code: 401, errorMessage: "AUTH_KEY_UNREGISTERED" });
  });
});
