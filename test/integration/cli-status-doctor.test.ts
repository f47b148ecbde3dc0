/**
 * `sessions status` and `sessions doctor` on the local stack, run as real CLI processes: the fleet on one screen,
 * and a preflight that fails with the right fix line when DynamoDB Local is down, the key is wrong, or there is no
 * owner. The Bot API is a small HTTP stand-in answering getMe and getWebhookInfo as Telegram does.
 */
import { createServer, type Server } from "node:http";
import type { AddressInfo } from "node:net";
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { AdminRepository } from "../../lib/bot-state/admins";
import { HealthCheckRuns } from "../../lib/jobs/runs";
import { emptyCounts } from "../../lib/jobs/summary";
import type { Phone } from "../../lib/sessions";
import { cliEnv, runCli } from "../support/cli-run";
import { createTestStore, type TestStore } from "../support/dynamo";
import { newPhone } from "../support/fake-telegram-harness";

vi.setConfig({ testTimeout: 90_000 });

const TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawX";
let botApi: Server;
let apiRoot: string;
beforeAll(async () => {
  botApi = createServer((req, res) => {
    const method = req.url?.split("/").pop();
    const ok = req.url?.startsWith(`/bot${TOKEN}/`);
    res.setHeader("content-type", "application/json");
    if (!ok) {
      res.statusCode = 401;
      res.end(JSON.stringify({ ok: false, error_code: 401, description: "Unauthorized" }));
      return;
    }
    const result =
      method === "getMe"
        ? { id: 123456789, is_bot: true, first_name: "Keeper", username: "keeper_test_bot" }
        : { url: "", has_custom_certificate: false, pending_update_count: 0 };
    res.end(JSON.stringify({ ok: true, result }));
  });
  await new Promise<void>((r) => botApi.listen(0, "127.0.0.1", r));
  apiRoot = `http://127.0.0.1:${(botApi.address() as AddressInfo).port}`;
});
afterAll(async () => {
  await new Promise((r) => botApi.close(r));
});

const SESSION_STRING = `1${"A".repeat(300)}`;

async function ready(): Promise<{ store: TestStore; env: NodeJS.ProcessEnv }> {
  const store = await createTestStore();
  const env = cliEnv(store, {
    NO_COLOR: "1",
    BOT_TOKEN: TOKEN,
    TELEGRAM_API_ROOT: apiRoot,
    API_ID: "12345",
    API_HASH: "0123456789abcdef0123456789abcdef",
  });
  return { store, env };
}

describe("sessions status", () => {
  it("shows the fleet on one screen: counts, frozen, flood waits, the last run and cleanup, the next ones", async () => {
    const { store, env } = await ready();
    const repo = store.sessions();
    const phones: Phone[] = [];
    for (let i = 0; i < 4; i++) {
      const phone = newPhone();
      phones.push(phone);
      await repo.create({ phone, sessionString: SESSION_STRING, account: { userId: String(900 + i) } });
    }
    const frozen = await repo.require(phones[0]!);
    await repo.recordCheck(frozen.phone, frozen.version, {
      frozen: { detectedAt: new Date().toISOString(), until: "2027-01-01T00:00:00.000Z" },
    });
    const waiting = await repo.require(phones[1]!);
    await repo.recordCheck(waiting.phone, waiting.version, {
      floodWaitUntil: new Date(Date.now() + 3_600_000).toISOString(),
    });
    await repo.pause(phones[2]!);
    const startedAt = new Date(Date.now() - 3_600_000);
    await new HealthCheckRuns(store.doc, store.botStateTable).recordFinished({
      runId: "hc-status",
      startedAt: startedAt.toISOString(),
      finishedAt: new Date(startedAt.getTime() + 12_000).toISOString(),
      queued: 3,
      notQueued: { floodWait: 1, leased: 0 },
      counts: { ...emptyCounts(), checked: 3, healthy: 2, failed: 1 },
      newlyFailed: [],
      failedByReason: {},
      notChecked: [],
      fleet: { active: 3, paused: 1, error: 0, deleted: 0 },
    });

    const r = await runCli(["status"], { env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("Sessions  4 in all (local stack)");
    expect(r.stdout).toContain("active 3   paused 1   error 0   deleted 0");
    expect(r.stdout).toContain("1 frozen by Telegram · 1 in a flood wait · 0 restricted · 0 logouts pending");
    expect(r.stdout).toMatch(/Health check\n {2}last +\d{4}-\d\d-\d\d \d\d:\d\d UTC \(1h ago\), local\n/);
    expect(r.stdout).toMatch(
      / {2}result +3 checked, 2 fine, 1 newly failed, 0 frozen, 0 flood-waited, took 12 s\n/,
    );
    expect(r.stdout).toMatch(/ {2}next +\d{4}-\d\d-\d\d \d\d:\d\d UTC \(in 23h\)\n/);
    expect(r.stdout).toMatch(/Cleanup\n {2}last +none recorded yet\n {2}next +not known yet/);
    // A local stack has no dead-letter queues or alarms.
    expect(r.stdout).toMatch(/AWS\n {2}dead letters +–\n {2}alarms +–\n/);

    const json = JSON.parse((await runCli(["status", "--json"], { env })).stdout) as Record<string, unknown>;
    expect(json).toMatchObject({
      target: "local",
      counts: { active: 3, paused: 1, error: 0, deleted: 0, total: 4 },
      frozen: 1,
      floodWaited: 1,
      pendingRevocations: 0,
      lastHealthCheck: { runId: "hc-status", checked: 3, healthy: 2, newlyFailed: 1, durationMs: 12_000 },
      lastCleanup: null,
      stack: null,
    });
  });
});

describe("sessions doctor", () => {
  it("passes every required check on a ready local stack: exit 0, one ✓ line per check", async () => {
    const { store, env } = await ready();
    await store
      .sessions()
      .create({ phone: newPhone(), sessionString: SESSION_STRING, account: { userId: "1" } });
    await new AdminRepository(store.doc, store.botStateTable).add({
      userId: "42",
      role: "owner",
      addedBy: "cli",
    });
    const r = await runCli(["doctor"], { env });
    expect(r.code).toBe(0);
    const lines = r.stdout.trim().split("\n");
    expect(lines.filter((l) => l.startsWith("✓")).map((l) => l.split(/\s{2,}/)[0])).toEqual([
      "✓ Node.js",
      "✓ Environment",
      "✓ Java",
      "✓ DynamoDB",
      "✓ Encryption key",
      "✓ API_ID / API_HASH",
      "✓ Bot token",
      "✓ Owner",
    ]);
    expect(r.stdout).toMatch(/^– Webhook +none registered \(npm run dev polls instead\) \(optional\)$/m);
    expect(r.stdout).toMatch(
      /✓ Encryption key +local key seals and opens a probe; opens the stored session of \+\d+/,
    );
    expect(r.stdout).toContain("getMe answers: @keeper_test_bot (id 123456789)");
    expect(lines.at(-1)).toBe("Ready.");
    expect(r.stdout).not.toContain(TOKEN);
  });

  it("DynamoDB Local down: ✗ with the fix, exit 1, and the checks that need it are skipped", async () => {
    const { env } = await ready();
    const r = await runCli(["doctor"], { env: { ...env, DYNAMODB_ENDPOINT: "http://127.0.0.1:9" } });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^✗ DynamoDB +DynamoDB Local does not answer at http:\/\/127\.0\.0\.1:9$/m);
    expect(r.stdout).toMatch(
      /^ +fix: Start it with `npm run dev` \(or set DYNAMODB_ENDPOINT to where it runs\)\.$/m,
    );
    expect(r.stdout).toMatch(/^– Owner +needs DynamoDB/m);
    expect(r.stderr.trim().split("\n").at(-1)).toMatch(/^1 required check failed/);
  });

  it("the wrong key: ✗ saying it does not open the stored sessions, with the fix; exit 1", async () => {
    const { store, env } = await ready();
    const phone = newPhone();
    await store.sessions().create({ phone, sessionString: SESSION_STRING, account: { userId: "1" } });
    await new AdminRepository(store.doc, store.botStateTable).add({
      userId: "42",
      role: "owner",
      addedBy: "cli",
    });
    const wrong = randomBytes(32).toString("base64");
    const r = await runCli(["doctor", "--json"], { env: { ...env, SESSION_ENCRYPTION_KEY: wrong } });
    expect(r.code).toBe(1);
    const out = JSON.parse(r.stdout) as {
      ok: boolean;
      checks: { name: string; state: string; detail: string; fix: string | null }[];
    };
    expect(out.ok).toBe(false);
    const key = out.checks.find((c) => c.name === "Encryption key")!;
    expect(key.state).toBe("fail");
    expect(key.detail).toContain(`the key does not open the stored session of ${phone}`);
    expect(key.fix).toBe(
      "Use the key they were sealed with: restore .data/session-encryption.key (or SESSION_ENCRYPTION_KEY) from your backup.",
    );
    expect(out.checks.filter((c) => c.state === "fail").map((c) => c.name)).toEqual(["Encryption key"]);
    expect(r.stdout).not.toContain(wrong);
  });

  it("no owner: ✗ with the command that adds one; exit 1", async () => {
    const { env } = await ready();
    const r = await runCli(["doctor"], { env });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^✗ Owner +the AdminBot has no owner: nobody can use it$/m);
    expect(r.stdout).toContain(
      "fix: Add yourself: sessions add-admin <your Telegram user id> --owner (ask @userinfobot for the id).",
    );
  });

  it("a bad bot token and a malformed API hash: each its own ✗ and fix", async () => {
    const { env } = await ready();
    const r = await runCli(["doctor"], {
      env: { ...env, BOT_TOKEN: "123456789:AAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAAA", API_HASH: "nothex" },
    });
    expect(r.code).toBe(1);
    expect(r.stdout).toMatch(/^✗ API_ID \/ API_HASH .*API_HASH/m);
    expect(r.stdout).toContain("fix: Get them at my.telegram.org → API development tools.");
    expect(r.stdout).toMatch(/^✗ Bot token +the bot token does not work/m);
    expect(r.stdout).toContain("fix: Set BOT_TOKEN to the token @BotFather gave");
    expect(r.stdout).toMatch(/^– Webhook +needs a working bot token/m);
  });
});
