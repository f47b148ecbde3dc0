import { beforeAll, describe, expect, it } from "vitest";
import { SessionImportFailedError, WrongAccountError } from "../../lib/telegram";
import { InvalidSessionStringError } from "../../lib/telegram/session-string";
import { createTestStore, type TestStore } from "../support/dynamo";
import { harness, newPhone, seedSession } from "../support/fake-telegram-harness";
import { pyrogramString, telethonString } from "../support/fake-telegram-strings";

let store: TestStore;
beforeAll(async () => {
  store = await createTestStore();
});

const check = { deadlineMs: 5_000, actor: "test" };

describe("importing a session string", () => {
  it.each([
    ["GramJS", async (h: ReturnType<typeof harness>, phone: string) => h.fake.sessionFor(phone, 2)],
    [
      "Telethon",
      async (h: ReturnType<typeof harness>, phone: string) =>
        telethonString(2, "149.154.167.51", 443, h.fake.signedInKey(phone, 2)),
    ],
    [
      "Pyrogram",
      async (h: ReturnType<typeof harness>, phone: string) => pyrogramString(2, h.fake.signedInKey(phone, 2)),
    ],
  ])("stores a working %s session after proving it with getMe", async (_format, make) => {
    const h = harness(store);
    const phone = newPhone();
    h.fake.addAccount({ phone, userId: 4242, username: "imported" });

    const { session } = await h.services.userbots.importSession(phone, await make(h, phone), "cli:ops");

    expect(session).toMatchObject({
      phone,
      status: "active",
      account: { userId: "4242", username: "imported" },
    });
    expect(h.fake.calls.map((c) => c.request)).toEqual(["users.GetUsers"]);
    expect(await h.another().userbots.checkSession(phone, check)).toMatchObject({ outcome: "healthy" });
    const audit = await h.audit.day(new Date().toISOString().slice(0, 10));
    expect(audit).toContainEqual(
      expect.objectContaining({ action: "session.imported", phone, actor: "cli:ops" }),
    );
  });

  it("stores nothing when Telegram refuses the string, and says why", async () => {
    const h = harness(store);
    const phone = newPhone();
    h.fake.addAccount({ phone, userId: 1 });
    const dead = await h.fake.sessionFor(phone);
    h.fake.revokeAll(phone);

    const error = await h.services.userbots.importSession(phone, dead, "cli:ops").catch((e: unknown) => e);

    expect(error).toBeInstanceOf(SessionImportFailedError);
    expect((error as Error).message).toMatch(
      /AUTH_KEY_UNREGISTERED: session expired or revoked; log in again/,
    );
    expect(await h.sessions.get(phone)).toBeUndefined();
  });

  it("refuses a string that logs in as another phone's account", async () => {
    const h = harness(store);
    const phone = newPhone();
    const other = newPhone();
    h.fake.addAccount({ phone: other, userId: 2 });
    const error = await h.services.userbots
      .importSession(phone, await h.fake.sessionFor(other), "cli:ops")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(WrongAccountError);
    expect(await h.sessions.get(phone)).toBeUndefined();
  });

  it("refuses what is not a session string without connecting", async () => {
    const h = harness(store);
    const error = await h.services.userbots
      .importSession(newPhone(), "not a session", "cli:ops")
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(InvalidSessionStringError);
    expect(h.fake.stats.created).toBe(0);
  });

  it("replaces the session of a phone that has one", async () => {
    const h = harness(store);
    const phone = await seedSession(h);
    const oldString = await h.sessions.readSessionString(phone);
    const fresh = await h.fake.sessionFor(phone);
    const imported = await h.services.userbots.importSession(phone, fresh, "cli:ops");
    expect(imported).toMatchObject({ session: { status: "active" }, replaced: true });
    // The old key is logged out once the new one is stored (the fake ends a logged-in key on auth.LogOut).
    expect(imported.previousKey).toEqual({ outcome: "logged-out" });
    expect(await h.sessions.readSessionString(phone)).toBe(fresh);
    expect(fresh).not.toBe(oldString);
  });
});
