/**
 * What one health-check process gets through over GramJS's real transport: the cost of one check (connect, getMe,
 * destroy; and the whole check with its DynamoDB reads, lease and write-back), and checks per second with ten in
 * flight while the DC takes 300 ms to answer getMe (Telegram's latency from a distant region). The figures are
 * printed for the health-check benchmark; the assertions are what must hold at that pace: every check healthy,
 * one connection per auth key, every lease released.
 */
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDefaultDeviceIdentity } from "../../lib/config";
import { runOneShot } from "../../lib/telegram/client";
import type { CheckResult } from "../../lib/telegram/contract";
import { getMe } from "../../lib/telegram/userbot";
import { createTestStore, type TestStore } from "../support/dynamo";
import {
  API_HASH,
  API_ID,
  dcHarness,
  seedDcSession,
  type DcHarness,
  type SeededAccount,
} from "../support/mtproto/dc-harness";
import { startLoopbackDc, type LoopbackDc } from "../support/mtproto/loopback-dc";

let store: TestStore;
let dc: LoopbackDc;
let h: DcHarness;

beforeAll(async () => {
  [store, dc] = await Promise.all([createTestStore(), startLoopbackDc()]);
  h = dcHarness(store, dc);
});
afterAll(async () => {
  await dc?.stop();
});

const check = { deadlineMs: 10_000, actor: "health-check:throughput" };

describe("one process's pace over the real transport", () => {
  it("one check at a time: connect + getMe + destroy, and the whole check", async () => {
    const ali = await seedDcSession(h);
    const credentials = { apiId: API_ID, apiHash: API_HASH, device: loadDefaultDeviceIdentity() };
    // Warm up module loading and the JIT, as a warm Lambda container would be.
    await runOneShot(ali.sessionString, credentials, getMe, {
      createClient: dc.createClient,
      deadlineMs: 5_000,
    });

    const oneShot: number[] = [];
    for (let i = 0; i < 30; i++) {
      const started = performance.now();
      const me = await runOneShot(ali.sessionString, credentials, getMe, {
        createClient: dc.createClient,
        deadlineMs: 5_000,
      });
      oneShot.push(performance.now() - started);
      expect(me.userId).toBe(String(ali.userId));
    }
    const whole: number[] = [];
    for (let i = 0; i < 30; i++) {
      const started = performance.now();
      const result = await h.services.userbots.checkSession(ali.phone, check);
      whole.push(performance.now() - started);
      expect(result.outcome).toBe("healthy");
    }

    console.log(
      `check latency over loopback: connect+getMe+destroy median ${ms(quantile(oneShot, 0.5))}, ` +
        `p90 ${ms(quantile(oneShot, 0.9))}; whole checkSession (DynamoDB Local reads, lease, write-back) ` +
        `median ${ms(quantile(whole, 0.5))}, p90 ${ms(quantile(whole, 0.9))}`,
    );
    expect(dc.keyState(ali.sessionString)).toMatchObject({ duplicated: false, maxOpenConnections: 1 });
  });

  it("ten checks in flight with getMe answered after 300 ms", async () => {
    const accounts = await Promise.all(Array.from({ length: 100 }, () => seedDcSession(h)));
    for (const a of accounts) dc.script(a.phone, { method: "users.GetUsers", delayMs: 300 });

    const queue: SeededAccount[] = [...accounts];
    const results: CheckResult[] = [];
    const started = performance.now();
    const cpuBefore = process.cpuUsage();
    await Promise.all(
      Array.from({ length: 10 }, async () => {
        for (let next = queue.shift(); next; next = queue.shift()) {
          results.push(await h.services.userbots.checkSession(next.phone, check));
        }
      }),
    );
    const seconds = (performance.now() - started) / 1000;
    const cpu = process.cpuUsage(cpuBefore);

    console.log(
      `check throughput: ${results.length} checks, concurrency 10, getMe delayed 300 ms: ` +
        `${(results.length / seconds).toFixed(1)} checks/s (ideal ${(10 / 0.3).toFixed(1)}); ` +
        `CPU of this process (client and DC together) ${ms((cpu.user + cpu.system) / 1000 / results.length)} per check`,
    );
    expect(results.map((r) => r.outcome)).toEqual(accounts.map(() => "healthy"));
    for (const a of accounts) {
      expect(dc.keyState(a.sessionString)).toMatchObject({ duplicated: false, maxOpenConnections: 1 });
    }
    const rows = await Promise.all(accounts.map((a) => h.sessions.require(a.phone)));
    expect(rows.filter((r) => r.leaseOwner !== undefined)).toEqual([]);
  });
});

function quantile(values: number[], q: number): number {
  const sorted = [...values].sort((a, b) => a - b);
  return sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
}

function ms(value: number): string {
  return `${value.toFixed(1)} ms`;
}
