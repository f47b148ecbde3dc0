/**
 * The account's 2FA password (issue 16) through the real userbot layer, GramJS's own 2FA helper (real SRP), the
 * loopback DC and DynamoDB Local: the posture read, a first password set on an account without one (a later login
 * then needs it), a change proved with the current one, and a wrong current password that changes nothing. The
 * passwords reach no log line.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import type { Phone } from "../../lib/sessions";
import { InvalidTwoFaPasswordError } from "../../lib/telegram";
import { captureOutput } from "../support/capture-logs";
import { createTestStore, type TestStore } from "../support/dynamo";
import { dcHarness, seedDcSession, type DcHarness } from "../support/mtproto/dc-harness";
import { startLoopbackDc, type LoopbackDc } from "../support/mtproto/loopback-dc";

let store: TestStore;
let dc: LoopbackDc;
let h: DcHarness;

beforeAll(async () => {
  [store, dc] = await Promise.all([createTestStore(), startLoopbackDc()]);
  h = dcHarness(store, dc, { logLevel: "DEBUG" });
});
afterAll(async () => {
  await dc?.stop();
});

const use = { deadlineMs: 10_000, actor: "cli:2fa-test" };

/** A fresh login of `phone` at the DC up to the password step, then `password`: what the login answers. */
async function loginWith(phone: Phone, password: string): Promise<string> {
  const sent = await h.another().login.startLogin(phone, "cli:2fa-test");
  expect(sent.kind).toBe("code-sent");
  const code = dc.sentCodes(phone).at(-1)!;
  const step = await h.another().login.submitCode(phone, code.split("").join(" "));
  if (step.kind !== "password-needed") return step.kind;
  return (await h.another().login.submitPassword(phone, password)).kind;
}

describe("the 2FA posture", () => {
  it("reads whether the account has a password, and its hint", async () => {
    const open = await seedDcSession(h);
    const locked = await seedDcSession(h, { password: "tulip 1987", passwordHint: "flower and year" });

    expect(await h.services.userbots.twoFaPosture(open.phone, use)).toEqual({ hasPassword: false });
    expect(await h.services.userbots.twoFaPosture(locked.phone, use)).toEqual({
      hasPassword: true,
      hint: "flower and year",
    });
  });
});

describe("setting a password", () => {
  it("gives an account without one a password: a later login needs it, and it reaches no log line", async () => {
    const ali = await seedDcSession(h);

    const { result, output } = await captureOutput(() =>
      h.services.userbots.setTwoFaPassword(
        ali.phone,
        { newPassword: "blue giraffe 42", hint: "zoo animal" },
        use,
      ),
    );

    expect(result).toEqual({ outcome: "set", changed: false });
    expect(dc.passwordState(ali.phone)).toEqual({ hasPassword: true, hint: "zoo animal" });
    expect(await h.another().userbots.twoFaPosture(ali.phone, use)).toEqual({
      hasPassword: true,
      hint: "zoo animal",
    });
    expect(output).toContain("Session 2FA password");
    expect(output).not.toContain("blue giraffe 42");
    // Our own key keeps working; a new login now stops at the password and takes only the new one.
    expect(await h.services.userbots.checkSession(ali.phone, use)).toMatchObject({ outcome: "healthy" });
    expect(await loginWith(ali.phone, "wrong guess")).toBe("wrong-password");
    expect(await h.another().login.submitPassword(ali.phone, "blue giraffe 42")).toMatchObject({
      kind: "logged-in",
    });
  });

  it("changes an existing password when the current one is given", async () => {
    const ali = await seedDcSession(h, { password: "old secret 1", passwordHint: "old" });

    const outcome = await h.services.userbots.setTwoFaPassword(
      ali.phone,
      { currentPassword: "old secret 1", newPassword: "new secret 2" },
      use,
    );

    expect(outcome).toEqual({ outcome: "set", changed: true });
    expect(dc.passwordState(ali.phone)).toEqual({ hasPassword: true });
    expect(await loginWith(ali.phone, "old secret 1")).toBe("wrong-password");
    expect(await h.another().login.submitPassword(ali.phone, "new secret 2")).toMatchObject({
      kind: "logged-in",
    });
  });
});

describe("a password change that must not happen", () => {
  it("a wrong current password changes nothing: the old one still logs in, and neither reaches a log line", async () => {
    const ali = await seedDcSession(h, { password: "old secret 3", passwordHint: "old" });

    const { result, output } = await captureOutput(() =>
      h.services.userbots.setTwoFaPassword(
        ali.phone,
        { currentPassword: "not the password", newPassword: "attacker pick" },
        use,
      ),
    );

    expect(result).toEqual({ outcome: "wrong-current-password", hint: "old" });
    expect(dc.passwordState(ali.phone)).toEqual({ hasPassword: true, hint: "old" });
    expect(output).not.toContain("not the password");
    expect(output).not.toContain("attacker pick");
    // A wrong password is the operator's mistake, not the session's failure.
    expect(await h.sessions.require(ali.phone)).toMatchObject({ status: "active", consecutiveFailures: 0 });
    expect(await loginWith(ali.phone, "old secret 3")).toBe("logged-in");
  });

  it("asks for the current password when the account has one and none was given", async () => {
    const ali = await seedDcSession(h, { password: "old secret 4", passwordHint: "old" });

    expect(
      await h.services.userbots.setTwoFaPassword(ali.phone, { newPassword: "new secret 5" }, use),
    ).toEqual({ outcome: "current-password-needed", hint: "old" });
    expect(dc.passwordState(ali.phone)).toEqual({ hasPassword: true, hint: "old" });
  });

  it("refuses an empty password or a hint that gives it away, before connecting", async () => {
    const ali = await seedDcSession(h);
    const accepted = dc.stats().connectionsAccepted;

    await expect(
      h.services.userbots.setTwoFaPassword(ali.phone, { newPassword: "" }, use),
    ).rejects.toBeInstanceOf(InvalidTwoFaPasswordError);
    await expect(
      h.services.userbots.setTwoFaPassword(ali.phone, { newPassword: "rex2020", hint: "dog rex2020" }, use),
    ).rejects.toBeInstanceOf(InvalidTwoFaPasswordError);
    expect(dc.stats().connectionsAccepted).toBe(accepted);
    expect(dc.passwordState(ali.phone)).toEqual({ hasPassword: false });
  });
});
