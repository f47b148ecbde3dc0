/**
 * What the daily check keeps of the account's security (issue 16), through the real check (`checkSession`), GramJS's
 * real client, the loopback DC and DynamoDB Local: the fingerprint of the other authorizations and the 2FA posture
 * on the row, a login added at the DC between two checks reported by exactly one check, and the cost of the check
 * (one call more than before: account.getPassword).
 */
import { afterAll, afterEach, beforeAll, describe, expect, it } from "vitest";
import type { Api } from "telegram";
import type { CreateClient } from "../../lib/telegram";
import { createTestStore, type TestStore } from "../support/dynamo";
import { dcHarness, seedDcSession, type DcHarness } from "../support/mtproto/dc-harness";
import { startLoopbackDc, type LoopbackDc } from "../support/mtproto/loopback-dc";

let store: TestStore;
let dc: LoopbackDc;
let h: DcHarness;

beforeAll(async () => {
  [store, dc] = await Promise.all([createTestStore(), startLoopbackDc()]);
  h = dcHarness(store, dc);
});
afterEach(() => dc.clearScripts());
afterAll(async () => {
  await dc?.stop();
});

const check = { deadlineMs: 8_000, actor: "health-check:watch-test" };
const HOUR = 3_600_000;

describe("the daily check watches the account's logins", () => {
  it("takes the first set as the baseline, reports a login added at the DC once, and keeps the set on the row", async () => {
    const ali = await seedDcSession(h);
    dc.setKeyCreatedAt({ sessionString: ali.sessionString }, new Date(Date.now() - 30 * HOUR));
    const ipad = dc.addAuthorization(ali.phone, { deviceModel: "iPad", appName: "Telegram iOS" });

    const first = await h.services.userbots.checkSession(ali.phone, check);
    expect(first).toMatchObject({ outcome: "healthy" });
    expect(first).not.toHaveProperty("newLogins");
    const baseline = await h.sessions.require(ali.phone);
    expect(baseline.authorizations?.fingerprint).toEqual([String(ipad)]);
    expect(baseline.twoFa).toMatchObject({ hasPassword: false });

    const intruder = dc.addAuthorization(ali.phone, {
      deviceModel: "Xiaomi 13",
      appName: "Telegram Android",
      appVersion: "11.2.3",
      country: "Netherlands",
    });
    const second = await h.another().userbots.checkSession(ali.phone, check);
    const third = await h.another().userbots.checkSession(ali.phone, check);

    expect(second).toMatchObject({
      outcome: "healthy",
      newLogins: {
        authorizations: [
          {
            hash: String(intruder),
            deviceModel: "Xiaomi 13",
            appName: "Telegram Android",
            country: "Netherlands",
          },
        ],
      },
    });
    // Our key is 30 h old: ending it is possible now, so no "from" time.
    expect(second.outcome === "healthy" && second.newLogins?.endOthersPossibleFrom).toBeFalsy();
    expect(third).toMatchObject({ outcome: "healthy" });
    expect(third).not.toHaveProperty("newLogins");
    expect((await h.sessions.require(ali.phone)).authorizations?.fingerprint).toEqual(
      [String(ipad), String(intruder)].sort(),
    );
  });

  it("says from when a young key may end the new login", async () => {
    const ali = await seedDcSession(h);
    await h.services.userbots.checkSession(ali.phone, check);
    dc.addAuthorization(ali.phone, { deviceModel: "Pixel 8" });

    const result = await h.another().userbots.checkSession(ali.phone, check);

    expect(result.outcome).toBe("healthy");
    const from = result.outcome === "healthy" ? result.newLogins?.endOthersPossibleFrom : undefined;
    expect(Date.parse(from!) - Date.now()).toBeGreaterThan(23 * HOUR);
  });

  it("records the 2FA posture, and an account with a password is not counted as without one", async () => {
    const locked = await seedDcSession(h, { password: "tulip 1987" });

    await h.services.userbots.checkSession(locked.phone, check);

    expect((await h.sessions.require(locked.phone)).twoFa).toMatchObject({ hasPassword: true });
  });

  it("costs one call more than getMe, the app config and the authorizations: account.getPassword", async () => {
    const ali = await seedDcSession(h);
    const calls: string[] = [];
    const watched: CreateClient = (session, apiId, apiHash, params) => {
      const client = dc.createClient(session, apiId, apiHash, params);
      const invoke = client.invoke.bind(client);
      client.invoke = ((request: Api.AnyRequest) => {
        calls.push(request.className);
        return invoke(request);
      }) as typeof client.invoke;
      return client;
    };

    await h.another({ createClient: watched }).userbots.checkSession(ali.phone, check);

    expect(calls.sort()).toEqual(
      ["account.GetAuthorizations", "account.GetPassword", "help.GetAppConfig", "users.GetUsers"].sort(),
    );
  });

  it("a failed read of the authorizations or the password keeps the check healthy and the row's last set", async () => {
    const ali = await seedDcSession(h);
    await h.services.userbots.checkSession(ali.phone, check);
    const before = await h.sessions.require(ali.phone);
    dc.addAuthorization(ali.phone, { deviceModel: "Unseen" });
    dc.script(ali.phone, { method: "account.GetAuthorizations", error: { code: 500, message: "INTERNAL" } });
    dc.script(ali.phone, { method: "account.GetPassword", error: { code: 500, message: "INTERNAL" } });

    const result = await h.another().userbots.checkSession(ali.phone, check);

    expect(result).toMatchObject({ outcome: "healthy" });
    expect(result).not.toHaveProperty("newLogins");
    const after = await h.sessions.require(ali.phone);
    expect(after.authorizations?.fingerprint).toEqual(before.authorizations?.fingerprint);
    expect(after.twoFa?.hasPassword).toBe(false);
  });
});
