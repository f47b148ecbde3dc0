/**
 * Deleting from the terminal ends the key at Telegram too (issue 16), as real `sessions` processes against DynamoDB
 * Local and a loopback DC: `remove` logs the key out before destroying it (a later getMe with the old key gets
 * AUTH_KEY_UNREGISTERED) and says so; with Telegram unreachable it says the key may still work and until when the
 * logout is retried; `revoke-pending` finishes it when Telegram is back, and past the give-up date destroys the
 * ciphertext anyway and audits that the logout was never confirmed.
 */
import { userInfo } from "node:os";
import { describe, expect, it } from "vitest";
import { AuditLog } from "../../lib/bot-state/audit";
import type { Phone } from "../../lib/sessions";
import { runCli, runCliInTerminal } from "../support/cli-run";
import type { TestStore } from "../support/dynamo";
import type { ClientPool } from "../support/mtproto/clients";
import { seedDcSession, type DcHarness } from "../support/mtproto/dc-harness";
import type { LoopbackDc } from "../support/mtproto/loopback-dc";
import { cliOnLoopbackDc } from "../support/cli-on-dc";

let dc: LoopbackDc;
let store: TestStore;
let h: DcHarness;
let env: NodeJS.ProcessEnv;
let clients: ClientPool;
cliOnLoopbackDc((c) => ({ dc, store, h, env, clients } = c), { clients: true, clearScriptsAfterEach: true });

const today = () => new Date().toISOString().slice(0, 10);

/** getMe with `sessionString` on a fresh client: the user id, or Telegram's error name. */
function getMeWith(sessionString: string): Promise<string> {
  return clients.getMe(sessionString, { destroyAll: true });
}

async function auditOf(phone: Phone): Promise<string[]> {
  const day = await new AuditLog(store.doc, store.botStateTable).day(today());
  return day.filter((e) => e.phone === phone).map((e) => `${e.action}: ${e.detail ?? ""}`);
}

describe("sessions remove <phone>", () => {
  it("--yes logs the key out at Telegram, then destroys it; says so; the old key gets AUTH_KEY_UNREGISTERED", async () => {
    const acc = await seedDcSession(h);

    const r = await runCli(["remove", acc.phone, "--yes"], { env });

    expect(r.code).toBe(0);
    expect(r.stdout).toContain(`Deleted ${acc.phone} (was active): logged out at Telegram and destroyed.`);
    expect(r.stdout).not.toContain(acc.sessionString);
    expect(await store.sessions().get(acc.phone)).toMatchObject({
      status: "deleted",
      hasSecret: false,
      revocation: { state: "logged-out" },
    });
    expect(await getMeWith(acc.sessionString)).toBe("AUTH_KEY_UNREGISTERED");
    const audit = (await new AuditLog(store.doc, store.botStateTable).day(today())).filter(
      (a) => a.phone === acc.phone,
    );
    expect(audit).toEqual([
      expect.objectContaining({
        action: "session.deleted",
        actor: `cli:${userInfo().username}`,
        detail: "was active; logged out at Telegram and destroyed",
      }),
    ]);
  });

  it("at a terminal, shows the session and asks; no changes nothing at Telegram or here, yes logs out and deletes", async () => {
    const acc = await seedDcSession(h);
    const accepted = dc.stats().connectionsAccepted;
    const no = await runCliInTerminal(["remove", acc.phone], { env, prompt: "[y/N]", answer: "n" });
    expect(no.code).toBe(1);
    expect(no.screen).toMatch(new RegExp(`This session will be deleted:\\n\\s+Phone\\s+\\${acc.phone}`));
    expect(no.screen).toContain("Not deleted: you did not confirm.");
    expect((await store.sessions().get(acc.phone))?.status).toBe("active");
    expect(dc.stats().connectionsAccepted).toBe(accepted);

    const yes = await runCliInTerminal(["remove", acc.phone], { env, prompt: "[y/N]", answer: "y" });
    expect(yes.code).toBe(0);
    expect(yes.screen).toContain(`Deleted ${acc.phone} (was active): logged out at Telegram and destroyed.`);
    expect(dc.keyState(acc.sessionString).loggedInAs).toBeUndefined();
  });

  it("a key Telegram already refuses is destroyed at once, without a retry", async () => {
    const acc = await seedDcSession(h);
    dc.forget(acc.phone);
    const r = await runCli(["remove", acc.phone, "--yes"], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `Deleted ${acc.phone} (was active): Telegram already refused the key (AUTH_KEY_UNREGISTERED): destroyed.`,
    );
    expect(await store.sessions().get(acc.phone)).toMatchObject({
      hasSecret: false,
      revocation: { state: "already-dead", attempts: 1 },
    });
    expect(
      (await store.sessions().listPendingRevocations({ limit: 100 })).items.map((s) => s.phone),
    ).not.toContain(acc.phone);
  });

  it("without API_ID: says where to get it after the question, and nothing changes here or at Telegram", async () => {
    const acc = await seedDcSession(h);
    const accepted = dc.stats().connectionsAccepted;
    const r = await runCli(["remove", acc.phone, "--yes"], { env: { ...env, API_ID: "" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("Missing API_ID");
    expect(await store.sessions().get(acc.phone)).toMatchObject({ status: "active", hasSecret: true });
    expect(dc.stats().connectionsAccepted).toBe(accepted);
  });
});

describe("Telegram unreachable at the delete, then sessions revoke-pending", () => {
  it("remove says the key may still work and until when; revoke-pending with Telegram back logs it out and destroys it", async () => {
    const acc = await seedDcSession(h);
    dc.script(acc.phone, { method: "auth.LogOut", error: { code: 420, message: "FLOOD_WAIT_60" } });

    const r = await runCli(["remove", acc.phone, "--yes"], { env });

    expect(r.code).toBe(0);
    const row = await store.sessions().get(acc.phone);
    expect(row).toMatchObject({ status: "deleted", hasSecret: true, revocation: { state: "pending" } });
    const giveUpAt = row?.revocation?.state === "pending" ? row.revocation.giveUpAt : "?";
    expect(r.stdout).toContain(
      `Deleted ${acc.phone} (was active): deleted here; Telegram could not be reached (FLOOD_WAIT: Telegram asks to wait 60 s`,
    );
    expect(r.stdout).toContain(`the logout is retried until ${giveUpAt}`);
    expect(r.stderr).toContain("Its key may still work at Telegram. Run `sessions revoke-pending`");
    expect(dc.keyState(acc.sessionString).loggedInAs).toBe(BigInt(acc.userId));
    // `show` says the logout is pending and until when.
    const shown = await runCli(["show", acc.phone], { env });
    expect(shown.stdout).toMatch(/Logout at Telegram\s+pending: not confirmed yet \(FLOOD_WAIT/);
    expect(shown.stdout).toContain(`retried until ${giveUpAt}`);
    // `list` marks the tombstone and counts the fleet's pending logouts; `list --json` carries both.
    const listed = await runCli(["list", "--status", "deleted", "--all"], { env });
    expect(listed.stdout).toMatch(new RegExp(`\\${acc.phone}.*deleted \\(logout pending\\)`));
    expect(listed.stdout).toMatch(
      /\d+ deleted sessions?'s? keys? may still work at Telegram: logout pending/,
    );
    const json = JSON.parse((await runCli(["list", "--json"], { env })).stdout) as {
      sessions: { phone: string; revocation: Record<string, unknown> | null }[];
      pendingRevocations: number;
    };
    expect(json.pendingRevocations).toBeGreaterThanOrEqual(1);
    expect(json.sessions.find((x) => x.phone === acc.phone)?.revocation).toMatchObject({
      state: "pending",
      pending: true,
      attempts: 1,
      giveUpAt,
      lastError: expect.stringContaining("FLOOD_WAIT") as unknown,
    });
    // The phone is not free until the logout is settled: a new session for it is refused with what to do.
    await expect(
      store.sessions().create({ phone: acc.phone, sessionString: "x", account: { userId: "1" } }),
    ).rejects.toThrow(/`sessions revoke-pending`/);

    dc.clearScripts();
    const retry = await runCli(["revoke-pending"], { env });

    expect(retry.code).toBe(0);
    expect(retry.stdout).toMatch(/Pending logouts retried: \d+; \d+ confirmed and destroyed/);
    expect(await store.sessions().get(acc.phone)).toMatchObject({
      hasSecret: false,
      revocation: { state: "logged-out", attempts: 2 },
    });
    expect(await getMeWith(acc.sessionString)).toBe("AUTH_KEY_UNREGISTERED");
    expect(await auditOf(acc.phone)).toEqual([
      expect.stringMatching(/^session\.deleted: was active; deleted here; Telegram could not be reached/),
      "session.logout: logged out at Telegram and destroyed",
    ]);
    const again = await runCli(["revoke-pending"], { env });
    expect(again.stdout).toContain("No pending logouts");
  });

  it("past the give-up date, still unreachable: the ciphertext is destroyed anyway and audited as never confirmed", async () => {
    const acc = await seedDcSession(h);
    // Deleted eight days ago while Telegram could not be reached: its give-up date (7 days) has passed.
    const past = store.sessions({ now: () => new Date(Date.now() - 8 * 86_400_000) });
    await past.deleteWithRevocation(acc.phone, { notConfirmed: "TIMEOUT: Telegram did not answer" });
    dc.script(acc.phone, { method: "auth.LogOut", error: { code: 420, message: "FLOOD_WAIT_60" } });

    const r = await runCli(["revoke-pending"], { env });

    expect(r.code).toBe(0);
    expect(r.stdout).toContain("1 given up (never confirmed; destroyed anyway, audited)");
    expect(await store.sessions().get(acc.phone)).toMatchObject({
      status: "deleted",
      hasSecret: false,
      revocation: { state: "unconfirmed", attempts: 2 },
    });
    expect(await auditOf(acc.phone)).toEqual([
      expect.stringMatching(
        /^session\.logout: logout never confirmed after 2 attempts \(last: FLOOD_WAIT: Telegram asks to wait 60 s.*\); the ciphertext is destroyed anyway$/,
      ),
    ]);
  });
});
