/**
 * The emergency runbook from the terminal (SEED.md): back up, remove every session in error, and the admins who
 * can use the AdminBot afterwards (the seed's addFirstAdmin.js). The real CLI as a process, on DynamoDB Local.
 */
import { existsSync, readdirSync, readFileSync } from "node:fs";
import { join } from "node:path";
import { userInfo } from "node:os";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AdminRepository } from "../../lib/bot-state/admins";
import { AuditLog } from "../../lib/bot-state/audit";
import type { Phone } from "../../lib/sessions";
import { loopbackDcEnv } from "../support/cli-dc";
import {
  cliEnv as storeEnv,
  daysAgo,
  fakeSessionString,
  runCli,
  runCliInTerminal,
  seed as seedFake,
  type SeedSession,
} from "../support/cli-run";
import { createTestStore, type TestStore } from "../support/dynamo";
import { startLoopbackDc, type LoopbackDc } from "../support/mtproto/loopback-dc";

// Every test starts real `sessions` processes (about a second each, several on a busy two-core machine).
vi.setConfig({ testTimeout: 90_000 });

const today = () => new Date().toISOString().slice(0, 10);

/** Removing a session logs its key out at Telegram first: the CLI talks to this loopback DC. */
let dc: LoopbackDc;
beforeAll(async () => {
  dc = await startLoopbackDc();
});
afterAll(async () => {
  await dc?.stop();
});
const cliEnv = (store: TestStore) => storeEnv(store, loopbackDcEnv(dc));
let nextUserId = 674_000;
/** Sessions whose keys are logged in at the DC (each phone an account there). */
function seed(store: TestStore, sessions: readonly SeedSession[]): Promise<Phone[]> {
  return seedFake(
    store,
    sessions.map((s) => ({
      ...s,
      sessionString: dc.addAccount({ phone: s.phone, userId: ++nextUserId, firstName: "Err" }).sessionString,
    })),
  );
}

describe("remove-errors: remove every session in status error", () => {
  let store: TestStore;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    store = await createTestStore();
    env = cliEnv(store);
    await seed(store, [
      { phone: "+998904440001", status: "error", at: daysAgo(40) },
      { phone: "+998904440002", status: "error", at: daysAgo(35) },
      { phone: "+998904440003", status: "error", at: daysAgo(31) },
      { phone: "+998904440004", status: "error", at: daysAgo(2) },
      { phone: "+998904440005", at: daysAgo(90) },
      { phone: "+998904440006", status: "paused", at: daysAgo(90) },
    ]);
  });

  const statuses = async () =>
    Object.fromEntries(
      await Promise.all(
        [1, 2, 3, 4, 5, 6].map(async (n) => {
          const phone = `+99890444000${n}`;
          return [phone, (await store.sessions().get(phone as never))?.status] as const;
        }),
      ),
    );

  it("refuses without a terminal and without --yes, after showing the count, and deletes nothing", async () => {
    const r = await runCli(["remove-errors", "--older-than-days", "30"], { env, input: "y\n" });
    expect(r.code).toBe(2);
    expect(r.stdout).toContain("This will delete 3 sessions in error (older than 30 days)");
    expect(r.stderr).toContain("Pass --yes");
    expect(Object.values(await statuses())).toEqual(["error", "error", "error", "error", "active", "paused"]);
  });

  it("refuses a malformed --older-than-days, exit 2", async () => {
    const r = await runCli(["remove-errors", "--older-than-days", "a month", "--yes"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("--older-than-days must be a whole number of days");
    expect(Object.values(await statuses())).toEqual(["error", "error", "error", "error", "active", "paused"]);
  });

  it("counts first, then deletes exactly the old error sessions and keeps the rest", async () => {
    const r = await runCli(["remove-errors", "--older-than-days", "30", "--yes"], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      "This will delete 3 sessions in error (older than 30 days): +998904440001, +998904440002, +998904440003.",
    );
    expect(r.stdout).toContain(
      "Deleted 3 sessions in error (older than 30 days): 3 logged out at Telegram and destroyed, 0 already " +
        "refused by Telegram and destroyed, 0 with the logout pending.",
    );
    expect(await statuses()).toEqual({
      "+998904440001": "deleted",
      "+998904440002": "deleted",
      "+998904440003": "deleted",
      "+998904440004": "error",
      "+998904440005": "active",
      "+998904440006": "paused",
    });
    const audit = (await new AuditLog(store.doc, store.botStateTable).day(today())).filter((a) =>
      a.detail?.startsWith("remove-errors; "),
    );
    for (const a of audit) expect(a.detail).toBe("remove-errors; logged out at Telegram and destroyed");
    expect(audit.map((a) => a.phone).sort()).toEqual(["+998904440001", "+998904440002", "+998904440003"]);
    expect(new Set(audit.map((a) => a.actor))).toEqual(new Set([`cli:${userInfo().username}`]));
  });

  it("without --older-than-days removes every error session; run again, there is nothing left to do", async () => {
    const r = await runCli(["remove-errors", "--yes", "--json"], { env });
    expect(r.code).toBe(0);
    // --json: the result alone on stdout, what is said on the way on stderr.
    expect(r.stderr).toContain("This will delete 1 session in error: +998904440004.");
    expect(JSON.parse(r.stdout)).toEqual({
      found: 1,
      deleted: 1,
      loggedOut: 1,
      alreadyDead: 0,
      logoutPending: 0,
      logoutRetriedUntil: null,
      kept: [],
      notTried: 0,
    });
    expect((await statuses())["+998904440004"]).toBe("deleted");

    const again = await runCli(["remove-errors", "--yes"], { env });
    expect(again.code).toBe(0);
    expect(again.stdout).toContain("No sessions in error. Nothing to delete.");
    expect((await statuses())["+998904440005"]).toBe("active");
  });

  it("at a terminal, asks after the count, then draws progress; answering no deletes nothing", async () => {
    const s = await createTestStore();
    const phones = await seed(s, [
      { phone: "+998904448001", status: "error" },
      { phone: "+998904448002", status: "error" },
    ]);
    const e = cliEnv(s);
    const no = await runCliInTerminal(["remove-errors"], { env: e, prompt: "[y/N]", answer: "no" });
    expect(no.code).toBe(1);
    expect(no.screen).toContain("This will delete 2 sessions in error: +998904448001, +998904448002.");
    expect(no.screen).toContain("Nothing deleted: you did not confirm.");
    for (const p of phones) expect((await s.sessions().get(p))?.status).toBe("error");

    const yes = await runCliInTerminal(["remove-errors"], { env: e, prompt: "[y/N]", answer: "y" });
    expect(yes.code).toBe(0);
    expect(yes.screen).toContain("Delete 2 sessions? [y/N]");
    expect(yes.screen).toMatch(/Deleting \[█+\] 2\/2 100%/);
    expect(yes.screen).toContain("Deleted 2 sessions in error: 2 logged out at Telegram and destroyed");
    for (const p of phones) expect((await s.sessions().get(p))?.status).toBe("deleted");
  });

  it("stops cleanly on Ctrl-C halfway: what was deleted stays deleted, and running it again finishes", async () => {
    const s = await createTestStore();
    const e = cliEnv(s);
    const many = Array.from({ length: 150 }, (_, i) => ({
      phone: `+9989044${String(70000 + i)}`,
      status: "error" as const,
    }));
    await seed(s, many);
    const errorsLeft = async () => (await s.sessions().countByStatus()).error;

    const first = await runCli(["remove-errors", "--yes"], {
      env: e,
      interruptAfter: "This will delete 150 sessions",
    });
    expect(first.code).toBe(130);
    const deleted = Number(/Deleted (\d+) sessions? in error/.exec(first.stdout)?.[1]);
    expect(first.stderr).toContain(`Interrupted: ${150 - deleted} not tried. What was deleted stays deleted`);
    expect(deleted).toBeGreaterThan(0); // the deletes already in flight finish
    expect(deleted).toBeLessThan(150);
    expect(await errorsLeft()).toBe(150 - deleted);

    const second = await runCli(["remove-errors", "--yes"], { env: e });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain(`Deleted ${150 - deleted} session`);
    expect(await errorsLeft()).toBe(0);
    expect((await s.sessions().countByStatus()).deleted).toBe(150);
  });

  it("leaves alone a session logged in again since it failed", async () => {
    const s = await createTestStore();
    const [phone] = await seed(s, [{ phone: "+998904449001", status: "error", at: daysAgo(40) }]);
    // The decision is taken on what was counted; a relogin since moves the session out of `error` first.
    await s.sessions().relogin(phone!, fakeSessionString(phone!), { userId: "9" });
    const r = await runCli(["remove-errors", "--older-than-days", "30", "--yes"], { env: cliEnv(s) });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("No sessions in error (older than 30 days). Nothing to delete.");
    expect((await s.sessions().get(phone!))?.status).toBe("active");
  });
});

describe("admins: add-admin, admins, remove-admin", () => {
  let store: TestStore;
  let env: NodeJS.ProcessEnv;
  beforeAll(async () => {
    store = await createTestStore();
    env = cliEnv(store);
  });

  it("says there are no admins yet and how to add the first", async () => {
    const r = await runCli(["admins"], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("No admins yet");
    expect(r.stdout).toContain("sessions add-admin <your telegram user id> --owner");
  });

  it("makes the first admin an owner, later ones admins, and lists them", async () => {
    const first = await runCli(["add-admin", "111111"], { env });
    expect(first.code).toBe(0);
    expect(first.stdout).toContain("Added 111111 as owner (the first admin is always an owner)");
    const second = await runCli(["add-admin", "222222"], { env });
    expect(second.code).toBe(0);
    expect(second.stdout).toContain("Added 222222 as admin");
    const again = await runCli(["add-admin", "222222"], { env });
    expect(again.stdout).toContain("222222 is already an admin (admin); nothing changed.");

    const list = await runCli(["admins"], { env });
    expect(list.code).toBe(0);
    expect(list.stdout).toMatch(
      /^USER ID\s+ROLE\s+NAME\s+ADDED\s+ADDED BY\n111111\s+owner\s+—\s+just now\s+cli:/,
    );
    expect(list.stdout).toMatch(/\n222222\s+admin/);
    const json = JSON.parse((await runCli(["admins", "--json"], { env })).stdout) as {
      userId: string;
      role: string;
    }[];
    expect(json.map((a) => [a.userId, a.role])).toEqual([
      ["111111", "owner"],
      ["222222", "admin"],
    ]);
    const audit = await new AuditLog(store.doc, store.botStateTable).day(today());
    expect(audit.filter((a) => a.action === "admin.added").map((a) => a.detail)).toEqual([
      "111111 as owner",
      "222222 as admin",
    ]);
  });

  it("refuses to remove the last owner, exit 1, and keeps them", async () => {
    const r = await runCli(["remove-admin", "111111", "--yes"], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(
      "This is the last owner and cannot be removed. Make another admin an owner first.",
    );
    expect((await new AdminRepository(store.doc, store.botStateTable).get("111111"))?.role).toBe("owner");
  });

  it("asks before removing an admin: without a terminal it needs --yes", async () => {
    const refused = await runCli(["remove-admin", "222222"], { env });
    expect(refused.code).toBe(2);
    expect(refused.stderr).toContain("Pass --yes");
    expect(await new AdminRepository(store.doc, store.botStateTable).get("222222")).toBeDefined();

    const r = await runCli(["remove-admin", "222222", "--yes"], { env });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Removed 222222 (admin)");
    expect(await new AdminRepository(store.doc, store.botStateTable).get("222222")).toBeUndefined();
  });

  it("promotes an admin with --owner; then the first owner can go", async () => {
    await runCli(["add-admin", "333333"], { env });
    const promoted = await runCli(["add-admin", "333333", "--owner"], { env });
    expect(promoted.stdout).toContain("333333 is now an owner.");
    const r = await runCli(["remove-admin", "111111", "--yes"], { env });
    expect(r.code).toBe(0);
    const admins = await new AdminRepository(store.doc, store.botStateTable).list();
    expect(admins.map((a) => [a.userId, a.role])).toEqual([["333333", "owner"]]);
  });

  it("keeps a user id past 2^53 exactly (no rounding through a number), and refuses a leading zero", async () => {
    const added = await runCli(["add-admin", "9007199254740993"], { env });
    expect(added.code).toBe(0);
    expect(added.stdout).toContain("Added 9007199254740993 as admin");
    const listed = await runCli(["admins", "--json"], { env });
    expect((JSON.parse(listed.stdout) as { userId: string }[]).map((a) => a.userId)).toContain(
      "9007199254740993",
    );
    const zero = await runCli(["add-admin", "0123456"], { env });
    expect(zero.code).toBe(2);
    expect(zero.stderr).toContain("no leading zero");
    const removed = await runCli(["remove-admin", "9007199254740993", "--yes"], { env });
    expect(removed.code).toBe(0);
    expect((await new AdminRepository(store.doc, store.botStateTable).list()).map((a) => a.userId)).toEqual([
      "333333",
    ]);
  });

  it("refuses a malformed user id, exit 2, and an unknown one, exit 1", async () => {
    const bad = await runCli(["add-admin", "@someone"], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('"@someone" is not a Telegram user id');
    const unknown = await runCli(["remove-admin", "999", "--yes"], { env });
    expect(unknown.code).toBe(1);
    expect(unknown.stderr).toContain("999 is not an admin");
    expect((await new AdminRepository(store.doc, store.botStateTable).list()).map((a) => a.userId)).toEqual([
      "333333",
    ]);
  });
});

describe("backup", () => {
  it("exports both local tables as JSON lines into the data folder, session strings still encrypted", async () => {
    const store = await createTestStore();
    const env = cliEnv(store);
    await seedFake(store, [{ phone: "+998905550001" }, { phone: "+998905550002", status: "error" }]);
    await new AdminRepository(store.doc, store.botStateTable).add({
      userId: "1",
      role: "owner",
      addedBy: "cli",
    });

    const r = await runCli(["backup"], { env });
    expect(r.code).toBe(0);
    const root = join(env.LOCAL_DATA_DIR!, "backups");
    const [folder] = readdirSync(root);
    expect(folder).toMatch(/^\d{4}-\d\d-\d\dT\d\d-\d\d-\d\dZ$/);
    expect(r.stdout).toContain(`(3 items) and ${store.botStateTable} (1 item) to ${join(root, folder!)}`);
    const sessions = readFileSync(join(root, folder!, `${store.sessionsTable}.jsonl`), "utf8")
      .trim()
      .split("\n");
    // The two sessions and the fleet counter, so a restore brings back counts that match its rows.
    expect(sessions.map((l) => (JSON.parse(l) as { phone: { S: string } }).phone.S).sort()).toEqual([
      "+998905550001",
      "+998905550002",
      "COUNTS#fleet",
    ]);
    expect(sessions.join("\n")).not.toContain(fakeSessionString("+998905550001"));
    expect(sessions.join("\n")).toContain("skenc2.");
    expect(existsSync(join(root, folder!, "manifest.json"))).toBe(true);

    const second = await runCli(["backup", "--json"], { env });
    expect(second.code).toBe(0);
    expect(readdirSync(root)).toHaveLength(2);
    const out = JSON.parse(second.stdout) as { target: string; folder: string; tables: unknown[] };
    expect(out.target).toBe("local");
    expect(existsSync(join(out.folder, "manifest.json"))).toBe(true);
    expect(out.tables).toEqual([
      { table: store.sessionsTable, items: 3 },
      { table: store.botStateTable, items: 1 },
    ]);
  });
});
