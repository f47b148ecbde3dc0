/**
 * `sessions add --qr`: the login by QR code in the terminal, run as a real `sessions` process in a pseudo-terminal
 * against DynamoDB Local and a loopback MTProto DC (the CLI's test seam SESSION_KEEPER_TELEGRAM_DC). The test plays
 * the account owner: it reads the QR code off the screen as a phone would (the drawing decoded by jsQR), checks it
 * is a token the DC issued, and scans it (`dc.scanLoginToken`). What is asserted is what an operator sees: the
 * code and the steps, the outcome line, the stored session, and no secret (token, password) as text.
 */
import { randomBytes } from "node:crypto";
import { userInfo } from "node:os";
import { PassThrough } from "node:stream";
import { afterAll, afterEach, beforeAll, describe, expect, it, vi } from "vitest";
import { addByQr } from "../../lib/cli/commands/add-qr";
import { createContext } from "../../lib/cli/context";
import type { Phone } from "../../lib/sessions";
import type { QrLoginOutcome, QrLoginService, QrLoginView } from "../../lib/telegram/contract";
import { loopbackDcEnv } from "../support/cli-dc";
import { decodeTerminalQr } from "../support/cli-qr";
import { cliEnv, runCli, seed } from "../support/cli-run";
import { startInTerminal, type TerminalSession } from "../support/cli-terminal";
import { createTestStore, type TestStore } from "../support/dynamo";
import { newPhone } from "../support/fake-telegram-harness";
import { dcHarness } from "../support/mtproto/dc-harness";
import { startLoopbackDc, type LoopbackDc } from "../support/mtproto/loopback-dc";

// Real `sessions` processes with GramJS, polling a DC: several seconds each on a busy two-core machine.
vi.setConfig({ testTimeout: 90_000 });

const STEPS =
  "On the phone with the account: Telegram → Settings → Devices → Link Desktop Device, and scan this code.";
/** The CLI's QR flows belong to "cli:<os user>", as its audit entries do. */
const OWNER = `cli:${userInfo().username}`;

let dc: LoopbackDc;
beforeAll(async () => {
  dc = await startLoopbackDc();
});
afterAll(async () => {
  await dc?.stop();
});

/** A store of its own (so "nothing stored" means an empty table), and the CLI's environment pointing at it. */
async function setup(): Promise<{ store: TestStore; env: NodeJS.ProcessEnv }> {
  const store = await createTestStore();
  return { store, env: cliEnv(store, loopbackDcEnv(dc)) };
}

let userId = 650_000;
function account(spec: { password?: string; passwordHint?: string } = {}): { phone: Phone; userId: number } {
  const phone = newPhone();
  userId += 1;
  dc.addAccount({ phone, userId, firstName: "Dilnoza", username: `dilnoza${userId}`, ...spec });
  return { phone, userId };
}

/** Every CLI a test starts ends with the test, even one that failed half-way. */
const running = new Set<TerminalSession>();
function start(env: NodeJS.ProcessEnv, extra: string[] = []): TerminalSession {
  const t = startInTerminal(["add", "--qr", ...extra], { env });
  running.add(t);
  return t;
}
afterEach(() => {
  for (const t of running) t.kill();
  running.clear();
});

/**
 * The next QR code on the screen (after the steps; the countdown under it shows the drawing is complete), read as
 * a phone would, and checked to be a token the DC issued.
 */
async function nextQr(t: TerminalSession): Promise<string> {
  const at = await t.waitFor(STEPS);
  await t.waitFor("Waiting for the scan", { from: at });
  const url = decodeTerminalQr(t.screen(), at);
  const match = /^tg:\/\/login\?token=([A-Za-z0-9_-]+)$/.exec(url);
  expect(match, url).not.toBeNull();
  const token = Buffer.from(match![1]!, "base64url");
  expect(dc.loginTokensIssued().some((issued) => issued.equals(token))).toBe(true);
  return url;
}

/** Neither the URL nor its token shows as text anywhere on the screen. */
function expectNoTokenText(screen: string, ...urls: string[]): void {
  for (const url of urls) {
    expect(screen).not.toContain(url);
    expect(screen).not.toContain(url.replace(/^.*token=/, "").slice(0, 16));
  }
}

async function flowsOfOwner(store: TestStore) {
  return dcHarness(store, dc, { logLevel: "SILENT" }).services.qr.getQrFlow(OWNER);
}

async function storedPhones(store: TestStore): Promise<number> {
  const counts = await store.sessions().countByStatus();
  return Object.values(counts).reduce((a, b) => a + b, 0);
}

describe("sessions add --qr", () => {
  it("draws the code and the steps, sees the scan by itself, prints the session; stored active", async () => {
    const { store, env } = await setup();
    const acc = account();
    const t = start(env);
    const url = await nextQr(t);
    expect(t.screen()).toMatch(
      /Waiting for the scan: this code renews in \d+s; the login ends in (10m 0s|9m 5\ds) \(\d\d:\d\d UTC\)\. Ctrl-C cancels\./,
    );

    // No key is pressed: the owner scans, and the CLI notices within a poll.
    const scannedAt = Date.now();
    dc.scanLoginToken(url, acc.phone);
    await t.waitFor("Logged in: ");
    const noticedMs = Date.now() - scannedAt;
    const r = await t.exited;
    expect(r.code).toBe(0);
    expect(r.screen).toContain(
      `Logged in: ${acc.phone} as @dilnoza${acc.userId} (id ${acc.userId}). The session is stored encrypted, ` +
        "status active; the health check includes it from now on.\n",
    );
    expect(r.screen).not.toContain("replacing the old one");
    expectNoTokenText(r.screen, url);
    expect(await store.sessions().require(acc.phone)).toMatchObject({ status: "active", isPaused: false });
    expect(await flowsOfOwner(store)).toBeUndefined();
    // A poll waits 3 s at most and asks Telegram every 1.5 s: the scan shows well within that.
    expect(noticedMs).toBeLessThan(6_000);
    console.info(`[cli-qr] scan → "Logged in" on the screen: ${noticedMs} ms`);
  });

  it("an expired code is drawn anew without a key press; the new one logs in", async () => {
    const { store, env } = await setup();
    const acc = account();
    dc.setLoginTokenTtl(2_500);
    try {
      const t = start(env);
      const first = await nextQr(t);
      await t.waitFor("The code expired unscanned; here is a new one.");
      const second = await nextQr(t);
      expect(second).not.toBe(first);
      expect(() => dc.scanLoginToken(first, acc.phone)).toThrow(/^AUTH_TOKEN_(EXPIRED|INVALID)$/);
      dc.scanLoginToken(second, acc.phone);
      const r = await t.exited;
      expect(r.code).toBe(0);
      expect(r.screen).toContain(`Logged in: ${acc.phone} as @dilnoza${acc.userId}`);
      expectNoTokenText(r.screen, first, second);
      expect((await store.sessions().require(acc.phone)).status).toBe("active");
    } finally {
      dc.setLoginTokenTtl(30_000);
    }
  });

  it("2FA: the hint shown, a wrong password then the right one, hidden; replaces the phone's old session", async () => {
    const { store, env } = await setup();
    const acc = account({ password: "mountain river 9", passwordHint: "nature" });
    // The same account's old, broken session: the QR login replaces it.
    await seed(store, [{ phone: acc.phone, status: "error", account: { userId: String(acc.userId) } }]);
    const t = start(env);
    const url = await nextQr(t);
    dc.scanLoginToken(url, acc.phone);
    await t.waitFor("Scanned. This account has a two-step verification password (hint: nature).");
    await t.waitFor("2FA password (not shown): ");
    t.type("mountain lake 8");
    await t.waitFor("Wrong password (");
    await t.waitFor("2FA password (not shown): ");
    t.type("mountain river 9");
    const r = await t.exited;
    expect(r.code).toBe(0);
    expect(r.screen).toMatch(/Wrong password \(\d+ attempts? left\); the hint is: nature\./);
    expect(r.screen).toContain(
      `Logged in: ${acc.phone} as @dilnoza${acc.userId} (id ${acc.userId}). The session is stored encrypted, ` +
        "status active, replacing the old one; the health check includes it from now on.",
    );
    for (const secret of ["mountain lake 8", "mountain river 9"]) expect(r.screen).not.toContain(secret);
    expectNoTokenText(r.screen, url);
    expect(await store.sessions().require(acc.phone)).toMatchObject({ status: "active", isPaused: false });
  });

  it("a number stored for another account: not replaced, its own line, exit 1", async () => {
    const { store, env } = await setup();
    const acc = account();
    await seed(store, [{ phone: acc.phone, account: { userId: "424242" } }]);
    const before = await store.sessions().require(acc.phone);
    const t = start(env);
    dc.scanLoginToken(await nextQr(t), acc.phone);
    const r = await t.exited;
    expect(r.code).toBe(1);
    expect(r.screen).toContain(
      `the account that scanned the code has the number ${acc.phone}, which is stored here for another Telegram account`,
    );
    expect(await store.sessions().require(acc.phone)).toEqual(before);
  });

  it("--json: the code and the steps as usual, then one JSON object (the session; or a failure with its kind)", async () => {
    const { store, env } = await setup();
    /** The JSON object the CLI ended with (stdout and stderr share the terminal's screen). */
    const lastJson = (screen: string) => JSON.parse(screen.slice(screen.lastIndexOf("\n{") + 1)) as unknown;
    const acc = account();
    const t = start(env, ["--json"]);
    const url = await nextQr(t);
    dc.scanLoginToken(url, acc.phone);
    const r = await t.exited;
    expect(r.code).toBe(0);
    expect(lastJson(r.screen)).toMatchObject({
      ok: true,
      outcome: "logged-in",
      phone: acc.phone,
      replaced: false,
      message: null,
      session: { phone: acc.phone, status: "active", account: { userId: String(acc.userId) } },
    });
    expectNoTokenText(r.screen, url);

    const taken = account();
    await seed(store, [{ phone: taken.phone, account: { userId: "424243" } }]);
    const other = start(env, ["--json"]);
    dc.scanLoginToken(await nextQr(other), taken.phone);
    const refused = await other.exited;
    expect(refused.code).toBe(1);
    expect(lastJson(refused.screen)).toMatchObject({
      ok: false,
      outcome: "other-account",
      phone: null,
      session: null,
    });
  });

  it("Ctrl-C while waiting for the scan cancels the flow: exit 130, the flow gone, nothing stored", async () => {
    const { store, env } = await setup();
    const t = start(env);
    const url = await nextQr(t);
    expect(await flowsOfOwner(store)).toMatchObject({ owner: OWNER, step: "scan" });
    t.interrupt();
    const r = await t.exited;
    expect(r.code).toBe(130);
    expect(r.screen).toContain("Cancelled: the QR login was stopped; nothing was stored.");
    expect(await flowsOfOwner(store)).toBeUndefined();
    expect(await storedPhones(store)).toBe(0);
    expectNoTokenText(r.screen, url);
  });

  it("Ctrl-C at the password prompt cancels too: exit 130, nothing stored", async () => {
    const { store, env } = await setup();
    const acc = account({ password: "never typed" });
    const t = start(env);
    dc.scanLoginToken(await nextQr(t), acc.phone);
    await t.waitFor("2FA password (not shown): ");
    t.interrupt();
    const r = await t.exited;
    expect(r.code).toBe(130);
    expect(r.screen).toContain("Cancelled: the QR login was stopped; nothing was stored.");
    expect(await flowsOfOwner(store)).toBeUndefined();
    expect(await store.sessions().get(acc.phone)).toBeUndefined();
  });

  it("with a phone as well: a usage error, exit 2, Telegram never called", async () => {
    const { env } = await setup();
    const before = dc.stats().connectionsAccepted;
    const r = await runCli(["add", "+998901234567", "--qr"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Give either a phone or --qr, not both");
    expect(r.stdout).toBe("");
    expect(dc.stats().connectionsAccepted).toBe(before);
  });

  it("without a terminal: refused (the code must be seen), exit 2, no flow started", async () => {
    const { store, env } = await setup();
    const before = dc.stats().connectionsAccepted;
    const r = await runCli(["add", "--qr"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("`sessions add --qr` needs a terminal: the QR code must be seen");
    expect(r.stderr).toContain("`sessions add <phone>`");
    expect(r.stdout).toBe("");
    expect(dc.stats().connectionsAccepted).toBe(before);
    expect(await flowsOfOwner(store)).toBeUndefined();
  });
});

describe("sessions add --qr: the 10-minute limit (in-process, on a clock the test moves)", () => {
  /**
   * A QR login service whose every poll takes four minutes and finds a renewed code: what ten minutes of nobody
   * scanning look like, without waiting them. `afterExpiry` is what a poll answers once the flow's time is up.
   */
  function neverScanned(afterExpiry: "qr" | "no-flow") {
    let clock = Date.parse("2026-11-27T10:00:00Z");
    const flow: QrLoginView = {
      owner: "cli:operator",
      step: "scan",
      expiresAt: new Date(clock + 10 * 60_000).toISOString(),
      attemptsLeft: 3,
    };
    const urls: string[] = [];
    const code = (renewed: boolean): QrLoginOutcome => {
      urls.push(`tg://login?token=${randomBytes(32).toString("base64url")}`);
      return {
        kind: "qr",
        url: urls.at(-1)!,
        tokenExpiresAt: new Date(clock + 30_000).toISOString(),
        renewed,
        flow,
      };
    };
    const calls = { polls: 0, cancels: 0 };
    const qr: QrLoginService = {
      startQr: () => Promise.resolve(code(false)),
      pollQr: () => {
        calls.polls += 1;
        clock += 4 * 60_000;
        return Promise.resolve(
          afterExpiry === "no-flow" && clock >= Date.parse(flow.expiresAt) ? { kind: "no-flow" } : code(true),
        );
      },
      submitQrPassword: () => Promise.reject(new Error("no password here")),
      cancelQr: () => {
        calls.cancels += 1;
        return Promise.resolve();
      },
      getQrFlow: () => Promise.resolve(flow),
    };
    return { qr, urls, calls, now: () => clock };
  }

  function terminal() {
    const tty = <T extends PassThrough>(s: T) => Object.assign(s, { isTTY: true });
    const stdout = tty(new PassThrough());
    const stderr = tty(new PassThrough());
    let out = "";
    let err = "";
    stdout.on("data", (d: Buffer) => (out += d.toString()));
    stderr.on("data", (d: Buffer) => (err += d.toString()));
    const ctx = createContext({ stdin: tty(new PassThrough()), stdout, stderr }, { NO_COLOR: "1" });
    return { ctx, screen: () => ({ out, err }) };
  }

  it("every renewed code drawn; at the flow's expiry: cancelled, a clear line, exit 1", async () => {
    const { qr, urls, calls, now } = neverScanned("qr");
    const { ctx, screen } = terminal();
    const code = await addByQr(ctx, qr, { now, pollWaitMs: 0 });
    const { out, err } = screen();
    expect(code).toBe(1);
    expect(out).toBe("");
    expect(err).toContain(
      "Not logged in: nobody scanned the code within 10 minutes, and the QR login expired. " +
        "Start again with `sessions add --qr`.",
    );
    // Polled at 4 and 8 minutes (each a new code, drawn), and at 12: over the limit, not drawn, cancelled.
    expect(calls).toEqual({ polls: 3, cancels: 1 });
    const drawn = err
      .split(STEPS)
      .slice(1)
      .map((after) => decodeTerminalQr(after));
    expect(drawn).toEqual(urls.slice(0, 3));
    expect(err.split("The code expired unscanned; here is a new one.")).toHaveLength(3);
    expectNoTokenText(err, ...urls);
  });

  it("the service finding the flow gone at its expiry: the same clear line, exit 1", async () => {
    const { qr, calls, now } = neverScanned("no-flow");
    const { ctx, screen } = terminal();
    expect(await addByQr(ctx, qr, { now, pollWaitMs: 0 })).toBe(1);
    expect(screen().err).toContain("Not logged in: nobody scanned the code within 10 minutes");
    expect(calls.polls).toBe(3);
  });
});
