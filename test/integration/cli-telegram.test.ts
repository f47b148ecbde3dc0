/**
 * The CLI commands that talk to Telegram as a user (SEED.md "Health checks", "create a new session",
 * addSession.js), run as real `sessions` processes against DynamoDB Local and a loopback MTProto DC: GramJS's real
 * client on its real transport, dialling the DC's address instead of Telegram's (the CLI's test seam
 * SESSION_KEEPER_TELEGRAM_DC), and the whole userbot layer as in production.
 */
import { StringSession } from "telegram/sessions";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Phone } from "../../lib/sessions";
import { PRODUCTION_DC_IPV4 } from "../../lib/telegram/connection";
import { loopbackDcEnv } from "../support/cli-dc";
import { cliEnv, runCli } from "../support/cli-run";
import { converseInTerminal } from "../support/cli-terminal";
import { createTestStore, type TestStore } from "../support/dynamo";
import { newPhone } from "../support/fake-telegram-harness";
import { dcHarness, seedDcSession, type DcHarness } from "../support/mtproto/dc-harness";
import { startLoopbackDc, type LoopbackDc } from "../support/mtproto/loopback-dc";

// Every test starts real `sessions` processes (a second or two each with GramJS, on a busy two-core machine).
vi.setConfig({ testTimeout: 90_000 });

let dc: LoopbackDc;
beforeAll(async () => {
  dc = await startLoopbackDc();
});
afterAll(async () => {
  await dc?.stop();
});

/** A store of its own, with the CLI's environment pointing at it and at the DC. */
async function setup(): Promise<{ store: TestStore; h: DcHarness; env: NodeJS.ProcessEnv }> {
  const store = await createTestStore();
  const h = dcHarness(store, dc, { logLevel: "SILENT" });
  const env = cliEnv(store, loopbackDcEnv(dc));
  return { store, h, env };
}

describe("sessions check <phone>", () => {
  let store: TestStore;
  let h: DcHarness;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    ({ store, h, env } = await setup());
  });

  it("a healthy session: OK with the account Telegram answered as, exit 0, last check recorded", async () => {
    const acc = await seedDcSession(h);
    const r = await runCli(["check", acc.phone], { env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(
      `OK  ${acc.phone} is healthy: Telegram answered as @${acc.username} (id ${acc.userId}).\n`,
    );
    const row = await store.sessions().require(acc.phone);
    expect(row).toMatchObject({ status: "active", isPaused: false, consecutiveFailures: 0 });
    expect(row.lastCheckedAt).toBeDefined();
    expect(row.account).toMatchObject({ username: acc.username, firstName: acc.firstName });

    const json = await runCli(["check", acc.phone, "--json"], { env });
    expect(json.code).toBe(0);
    expect(JSON.parse(json.stdout)).toMatchObject({
      phone: acc.phone,
      outcome: "healthy",
      ok: true,
      account: { username: acc.username },
    });
  });

  it("a dead session (AUTH_KEY_UNREGISTERED): FAILED with the reason, exit 1, now error and paused", async () => {
    const acc = await seedDcSession(h);
    dc.forget(acc.phone);
    const r = await runCli(["check", acc.phone], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`FAILED  ${acc.phone}: AUTH_KEY_UNREGISTERED`);
    expect(r.stdout).toContain(`log it in again (\`sessions add ${acc.phone}\``);
    expect(await store.sessions().require(acc.phone)).toMatchObject({
      status: "error",
      isPaused: true,
      lastErrorCode: "AUTH_KEY_UNREGISTERED",
    });
  });

  it("a paused session is not checked: said so, exit 1, nothing changed", async () => {
    const acc = await seedDcSession(h);
    await store.sessions().pause(acc.phone);
    const before = dc.stats().connectionsAccepted;
    const r = await runCli(["check", acc.phone], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toContain(`SKIPPED  ${acc.phone}: only an active session is checked.`);
    expect(dc.stats().connectionsAccepted).toBe(before);
    expect((await store.sessions().require(acc.phone)).status).toBe("paused");
  });

  it("without API_ID: one line saying where to get it, exit 1, Telegram never called", async () => {
    const acc = await seedDcSession(h);
    const before = dc.stats().connectionsAccepted;
    const r = await runCli(["check", acc.phone], { env: { ...env, API_ID: "" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "sessions: Missing API_ID: get it at my.telegram.org → API development tools, and set API_ID to the number shown.\n",
    );
    expect(dc.stats().connectionsAccepted).toBe(before);
    expect((await store.sessions().require(acc.phone)).lastCheckedAt).toBeUndefined();
  });

  it("refuses a phone together with --all, and neither, exit 2", async () => {
    const both = await runCli(["check", "+998901234567", "--all"], { env });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("Give either a phone or --all, not both.");
    const neither = await runCli(["check"], { env });
    expect(neither.code).toBe(2);
    expect(neither.stderr).toContain("Missing <phone>");
    const bad = await runCli(["check", "--all", "--concurrency", "0"], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain("--concurrency must be a whole number from 1 to 50");
  });
});

describe("sessions check --all", () => {
  it("checks every active session, reports progress, then the summary with the newly failed; exit 1", async () => {
    const { store, h, env } = await setup();
    const healthy = [];
    for (let i = 0; i < 4; i++) healthy.push(await seedDcSession(h));
    const dead = await seedDcSession(h);
    dc.forget(dead.phone);
    const paused = await seedDcSession(h);
    await store.sessions().pause(paused.phone);

    const r = await runCli(["check", "--all", "--concurrency", "3"], { env });
    expect(r.code).toBe(1);
    // No terminal: progress as lines on stderr, the last one the total.
    expect(r.stderr.trim().split("\n").at(-1)).toBe("Checked 5/5");
    expect(r.stdout).toMatch(
      /^Checked 5 of 5 due sessions in \d+s: 4 healthy, 1 failed, 0 flood wait, 0 not reachable, 0 frozen, 0 skipped\.$/m,
    );
    expect(r.stdout).toContain(
      `Newly failed (now in error and paused; log them in again):\n  ${dead.phone}  `,
    );
    expect(r.stdout).toContain("Fleet now: 4 active, 1 paused, 1 error, 0 deleted.");
    for (const a of healthy) expect((await store.sessions().require(a.phone)).lastCheckedAt).toBeDefined();
    expect(await store.sessions().require(dead.phone)).toMatchObject({ status: "error", isPaused: true });
    expect((await store.sessions().require(paused.phone)).lastCheckedAt).toBeUndefined();

    // All healthy now (the dead one is in error, not checked): exit 0.
    const again = await runCli(["check", "--all"], { env });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("4 healthy, 0 failed");

    // Both runs are in the run records, as a scheduled run would be: `sessions history` lists them.
    const history = await runCli(["history", "--json"], { env });
    const runs = (JSON.parse(history.stdout) as { runs: Record<string, unknown>[] }).runs;
    expect(runs).toHaveLength(2);
    expect(runs[1]).toMatchObject({
      source: "local",
      checked: 5,
      healthy: 4,
      newlyFailed: 1,
      finished: true,
      complete: true,
      fleet: { active: 4, paused: 1, error: 1, deleted: 0 },
    });
    expect(runs[0]).toMatchObject({ checked: 4, healthy: 4, newlyFailed: 0 });
  });
});

describe("sessions add: a login in the terminal", () => {
  let store: TestStore;
  let env: NodeJS.ProcessEnv;
  let userId = 630_000;
  beforeAll(async () => {
    ({ store, env } = await setup());
  });
  const account = (spec: { password?: string; passwordHint?: string } = {}): Phone => {
    const phone = newPhone();
    userId += 1;
    dc.addAccount({ phone, userId, firstName: "Aziza", username: `aziza${userId}`, code: "24680", ...spec });
    return phone;
  };

  it("answers piped in: a wrong code retried, the 2FA password wrong then right; stored active; no secret shown", async () => {
    const phone = account({ password: "tulip garden 7", passwordHint: "flowers" });
    const r = await runCli(["add", phone], {
      env,
      input: "1 3 5 7 9\n2 4 6 8 0\nrose garden\ntulip garden 7\n",
    });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("Telegram sent a login code in the Telegram app");
    expect(r.stderr).toContain("Wrong code (2 attempts left).");
    expect(r.stderr).toContain("This account has a two-step verification password (hint: flowers).");
    expect(r.stderr).toContain("Wrong password (1 attempt left); the hint is: flowers.");
    expect(r.stdout).toBe(
      `Logged in: ${phone} as @aziza${userId} (id ${userId}). The session is stored encrypted, status active; ` +
        "the health check includes it from now on.\n",
    );
    const all = r.stdout + r.stderr;
    for (const secret of ["24680", "2 4 6 8 0", "tulip garden 7", "rose garden"])
      expect(all).not.toContain(secret);
    expect(await store.sessions().require(phone)).toMatchObject({ status: "active", isPaused: false });
  });

  it("in a terminal: phone asked, code typed, password hidden; the password never reaches the screen", async () => {
    const phone = account({ password: "s3cret-Pa55" });
    const r = await converseInTerminal(["add"], {
      env,
      exchanges: [
        { prompt: "Phone number with country code", answer: phone },
        { prompt: "Login code (5 digits): ", answer: "24680" },
        { prompt: "2FA password (not shown): ", answer: "s3cret-Pa55" },
      ],
    });
    expect(r.screen).toContain(`Logged in: ${phone} as @aziza${userId}`);
    expect(r.code).toBe(0);
    expect(r.screen).not.toContain("s3cret-Pa55");
    expect((await store.sessions().require(phone)).status).toBe("active");
  });

  it("in a terminal: arrow keys at the hidden password move the cursor, never become characters", async () => {
    // abc, ←, →, d is "abcd" (not "abc[D[Cd", which Telegram would refuse as a wrong password).
    const phone = account({ password: "abcd" });
    const r = await converseInTerminal(["add", phone], {
      env,
      exchanges: [
        { prompt: "Login code (5 digits): ", answer: "24680" },
        { prompt: "2FA password (not shown): ", answer: "abc\u001b[D\u001b[Cd" },
      ],
    });
    expect(r.screen).toContain(`Logged in: ${phone} as @aziza${userId}`);
    expect(r.code).toBe(0);
    expect(r.screen).not.toContain("abcd");
  });

  it("Ctrl-C at the password cancels the login: exit 130, nothing stored, the flow gone", async () => {
    const phone = account({ password: "never typed" });
    const r = await converseInTerminal(["add", phone], {
      env,
      exchanges: [
        { prompt: "Login code (5 digits): ", answer: "24680" },
        { prompt: "2FA password (not shown): ", answer: "\u0003" },
      ],
    });
    expect(r.code).toBe(130);
    expect(r.screen).toContain(`Cancelled: the login of ${phone} was stopped; nothing was stored.`);
    expect(await store.sessions().get(phone)).toBeUndefined();
    const h = dcHarness(store, dc, { logLevel: "SILENT" });
    expect(await h.services.login.getFlow(phone)).toBeUndefined();
  });

  it("--json: the questions on stderr, one JSON object on stdout with the stored session; a failure as JSON, exit 1", async () => {
    const phone = account({ password: "tulip garden 7" });
    const r = await runCli(["add", phone, "--json"], { env, input: "24680\ntulip garden 7\n" });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("Telegram sent a login code in the Telegram app");
    expect(r.stderr).toContain("This account has a two-step verification password.");
    const out = JSON.parse(r.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({
      ok: true,
      outcome: "logged-in",
      phone,
      replaced: false,
      previousKey: null,
      message: null,
      session: { phone, status: "active", account: { userId: String(userId), username: `aziza${userId}` } },
    });
    for (const secret of ["24680", "tulip garden 7"]) expect(r.stdout + r.stderr).not.toContain(secret);

    const unknown = newPhone();
    const bad = await runCli(["add", unknown, "--json"], { env });
    expect(bad.code).toBe(1);
    expect(JSON.parse(bad.stdout)).toEqual({
      ok: false,
      outcome: "invalid-phone",
      phone: unknown,
      session: null,
      replaced: null,
      previousKey: null,
      message: `Not logged in: Telegram says ${unknown} is not a valid phone number. Check the number and its country code.`,
    });
    expect(bad.stderr).toContain("Not logged in: Telegram says");
    const help = await runCli(["add", "--help"], { env });
    expect(help.stdout).toContain("JSON shape (--json):");
  });

  it("a number Telegram does not know: its own line, exit 1, nothing stored", async () => {
    const phone = newPhone();
    const r = await runCli(["add", phone], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`Not logged in: Telegram says ${phone} is not a valid phone number.`);
    expect(await store.sessions().get(phone)).toBeUndefined();
  });

  it("a malformed phone: exit 2, Telegram never called", async () => {
    const before = dc.stats().connectionsAccepted;
    const r = await runCli(["add", "not-a-phone"], { env });
    expect(r.code).toBe(2);
    expect(dc.stats().connectionsAccepted).toBe(before);
  });
});

describe("sessions import <phone>: a session string from standard input", () => {
  let store: TestStore;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    ({ store, env } = await setup());
  });

  it("proves it with getMe and stores it; the string is never printed", async () => {
    const phone = newPhone();
    const { sessionString } = dc.addAccount({
      phone,
      userId: 640_001,
      firstName: "Jasur",
      username: "jasur",
    });
    const r = await runCli(["import", phone], { env, input: `${sessionString}\n` });
    expect(r.code).toBe(0);
    expect(r.stdout).toBe(`Imported: ${phone} as @jasur (id 640001); stored encrypted, status active.\n`);
    expect(r.stdout + r.stderr).not.toContain(sessionString.slice(10, 60));
    // The same key, stored with Telegram's address for its DC (never the one written in the string).
    const stored = new StringSession(await store.sessions().readSessionString(phone));
    const given = new StringSession(sessionString);
    expect(stored.serverAddress).toBe(PRODUCTION_DC_IPV4[given.dcId]);
    const keyOf = (session: StringSession) => (session as unknown as { _key: Buffer })._key;
    expect(keyOf(stored)).toEqual(keyOf(given));
  });

  it("another account's string: refused with the number it belongs to, exit 1, nothing stored", async () => {
    const owner = newPhone();
    const { sessionString } = dc.addAccount({ phone: owner, userId: 640_002, firstName: "Kamola" });
    const phone = newPhone();
    const r = await runCli(["import", phone], { env, input: sessionString });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`The session string logs in as ${owner}, not ${phone}. Nothing was stored`);
    expect(await store.sessions().get(phone)).toBeUndefined();
  });

  it("--json: one object with the stored session; another account's string as a JSON failure, exit 1", async () => {
    const phone = newPhone();
    const { sessionString } = dc.addAccount({
      phone,
      userId: 640_003,
      firstName: "Dilnoza",
      username: "dilnoza",
    });
    const r = await runCli(["import", phone, "--json"], { env, input: `${sessionString}\n` });
    expect(r.code).toBe(0);
    expect(r.stderr).toContain("Checking the session string with Telegram");
    expect(JSON.parse(r.stdout)).toMatchObject({
      ok: true,
      outcome: "imported",
      phone,
      replaced: false,
      previousKey: null,
      session: { phone, status: "active", hasSessionString: true, account: { userId: "640003" } },
    });
    expect(r.stdout + r.stderr).not.toContain(sessionString.slice(10, 60));

    const other = newPhone();
    const wrong = await runCli(["import", other, "--json"], { env, input: sessionString });
    expect(wrong.code).toBe(1);
    expect(JSON.parse(wrong.stdout)).toMatchObject({
      ok: false,
      outcome: "wrong-account",
      phone: other,
      session: null,
    });
    expect((JSON.parse(wrong.stdout) as { message: string }).message).toContain(
      `logs in as ${phone}, not ${other}`,
    );
    expect(wrong.stderr).toContain(`logs in as ${phone}, not ${other}`);
    expect(await store.sessions().get(other)).toBeUndefined();
  });

  it("an unreadable string or empty input: a clear error, nothing stored", async () => {
    const phone = newPhone();
    const garbage = await runCli(["import", phone], { env, input: "hello there\n" });
    expect(garbage.code).toBe(1);
    expect(garbage.stderr).toContain("This is not a session string Session Keeper can use");
    expect(garbage.stderr).toContain("Nothing was stored.");
    const empty = await runCli(["import", phone], { env, input: "" });
    expect(empty.code).toBe(2);
    expect(empty.stderr).toContain("No session string on standard input");
    expect(await store.sessions().get(phone)).toBeUndefined();
  });
});
