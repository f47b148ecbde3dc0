/**
 * `sessions cleanup`: the weekly cleanup (SEED.md "Auto-cleanup") run now from the terminal, as a real process on
 * DynamoDB Local and a loopback DC (each key is logged out at Telegram before it is destroyed). A dry run lists and
 * changes nothing, never calling Telegram; a real run deletes exactly the error sessions older than the cut-off,
 * after saying how many.
 */
import { userInfo } from "node:os";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AuditLog } from "../../lib/bot-state/audit";
import { loopbackDcEnv } from "../support/cli-dc";
import { cliEnv, daysAgo, runCli, seed } from "../support/cli-run";
import { createTestStore, type TestStore } from "../support/dynamo";
import { startLoopbackDc, type LoopbackDc } from "../support/mtproto/loopback-dc";

vi.setConfig({ testTimeout: 90_000 });

describe("sessions cleanup", () => {
  let store: TestStore;
  let env: NodeJS.ProcessEnv;
  let dc: LoopbackDc;
  const phones = [1, 2, 3, 4, 5, 6].map((n) => `+99890555000${n}`);
  const keys: string[] = [];
  beforeAll(async () => {
    [store, dc] = await Promise.all([createTestStore(), startLoopbackDc()]);
    env = cliEnv(store, loopbackDcEnv(dc));
    for (const [i, phone] of phones.slice(0, 3).entries()) {
      keys.push(dc.addAccount({ phone, userId: 655_000 + i, firstName: "Clean" }).sessionString);
    }
    // The second old error's account is gone: Telegram refuses its key already.
    dc.forget(phones[1]!);
    await seed(store, [
      {
        phone: phones[0]!,
        status: "error",
        at: daysAgo(45),
        lastError: "AUTH_KEY_UNREGISTERED: session expired",
        sessionString: keys[0]!,
      },
      {
        phone: phones[1]!,
        status: "error",
        at: daysAgo(31),
        code: "USER_DEACTIVATED",
        lastError: "USER_DEACTIVATED",
        sessionString: keys[1]!,
      },
      { phone: phones[2]!, status: "error", at: daysAgo(10), sessionString: keys[2]! },
      { phone: phones[3]!, at: daysAgo(90) },
      { phone: phones[4]!, status: "paused", at: daysAgo(90) },
      { phone: phones[5]!, status: "deleted", at: daysAgo(90) },
    ]);
  });
  afterAll(async () => {
    await dc?.stop();
  });
  const statuses = async () =>
    Promise.all(phones.map(async (p) => (await store.sessions().get(p as never))?.status));

  it("--dry-run lists the old error sessions, oldest first, and deletes nothing", async () => {
    const r = await runCli(["cleanup", "--dry-run"], { env });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines[0]).toBe("Would delete 2 sessions in error and unchanged for more than 30 days:");
    expect(lines[1]).toMatch(
      new RegExp(
        `^  \\${phones[0]}  in error since \\d{4}-\\d\\d-\\d\\d \\(45d ago\\)  AUTH_KEY_UNREGISTERED`,
      ),
    );
    expect(lines[2]).toMatch(
      new RegExp(`^  \\${phones[1]}  in error since .* \\(31d ago\\)  USER_DEACTIVATED`),
    );
    expect(lines[3]).toBe("Dry run: nothing was changed. Run without --dry-run to do it.");
    expect(await statuses()).toEqual(["error", "error", "error", "active", "paused", "deleted"]);
    expect(dc.stats().connectionsAccepted).toBe(0);
  });

  it("--dry-run --json gives scripts what would be deleted, and changes nothing", async () => {
    const r = await runCli(["cleanup", "--dry-run", "--json"], { env });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      dryRun: boolean;
      olderThanDays: number;
      deleted: { phone: string }[];
      kept: string[];
      fleet: Record<string, number>;
    };
    expect(out).toMatchObject({ dryRun: true, olderThanDays: 30, kept: [] });
    expect(out.deleted.map((d) => d.phone).sort()).toEqual([phones[0], phones[1]].sort());
    expect(out.fleet.error).toBe(3);
    expect(await statuses()).toEqual(["error", "error", "error", "active", "paused", "deleted"]);
  });

  it("without a terminal and without --yes: the count, then a refusal; nothing deleted", async () => {
    const r = await runCli(["cleanup"], { env, input: "y\n" });
    expect(r.code).toBe(2);
    expect(r.stdout).toContain(
      "This will log out at Telegram and delete 2 sessions in error and unchanged for more than 30 days:",
    );
    expect(r.stderr).toContain("Pass --yes to confirm.");
    expect(await statuses()).toEqual(["error", "error", "error", "active", "paused", "deleted"]);
  });

  it("a malformed --older-than-days: exit 2, nothing deleted", async () => {
    for (const bad of ["0", "a month", "-3"]) {
      const r = await runCli(["cleanup", `--older-than-days=${bad}`, "--yes"], { env });
      expect(r.code).toBe(2);
      expect(r.stderr).toContain("--older-than-days must be a whole number of days, at least 1");
    }
    expect(await statuses()).toEqual(["error", "error", "error", "active", "paused", "deleted"]);
  });

  it("--yes deletes exactly the old error sessions, with the audit trail; a second run finds nothing", async () => {
    const r = await runCli(["cleanup", "--yes"], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "This will log out at Telegram and delete 2 sessions in error and unchanged for more than 30 days:",
    );
    expect(r.stdout).toContain(
      "Deleted 2 sessions in error and unchanged for more than 30 days: 1 logged out at Telegram and destroyed, " +
        "1 already refused by Telegram and destroyed, 0 with the logout pending.",
    );
    // The live key is dead at the DC now; the other was already.
    expect(dc.keyState(keys[0]!).loggedInAs).toBeUndefined();
    // The tombstone seeded 90 days ago expired 60 days ago (DynamoDB Local runs no TTL): it no longer counts.
    expect(r.stdout).toContain("Fleet now: 1 active, 1 paused, 1 error, 2 deleted.");
    expect(await statuses()).toEqual(["deleted", "deleted", "error", "active", "paused", "deleted"]);
    const audit = (
      await new AuditLog(store.doc, store.botStateTable).day(new Date().toISOString().slice(0, 10))
    ).filter((a) => a.action === "cleanup.deleted");
    expect(audit.map((a) => a.phone).sort()).toEqual([phones[0], phones[1]]);
    expect(new Set(audit.map((a) => a.actor))).toEqual(new Set([`cli:${userInfo().username}`]));

    const again = await runCli(["cleanup", "--older-than-days", "7", "--yes"], { env });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain(
      "Deleted 1 session in error and unchanged for more than 7 days: 1 logged out at Telegram and destroyed",
    );
    expect(dc.keyState(keys[2]!).loggedInAs).toBeUndefined();
    expect(await statuses()).toEqual(["deleted", "deleted", "deleted", "active", "paused", "deleted"]);
  });
});
