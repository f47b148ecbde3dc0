/**
 * The health check of one session when Telegram misbehaves, through the real userbot layer and GramJS's real
 * transport, each in a child Node process (child-check.ts) as the health-check worker runs it: a server that never
 * answers getMe, a link dropped on every getMe, a key the DC erased. The check must end within its deadline, count
 * a transient failure, release the lease, and leave nothing behind: the child process exits on its own.
 *
 * The dropped link is the case GramJS gets wrong by itself (mtproto-deadlines.test.ts shows a bare client's process
 * never exiting): its reconnect, scheduled 1 s after the drop, survives destroy(). lib/telegram/client.ts gives
 * every client a socket class that refuses to connect once the client is being destroyed; this is its proof.
 */
import { resolve } from "node:path";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ClientDestroyedError, guardedSockets } from "../../lib/telegram/client";
import { createTestStore, type TestStore } from "../support/dynamo";
import type { CheckChildReport } from "../support/mtproto/child-check";
import { runChildScript, type ChildRun } from "../support/mtproto/child-run";
import { dcHarness, seedDcSession, type DcHarness } from "../support/mtproto/dc-harness";
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

const CHECK_SCRIPT = resolve(__dirname, "../support/mtproto/child-check.ts");
// The check's whole budget; a tenth of it (the userbot layer's reserve) is kept for writing the outcome back.
const DEADLINE_MS = 5_000;
// Starting a child (tsx, GramJS, the AWS SDK) takes 1-5 s on a busy 2-core box. After the check returns, what may
// remain is GramJS's ref'd 1 s reconnect sleep and its retries, refused at once by the guard (about 2 s with our
// connectionRetries 2 and retryDelay 500 ms); a leak is GramJS's 9-10 s ping timer or a reconnect loop that never
// ends, far beyond the 6 s allowed here.
const EXITS_WITHIN_MS = 6_000;
const CHILD_TEST_TIMEOUT = 40_000;

function runCheck(phone: string): Promise<ChildRun<CheckChildReport>> {
  return runChildScript<CheckChildReport>(dc, CHECK_SCRIPT, {
    env: {
      ...store.env,
      LOOPBACK_HOST: dc.host,
      LOOPBACK_DC_ID: String(dc.dcId),
      CHECK_PHONE: phone,
      CHECK_DEADLINE_MS: String(DEADLINE_MS),
    },
    exitWithinMs: EXITS_WITHIN_MS + 2_000,
  });
}

async function expectLeaseReleased(phone: string): Promise<void> {
  const row = await h.sessions.require(phone as never);
  expect(row.leaseOwner).toBeUndefined();
  expect(row.leaseUntil).toBeUndefined();
}

describe("a health check in its own process", () => {
  it(
    "a healthy session: healthy, and the process exits by itself",
    async () => {
      const ali = await seedDcSession(h);

      const run = await runCheck(ali.phone);

      expect(run.report.result).toMatchObject({ outcome: "healthy" });
      expect(run.exitedAfterMs).toBeLessThan(EXITS_WITHIN_MS);
      await expectLeaseReleased(ali.phone);
    },
    CHILD_TEST_TIMEOUT,
  );

  it(
    "a server that never answers getMe: transient TIMEOUT within the deadline, lease released, process exits",
    async () => {
      const ali = await seedDcSession(h);
      dc.script(ali.phone, { method: "users.GetUsers", silent: true });

      const run = await runCheck(ali.phone);

      expect(run.report.result).toMatchObject({
        outcome: "transient",
        failure: { kind: "transient", code: "TIMEOUT" },
        failures: 1,
      });
      expect(run.report.elapsedMs).toBeLessThan(DEADLINE_MS + 3_000);
      await expectLeaseReleased(ali.phone);
      expect(await h.sessions.require(ali.phone)).toMatchObject({ status: "active", consecutiveFailures: 1 });
      expect(run.exitedAfterMs).toBeLessThan(EXITS_WITHIN_MS);
      expect(dc.keyState(ali.sessionString)).toMatchObject({ duplicated: false, maxOpenConnections: 1 });
    },
    CHILD_TEST_TIMEOUT,
  );

  it(
    "a link dropped on every getMe: transient within the deadline, lease released, no reconnect after destroy(), process exits",
    async () => {
      const ali = await seedDcSession(h);
      dc.script(ali.phone, { method: "users.GetUsers", drop: true });

      const run = await runCheck(ali.phone);

      // GramJS reconnects 1 s after each drop and resends getMe; its reconnect-retry count never runs out because
      // every new link brings a message (new_session_created, as from Telegram) that resets it. So the deadline ends
      // it, not GramJS.
      expect(run.report.result).toMatchObject({
        outcome: "transient",
        failure: { kind: "transient", code: "TIMEOUT" },
        failures: 1,
      });
      expect(run.report.elapsedMs).toBeLessThan(DEADLINE_MS + 3_000);
      await expectLeaseReleased(ali.phone);
      expect(run.exitedAfterMs).toBeLessThan(EXITS_WITHIN_MS);
      expect(run.connectionsAfterDestroy).toBe(0);
      // Reconnects replace the link, never add a second one on the key.
      expect(dc.keyState(ali.sessionString)).toMatchObject({ duplicated: false, maxOpenConnections: 1 });
    },
    CHILD_TEST_TIMEOUT,
  );

  it(
    "a key the DC erased (-404, connect() never settles): transient TIMEOUT within the deadline, process exits",
    async () => {
      const ali = await seedDcSession(h);
      dc.forget(ali.phone, "erase");

      const run = await runCheck(ali.phone);

      expect(run.report.result).toMatchObject({ outcome: "transient", failure: { code: "TIMEOUT" } });
      expect(run.report.elapsedMs).toBeLessThan(DEADLINE_MS + 3_000);
      await expectLeaseReleased(ali.phone);
      expect(run.exitedAfterMs).toBeLessThan(EXITS_WITHIN_MS);
    },
    CHILD_TEST_TIMEOUT,
  );
});

describe("the socket guard every userbot client gets", () => {
  it("refuses a connection once its client is being destroyed, before any TCP connect", async () => {
    const Sockets = guardedSockets({ destroying: true });
    const accepted = dc.stats().connectionsAccepted;

    await expect(new Sockets().connect(dc.port, dc.host)).rejects.toBeInstanceOf(ClientDestroyedError);

    expect(dc.stats().connectionsAccepted).toBe(accepted);
  });

  it("closes a connection that was being opened when destroy started", async () => {
    const guard = { destroying: false };
    const socket = new (guardedSockets(guard))();
    const accepted = dc.stats().connectionsAccepted;

    const connecting = socket.connect(dc.port, dc.host);
    guard.destroying = true;

    await expect(connecting).rejects.toBeInstanceOf(ClientDestroyedError);
    // The DC saw the link open, and then closed by us.
    await waitUntil(
      () => dc.stats().connectionsAccepted === accepted + 1 && dc.stats().connectionsOpen === 0,
    );
  });

  it("connects normally while its client is alive", async () => {
    const socket = new (guardedSockets({ destroying: false }))();
    await socket.connect(dc.port, dc.host);
    await waitUntil(() => dc.stats().connectionsOpen === 1);
    await socket.close();
    await waitUntil(() => dc.stats().connectionsOpen === 0);
  });
});

async function waitUntil(condition: () => boolean, ms = 3_000): Promise<void> {
  const until = Date.now() + ms;
  while (!condition()) {
    if (Date.now() > until) throw new Error("condition not reached");
    await new Promise((done) => setTimeout(done, 20));
  }
}
