/**
 * `sessions cleanup`: the weekly cleanup (SEED.md "Auto-cleanup") run now from the terminal, as a real process on
 * DynamoDB Local. A dry run lists and deletes nothing; a real run deletes exactly the error sessions older than the
 * cut-off, after saying how many.
 */
import { userInfo } from "node:os";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { AuditLog } from "../../lib/bot-state/audit";
import { cliEnv, daysAgo, runCli, seed } from "../support/cli-run";
import { createTestStore, type TestStore } from "../support/dynamo";

vi.setConfig({ testTimeout: 90_000 });

describe("sessions cleanup", () => {
  let store: TestStore;
  let env: NodeJS.ProcessEnv;
  const phones = [1, 2, 3, 4, 5, 6].map((n) => `+99890555000${n}`);
  beforeAll(async () => {
    store = await createTestStore();
    env = cliEnv(store);
    await seed(store, [
      {
        phone: phones[0]!,
        status: "error",
        at: daysAgo(45),
        lastError: "AUTH_KEY_UNREGISTERED: session expired",
      },
      {
        phone: phones[1]!,
        status: "error",
        at: daysAgo(31),
        code: "USER_DEACTIVATED",
        lastError: "USER_DEACTIVATED",
      },
      { phone: phones[2]!, status: "error", at: daysAgo(10) },
      { phone: phones[3]!, at: daysAgo(90) },
      { phone: phones[4]!, status: "paused", at: daysAgo(90) },
      { phone: phones[5]!, status: "deleted", at: daysAgo(90) },
    ]);
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
    expect(lines[3]).toBe("Dry run: nothing was deleted. Run without --dry-run to delete them.");
    expect(await statuses()).toEqual(["error", "error", "error", "active", "paused", "deleted"]);
  });

  it("without a terminal and without --yes: the count, then a refusal; nothing deleted", async () => {
    const r = await runCli(["cleanup"], { env, input: "y\n" });
    expect(r.code).toBe(2);
    expect(r.stdout).toContain("This will delete 2 sessions in error and unchanged for more than 30 days:");
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
    expect(r.stdout).toContain("This will delete 2 sessions in error and unchanged for more than 30 days:");
    expect(r.stdout).toContain("Deleted 2 sessions in error and unchanged for more than 30 days.");
    expect(r.stdout).toContain("Fleet now: 1 active, 1 paused, 1 error, 3 deleted.");
    expect(await statuses()).toEqual(["deleted", "deleted", "error", "active", "paused", "deleted"]);
    const audit = (
      await new AuditLog(store.doc, store.botStateTable).day(new Date().toISOString().slice(0, 10))
    ).filter((a) => a.action === "cleanup.deleted");
    expect(audit.map((a) => a.phone).sort()).toEqual([phones[0], phones[1]]);
    expect(new Set(audit.map((a) => a.actor))).toEqual(new Set([`cli:${userInfo().username}`]));

    const again = await runCli(["cleanup", "--older-than-days", "7", "--yes"], { env });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("Deleted 1 session in error and unchanged for more than 7 days.");
    expect(await statuses()).toEqual(["deleted", "deleted", "deleted", "active", "paused", "deleted"]);
  });
});
