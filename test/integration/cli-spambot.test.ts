/**
 * `sessions spambot`, run as real `sessions` processes against DynamoDB Local and a loopback DC serving a scripted
 * @SpamBot: one session or the whole fleet at a pace, each answer classified and stored, `show` and
 * `list --restricted` reading it back, and the run's summary counting each kind.
 */
import { describe, expect, it } from "vitest";
import { runCli } from "../support/cli-run";
import type { TestStore } from "../support/dynamo";
import { seedDcSession, type DcHarness } from "../support/mtproto/dc-harness";
import type { LoopbackDc } from "../support/mtproto/loopback-dc";
import { cliOnLoopbackDc } from "../support/cli-on-dc";
import { LIMITED_UNTIL_ISO, SPAMBOT_REPLIES } from "../support/spambot-replies";

let dc: LoopbackDc;
let store: TestStore;
let h: DcHarness;
let env: NodeJS.ProcessEnv;
cliOnLoopbackDc((c) => ({ dc, store, h, env } = c));

describe("sessions spambot", () => {
  it("--all asks every active session at the pace, stores each answer, and counts them", async () => {
    const free = await seedDcSession(h);
    const limited = await seedDcSession(h);
    const paused = await seedDcSession(h);
    await h.sessions.pause(paused.phone);
    dc.spamBot.script(free.phone, SPAMBOT_REPLIES.en.free);
    dc.spamBot.script(limited.phone, SPAMBOT_REPLIES.ru.limitedUntil);

    const started = Date.now();
    const r = await runCli(["spambot", "--all", "--pace", "2s"], { env });
    expect(r.code).toBe(0);
    expect(Date.now() - started).toBeGreaterThanOrEqual(2_000);
    expect(r.stdout).toContain(`FREE  ${free.phone}: free`);
    expect(r.stdout).toContain(`LIMITED  ${limited.phone}: limited until ${LIMITED_UNTIL_ISO}`);
    expect(r.stdout).toContain(
      "Asked @SpamBot for 2 sessions: 1 free, 1 limited until a date, 0 limited for good, 0 unknown, 0 not asked.",
    );
    // Only active sessions are asked; a paused one sends nothing.
    expect(dc.spamBot.sent(paused.phone)).toEqual([]);
    expect((await store.sessions().require(limited.phone)).restriction).toMatchObject({
      state: "limited",
      until: LIMITED_UNTIL_ISO,
    });

    const list = await runCli(["list", "--restricted"], { env });
    expect(list.stdout).toContain(limited.phone);
    expect(list.stdout).not.toContain(free.phone);
    expect(list.stdout).toContain("1 restricted by Telegram as @SpamBot last said.");

    const show = await runCli(["show", limited.phone], { env });
    expect(show.stdout).toMatch(new RegExp(`@SpamBot\\s+limited until ${LIMITED_UNTIL_ISO}`));
  });

  it("one session with an unknown answer shows it verbatim; a bad pace is refused", async () => {
    const acc = await seedDcSession(h);
    dc.spamBot.script(acc.phone, SPAMBOT_REPLIES.en.unknown);
    const r = await runCli(["spambot", acc.phone], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`UNKNOWN  ${acc.phone}: unknown reply`);
    expect(r.stdout).toContain(SPAMBOT_REPLIES.en.unknown);

    const bad = await runCli(["spambot", "--all", "--pace", "0s"], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('--pace takes a time from 1s to 60m, e.g. 30s or 2m (got "0s").');
  });
});
