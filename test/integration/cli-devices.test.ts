/**
 * `sessions devices` (issue 16) as real `sessions` processes against DynamoDB Local and a loopback DC: every login of
 * the account listed (device, app and version, platform, place, dates, official or not, ours), as text and JSON;
 * ending one or all others asks first, is audited and leaves the DC without them; a key younger than 24 h is told
 * from when it may; wrong input changes nothing.
 */
import { describe, expect, it } from "vitest";
import { AuditLog } from "../../lib/bot-state/audit";
import type { Phone } from "../../lib/sessions";
import { runCli, runCliInTerminal } from "../support/cli-run";
import type { TestStore } from "../support/dynamo";
import { seedDcSession, type DcHarness, type SeededAccount } from "../support/mtproto/dc-harness";
import type { LoopbackDc } from "../support/mtproto/loopback-dc";
import { ANDROID_PHONE_LOGIN } from "../support/mtproto/device-fixtures";
import { cliOnLoopbackDc } from "../support/cli-on-dc";

let dc: LoopbackDc;
let store: TestStore;
let h: DcHarness;
let env: NodeJS.ProcessEnv;
cliOnLoopbackDc((c) => ({ dc, store, h, env } = c), { clearScriptsAfterEach: true });

const HOUR = 3_600_000;
const today = () => new Date().toISOString().slice(0, 10);

/** Our stored key, old enough (25 h) for Telegram to let it end other logins. */
function ageOurKey(account: SeededAccount, hours = 25): void {
  dc.setKeyCreatedAt({ sessionString: account.sessionString }, new Date(Date.now() - hours * HOUR));
}

function hashesAtDc(phone: Phone): string[] {
  return dc.authorizationsOf(phone).map((a) => a.hash.toString());
}

async function auditOf(phone: Phone): Promise<string[]> {
  const day = await new AuditLog(store.doc, store.botStateTable).day(today());
  return day.filter((e) => e.phone === phone).map((e) => `${e.action}: ${e.detail ?? ""}`);
}

/** An account with a phone and an unofficial desktop app logged in beside our key. */
async function accountWithTwoOthers() {
  const acc = await seedDcSession(h);
  const created = new Date(Date.now() - 3 * 24 * HOUR);
  const phoneHash = dc.addAuthorization(acc.phone, { ...ANDROID_PHONE_LOGIN, createdAt: created });
  const desktopHash = dc.addAuthorization(acc.phone, {
    deviceModel: "PC 64bit",
    appName: "Unofficial Desktop",
    appVersion: "0.9",
    officialApp: false,
    country: "Netherlands",
  });
  return { acc, created, phone: String(phoneHash), desktop: String(desktopHash) };
}

describe("sessions devices <phone>", () => {
  it("lists every login: device, app and version, platform, place, dates, official or not, ours first", async () => {
    const { acc, created, phone, desktop } = await accountWithTwoOthers();

    const r = await runCli(["devices", acc.phone], { env });

    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Devices of ${acc.phone}: 3 logins`);
    const blocks = r.stdout.split("\n\n");
    expect(blocks[1]).toMatch(/^\* this session \(ours\)\s+Session Keeper/);
    const phoneBlock = blocks.find((b) => b.includes(phone))!;
    expect(phoneBlock).toContain("- another login  Samsung Galaxy S23 (Android SDK 34)");
    expect(phoneBlock).toContain("Telegram Android 11.2.3 (API id 6), official app");
    expect(phoneBlock).toContain("Kazakhstan, Almaty");
    expect(phoneBlock).toContain(
      `logged in    ${new Date(Math.floor(created.getTime() / 1000) * 1000).toISOString()} (3d ago)`,
    );
    const desktopBlock = blocks.find((b) => b.includes(desktop))!;
    expect(desktopBlock).toContain("Unofficial Desktop 0.9");
    expect(desktopBlock).toContain("NOT an official app");
    expect(r.stdout).toContain(
      "This session's key is younger than 24 h: Telegram lets it end other logins from",
    );
    expect(r.stdout).toContain(`sessions devices ${acc.phone} end <hash>`);
    expect(r.stdout).not.toContain(acc.sessionString);
  });

  it("--json: the stable shape, ours first and flagged", async () => {
    const { acc, phone } = await accountWithTwoOthers();
    ageOurKey(acc, 48);

    const r = await runCli(["devices", acc.phone, "--json"], { env });

    expect(r.code).toBe(0);
    const json = JSON.parse(r.stdout) as {
      phone: string;
      authorizations: Record<string, unknown>[];
      ttlDays: number | null;
      endOthersPossibleFrom: string | null;
    };
    expect(json.phone).toBe(acc.phone);
    expect(json.authorizations).toHaveLength(3);
    expect(json.authorizations[0]).toMatchObject({ current: true, deviceModel: "Session Keeper" });
    expect(json.authorizations.find((a) => a.hash === phone)).toMatchObject({
      current: false,
      officialApp: true,
      passwordPending: false,
      deviceModel: "Samsung Galaxy S23",
      platform: "Android",
      systemVersion: "SDK 34",
      appName: "Telegram Android",
      appVersion: "11.2.3",
      apiId: 6,
      country: "Kazakhstan",
      region: "Almaty",
    });
    expect(Object.keys(json.authorizations[0]!).sort()).toEqual(
      [
        "hash",
        "current",
        "officialApp",
        "passwordPending",
        "deviceModel",
        "platform",
        "systemVersion",
        "appName",
        "appVersion",
        "apiId",
        "country",
        "region",
        "createdAt",
        "lastActiveAt",
      ].sort(),
    );
    expect(json.ttlDays).toBe(180);
    expect(json.endOthersPossibleFrom).toBeNull();
  });

  it("a paused session is not used: says to resume it, and Telegram is not asked", async () => {
    const acc = await seedDcSession(h);
    await store.sessions().pause(acc.phone);
    const accepted = dc.stats().connectionsAccepted;

    const r = await runCli(["devices", acc.phone], { env });

    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`The session ${acc.phone} is paused; resume it before using it.`);
    expect(dc.stats().connectionsAccepted).toBe(accepted);
  });
});

describe("sessions devices <phone> end", () => {
  it("end <hash> --yes ends that login at Telegram, keeps the others, says so and audits it", async () => {
    const { acc, phone, desktop } = await accountWithTwoOthers();
    ageOurKey(acc);

    const r = await runCli(["devices", acc.phone, "end", desktop, "--yes"], { env });

    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Ended: that login of ${acc.phone} is logged out at Telegram.`);
    expect(hashesAtDc(acc.phone)).not.toContain(desktop);
    expect(hashesAtDc(acc.phone)).toContain(phone);
    expect(await auditOf(acc.phone)).toEqual([`session.device-ended: authorization ${desktop}`]);
  });

  it("at a terminal, names the device and asks; no ends nothing, yes ends it", async () => {
    const { acc, phone } = await accountWithTwoOthers();
    ageOurKey(acc);

    const no = await runCliInTerminal(["devices", acc.phone, "end", phone], {
      env,
      prompt: "[y/N]",
      answer: "n",
    });
    expect(no.code).toBe(1);
    expect(no.screen).toContain(
      `End the login on Samsung Galaxy S23 (Android SDK 34), Telegram Android 11.2.3 (API id 6), official app of ${acc.phone}? [y/N]`,
    );
    expect(no.screen).toContain("Nothing was ended: you did not confirm.");
    expect(hashesAtDc(acc.phone)).toContain(phone);

    const yes = await runCliInTerminal(["devices", acc.phone, "end", phone], {
      env,
      prompt: "[y/N]",
      answer: "y",
    });
    expect(yes.code).toBe(0);
    expect(hashesAtDc(acc.phone)).not.toContain(phone);
  });

  it("end --others --yes ends every login but ours; our key still works", async () => {
    const { acc } = await accountWithTwoOthers();
    ageOurKey(acc);

    const r = await runCli(["devices", acc.phone, "end", "--others", "--yes"], { env });

    expect(r.code).toBe(0);
    expect(r.stderr).toContain(`Every login of ${acc.phone} but this session will be ended:`);
    expect(r.stdout).toContain(`Ended: every other login of ${acc.phone} is logged out at Telegram.`);
    expect(dc.authorizationsOf(acc.phone)).toHaveLength(1);
    expect(dc.keyState(acc.sessionString).loggedInAs).toBe(BigInt(acc.userId));
    expect(await auditOf(acc.phone)).toEqual(["session.devices-ended: "]);
  });

  it("from a key younger than 24 h: says from when it is possible, exit 1, nothing ended or audited", async () => {
    const { acc } = await accountWithTwoOthers();
    ageOurKey(acc, 2);
    const before = hashesAtDc(acc.phone);

    const r = await runCli(["devices", acc.phone, "end", "--others", "--yes"], { env });

    expect(r.code).toBe(1);
    const ours = dc.authorizationsOf(acc.phone)[0]!.createdAt.getTime();
    const from = new Date(Math.floor(ours / 1000) * 1000 + 24 * HOUR).toISOString();
    expect(r.stderr).toContain(
      `Not yet: this session's key is younger than 24 h, and Telegram lets it end other logins from ${from}`,
    );
    expect(r.stderr).toContain("Nothing was changed");
    expect(r.stderr).not.toContain("will be ended");
    expect(hashesAtDc(acc.phone)).toEqual(before);
    expect(await auditOf(acc.phone)).toEqual([]);
  });

  it("refuses wrong input with what to do, and changes nothing", async () => {
    const { acc, phone } = await accountWithTwoOthers();
    ageOurKey(acc);
    const before = hashesAtDc(acc.phone);
    const accepted = dc.stats().connectionsAccepted;

    const notAHash = await runCli(["devices", acc.phone, "end", "abc", "--yes"], { env });
    expect(notAHash.code).toBe(2);
    expect(notAHash.stderr).toContain(`"abc" is not an authorization hash`);
    const both = await runCli(["devices", acc.phone, "end", phone, "--others", "--yes"], { env });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("Give either the hash of the login to end or --others");
    const verb = await runCli(["devices", acc.phone, "kill", phone], { env });
    expect(verb.code).toBe(2);
    expect(verb.stderr).toContain(`Unknown action "kill"`);
    expect(dc.stats().connectionsAccepted).toBe(accepted);

    const unknown = await runCli(["devices", acc.phone, "end", "12345", "--yes"], { env });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain(`${acc.phone} has no login with hash 12345; nothing was changed.`);
    // A negative hash is an argument, not an option.
    const negative = await runCli(["devices", acc.phone, "end", "-12345", "--yes"], { env });
    expect(negative.code).toBe(1);
    expect(negative.stderr).toContain(`${acc.phone} has no login with hash -12345; nothing was changed.`);
    const noTerminal = await runCli(["devices", acc.phone, "end", phone], { env });
    expect(noTerminal.code).toBe(2);
    expect(noTerminal.stderr).toContain(`Refusing to end a login of ${acc.phone} without confirmation`);
    expect(hashesAtDc(acc.phone)).toEqual(before);
    expect(await auditOf(acc.phone)).toEqual([]);
  });
});
