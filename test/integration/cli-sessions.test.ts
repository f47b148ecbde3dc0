/**
 * The `sessions` CLI as an operator runs it (a real process against DynamoDB Local): listing, one session's card,
 * pause/resume, remove, and every way the command line can be wrong.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir, userInfo } from "node:os";
import { join } from "node:path";
import { beforeAll, describe, expect, it, vi } from "vitest";
import { COMMANDS } from "../../lib/cli/commands";
import { SESSION_STATUSES } from "../../lib/sessions";
import { AuditLog } from "../../lib/bot-state/audit";
import { cliEnv, daysAgo, fakeSessionString, runCli, seed } from "../support/cli-run";
import { createTestStore, type TestStore } from "../support/dynamo";
import { freePort } from "../../infra/local/dynamodb-local";

// Every test starts real `sessions` processes (about a second each, several on a busy two-core machine).
vi.setConfig({ testTimeout: 90_000 });

let store: TestStore;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  store = await createTestStore();
  env = cliEnv(store);
});

const today = () => new Date().toISOString().slice(0, 10);

/** Every stored session, read through the repository: to prove a refused command changed nothing. */
async function everySession(s: TestStore) {
  const repo = s.sessions();
  const all = [];
  for (const status of SESSION_STATUSES) all.push(...(await repo.listByStatus(status, { limit: 100 })).items);
  return all;
}

describe("help and the command line", () => {
  it("prints the top-level help with every command and the deployed-stack variables, exit 0", async () => {
    const r = await runCli(["--help"], { env });
    expect(r.code).toBe(0);
    for (const c of COMMANDS) expect(r.stdout).toContain(c.name);
    expect(r.stdout).toMatch(/SESSIONS_TABLE.*\n.*BOT_STATE_TABLE.*\n.*KMS_KEY_ID.*\n.*AWS_REGION/);
    expect(r.stderr).toBe("");
  });

  it(
    "prints --help for every command, exit 0, without touching the store",
    { timeout: 120_000 },
    async () => {
      const offline = cliEnv(undefined, { DYNAMODB_ENDPOINT: `http://127.0.0.1:${await freePort()}` });
      const names = COMMANDS.filter((c) => c.command).map((c) => c.name);
      // Three at a time: eleven Node start-ups one after another take too long on a busy two-core machine.
      for (let i = 0; i < names.length; i += 3) {
        const batch = names.slice(i, i + 3);
        const results = await Promise.all(batch.map((name) => runCli([name, "--help"], { env: offline })));
        results.forEach((r, j) => {
          expect(r.code, batch[j]).toBe(0);
          expect(r.stdout).toContain(`Usage: sessions ${batch[j]}`);
        });
      }
    },
  );

  it("refuses an unknown command with a suggestion, exit 2", async () => {
    const r = await runCli(["lsit"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Unknown command "lsit"');
    expect(r.stderr).toContain("Did you mean `sessions list`?");
  });

  it("refuses an unknown option, a missing argument and an extra one, exit 2", async () => {
    const unknown = await runCli(["list", "--stauts", "error"], { env });
    expect(unknown.code).toBe(2);
    expect(unknown.stderr).toContain("Unknown option --stauts");
    expect(unknown.stderr).toContain("sessions list --help");
    const missing = await runCli(["remove"], { env });
    expect(missing.code).toBe(2);
    expect(missing.stderr).toContain("Missing <phone>");
    const extra = await runCli(["pause", "+998901234567", "+998901234568"], { env });
    expect(extra.code).toBe(2);
    expect(extra.stderr).toContain('Unexpected argument "+998901234568"');
  });

  it("says in one line that DynamoDB Local is not running and how to start it, exit 1", async () => {
    const r = await runCli(["list"], {
      env: cliEnv(undefined, { DYNAMODB_ENDPOINT: `http://127.0.0.1:${await freePort()}` }),
    });
    expect(r.code).toBe(1);
    expect(r.stderr.trim().split("\n")).toHaveLength(1);
    expect(r.stderr).toMatch(
      /DynamoDB Local is not running at http:\/\/127\.0\.0\.1:\d+: start it with `npm run dev`/,
    );
  });

  it("says which table is missing and what creates it, exit 1", async () => {
    const r = await runCli(["list"], { env: { ...env, SESSIONS_TABLE: "no-such-table" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain(`A table is missing on DynamoDB Local at ${store.endpoint} (no-such-table /`);
    expect(r.stderr).toContain("`npm run dev` creates the local tables when it starts.");
  });

  it("reads .env from where it runs, with the shell's variables winning", async () => {
    const folder = mkdtempSync(join(tmpdir(), "sk-dotenv-"));
    writeFileSync(
      join(folder, ".env"),
      Object.entries(store.env)
        .map(([k, v]) => `${k}=${v}`)
        .join("\n"),
    );
    const fromFile = await runCli(["list", "--status", "deleted"], { env: cliEnv(undefined), cwd: folder });
    expect(fromFile.code).toBe(0);
    expect(fromFile.stdout).toMatch(/\d+ total: /);
    const shellWins = await runCli(["list"], {
      env: cliEnv(undefined, { DYNAMODB_ENDPOINT: `http://127.0.0.1:${await freePort()}` }),
      cwd: folder,
    });
    expect(shellWins.code).toBe(1);
    expect(shellWins.stderr).toContain("DynamoDB Local is not running");
  });

  it("lists a deployed stack without KMS_KEY_ID: it opens no session, so only AWS itself is needed", async () => {
    const r = await runCli(["list"], {
      env: cliEnv(undefined, {
        SESSIONS_TABLE: "prod-sessions",
        BOT_STATE_TABLE: "prod-state",
        AWS_REGION: "eu-central-1",
      }),
    });
    // No credentials and no network here: AWS is what fails, not a missing key.
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("AWS");
    expect(r.stderr).not.toContain("KMS_KEY_ID");
  });

  it("add without API_ID says where to get it before asking anything; exit 1", async () => {
    const r = await runCli(["add"], { env: { ...env, API_ID: "", API_HASH: "" } });
    expect(r.code).toBe(1);
    expect(r.stderr).toBe(
      "sessions: Missing API_ID: get it at my.telegram.org → API development tools, and set API_ID to the number shown.\n",
    );
  });
});

describe("list and show", () => {
  let s: TestStore;
  let e: NodeJS.ProcessEnv;
  beforeAll(async () => {
    s = await createTestStore();
    e = cliEnv(s);
    await seed(s, [
      { phone: "+998901110001", account: { userId: "501", username: "alice_shop" }, at: daysAgo(2) },
      {
        phone: "+998901110002",
        status: "paused",
        account: { userId: "502", firstName: "Bob", lastName: "Q" },
      },
      {
        phone: "+998901110003",
        status: "error",
        lastError:
          "AUTH_KEY_UNREGISTERED: session expired or revoked; log in again, the key was removed by Telegram",
        at: new Date(Date.now() - 3 * 3_600_000),
      },
    ]);
  });

  it("lists every session as a table, errors first, with counts per status", async () => {
    const r = await runCli(["list"], { env: e });
    expect(r.code).toBe(0);
    const lines = r.stdout.trimEnd().split("\n");
    expect(lines[0]).toMatch(/^PHONE\s+ACCOUNT\s+STATUS\s+PAUSED\s+LAST ERROR\s+LAST CHECK\s+UPDATED$/);
    expect(lines[1]).toMatch(
      /^\+998901110003\s+id 1002\s+error\s+yes\s+AUTH_KEY_UNREGISTERED: session expired…\s+never\s+3h ago$/,
    );
    expect(r.stdout).toMatch(/\+998901110001\s+@alice_shop\s+active\s+no\s+—\s+never\s+2d ago/);
    expect(r.stdout).toMatch(/\+998901110002\s+Bob Q\s+paused\s+yes/);
    expect(lines.at(-1)).toBe("3 total: 1 active · 1 paused · 1 error · 0 deleted");
    expect(r.stdout).not.toContain("\u001b["); // no colours into a pipe
  });

  it("lists one status", async () => {
    const r = await runCli(["list", "--status", "error"], { env: e });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("+998901110003");
    expect(r.stdout).not.toContain("+998901110001");
    expect(r.stdout).not.toContain("+998901110002");
  });

  it("prints JSON of a stable shape for scripts, with the counts", async () => {
    const r = await runCli(["list", "--json"], { env: e });
    expect(r.code).toBe(0);
    const out = JSON.parse(r.stdout) as {
      sessions: Record<string, unknown>[];
      counts: Record<string, number>;
    };
    expect(out.counts).toEqual({ active: 1, paused: 1, error: 1, deleted: 0 });
    expect(out).toMatchObject({ pendingRevocations: 0, more: 0 });
    expect(out.sessions.map((x) => x.phone)).toEqual(["+998901110003", "+998901110001", "+998901110002"]);
    for (const x of out.sessions)
      expect(Object.keys(x).sort()).toEqual(
        [
          "account",
          "authorizationTtlDays",
          "consecutiveFailures",
          "createdAt",
          "deletedAt",
          "floodWaitUntil",
          "frozen",
          "hasSessionString",
          "identity",
          "apiId",
          "testServers",
          "proxy",
          "restriction",
          "twoFa",
          "revocation",
          "isPaused",
          "lastCheckedAt",
          "lastError",
          "lastErrorCode",
          "phone",
          "status",
          "updatedAt",
        ].sort(),
      );
    expect(out.sessions[1]).toMatchObject({
      status: "active",
      isPaused: false,
      account: { userId: "501", username: "alice_shop", firstName: null, lastName: null },
      lastError: null,
    });
    expect(out.sessions[0]).toMatchObject({
      status: "error",
      isPaused: true,
      lastErrorCode: "AUTH_KEY_UNREGISTERED",
    });
    const errorsOnly = JSON.parse(
      (await runCli(["list", "--status=error", "--json"], { env: e })).stdout,
    ) as {
      sessions: { phone: string }[];
    };
    expect(errorsOnly.sessions.map((x) => x.phone)).toEqual(["+998901110003"]);
  });

  it("refuses an unknown status, exit 2, listing the good ones", async () => {
    const r = await runCli(["list", "--status", "broken"], { env: e });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('Unknown status "broken"');
    expect(r.stderr).toContain("active, paused, error, deleted");
  });

  it("says so when a status has no sessions", async () => {
    const r = await runCli(["list", "--status", "deleted"], { env: e });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("No sessions in status deleted.");
  });

  it("shows one session as a card, whatever way the phone is typed, never its session string", async () => {
    const r = await runCli(["show", "998 90 111-00-03"], { env: e });
    expect(r.code).toBe(0);
    expect(r.stdout).toMatch(/Phone\s+\+998901110003/);
    expect(r.stdout).toMatch(/Status\s+error \(paused\)/);
    expect(r.stdout).toMatch(/Last error\s+AUTH_KEY_UNREGISTERED: session expired or revoked/);
    expect(r.stdout).toMatch(/Session string\s+stored, encrypted/);
    expect(r.stdout).not.toContain(fakeSessionString("+998901110003"));
    expect(r.stdout).not.toMatch(/skenc\d/);
    const json = JSON.parse((await runCli(["show", "+998901110001", "--json"], { env: e })).stdout) as object;
    expect(json).toMatchObject({ phone: "+998901110001", status: "active" });
  });

  it("says clearly that a phone has no session, exit 1", async () => {
    const r = await runCli(["show", "+998901119999"], { env: e });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("No session for +998901119999");
  });
});

describe("pause and resume", () => {
  it("pauses an active session and resumes it, recording who did it", async () => {
    const [phone] = await seed(store, [{ phone: "+998902220001" }]);
    const paused = await runCli(["pause", phone!], { env });
    expect(paused.code).toBe(0);
    expect(paused.stdout).toContain("Paused +998902220001: now paused");
    expect((await store.sessions().get(phone!))?.status).toBe("paused");

    const resumed = await runCli(["resume", phone!], { env });
    expect(resumed.code).toBe(0);
    expect(await store.sessions().get(phone!)).toMatchObject({ status: "active", isPaused: false });

    const audit = await new AuditLog(store.doc, store.botStateTable).day(today());
    const mine = audit.filter((a) => a.phone === phone);
    expect(mine.map((a) => a.action)).toEqual(["session.paused", "session.resumed"]);
    expect(mine[0]!.actor).toBe(`cli:${userInfo().username}`);
  });

  it("refuses illegal moves with the reason, exit 1, and changes nothing", async () => {
    const [active, failed] = await seed(store, [
      { phone: "+998902220002" },
      { phone: "+998902220003", status: "error" },
    ]);
    const before = await store.sessions().get(failed!);

    const resumeActive = await runCli(["resume", active!], { env });
    expect(resumeActive.code).toBe(1);
    expect(resumeActive.stderr).toContain(
      "Cannot resume a session that is active: only a paused session can be resumed",
    );

    const pauseFailed = await runCli(["pause", failed!], { env });
    expect(pauseFailed.code).toBe(1);
    expect(pauseFailed.stderr).toContain(
      "Cannot pause a session that is error: only an active session can be paused",
    );

    const resumeFailed = await runCli(["resume", failed!], { env });
    expect(resumeFailed.code).toBe(1);
    expect(resumeFailed.stderr).toContain("a session in error needs a new login");

    expect(await store.sessions().get(failed!)).toEqual(before);
    expect((await store.sessions().get(active!))?.status).toBe("active");
  });

  it("refuses a malformed phone with the clear message, exit 2", async () => {
    const r = await runCli(["pause", "12-abc"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('"12-abc" is not a valid phone number. Write it with the country code');
  });
});

describe("remove", () => {
  // Deleting for real logs the key out at Telegram first: test/integration/cli-revocation.test.ts, on a loopback DC.
  it("refuses without a terminal and without --yes, saying to pass --yes, and changes nothing", async () => {
    const [phone] = await seed(store, [{ phone: "+998903330002" }]);
    const before = await store.sessions().get(phone!);
    const r = await runCli(["remove", phone!], { env, input: "y\n" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("Refusing to delete +998903330002 without confirmation");
    expect(r.stderr).toContain("Pass --yes");
    expect(await store.sessions().get(phone!)).toEqual(before);
  });

  it("an unknown phone is a clear error, exit 1, and nothing changes", async () => {
    const before = await everySession(store);
    const r = await runCli(["remove", "+998903339999", "--yes"], { env });
    expect(r.code).toBe(1);
    expect(r.stderr).toContain("No session for +998903339999");
    expect(await everySession(store)).toEqual(before);
  });

  it("a malformed phone is a usage error, exit 2, and nothing changes", async () => {
    const before = await everySession(store);
    const r = await runCli(["remove", "+1 (555) CALL-NOW", "--yes"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain("is not a valid phone number");
    expect(await everySession(store)).toEqual(before);
  });
});
