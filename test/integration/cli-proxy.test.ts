/**
 * `sessions proxy <phone> set|clear|test`, run as real `sessions` processes against DynamoDB Local, a loopback DC and
 * a real SOCKS5 server in front of it: the password comes from standard input and is printed nowhere, the card shows
 * the proxy, the test says how fast Telegram answered through it, and a clear sends the session straight again. A
 * login through a proxy (`sessions add --socks5`) keeps it: the session is checked and revoked through it, and a
 * proxy that dies makes its check transient.
 */
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import type { Phone } from "../../lib/sessions";
import { loopbackDcEnv } from "../support/cli-dc";
import { cliEnv, runCli } from "../support/cli-run";
import { createTestStore, type TestStore } from "../support/dynamo";
import { newPhone } from "../support/fake-telegram-harness";
import { dcHarness, seedDcSession, type DcHarness } from "../support/mtproto/dc-harness";
import { startLoopbackDc, type LoopbackDc } from "../support/mtproto/loopback-dc";
import { findSecrets } from "../support/reliability-logs";
import { startSocksProxy, type TestSocksProxy } from "../support/socks5-proxy";

vi.setConfig({ testTimeout: 90_000 });

const USERNAME = "fleet";
const PASSWORD = "cli-proxy-Pa55word";

let dc: LoopbackDc;
let proxy: TestSocksProxy;
let store: TestStore;
let h: DcHarness;
let env: NodeJS.ProcessEnv;
beforeAll(async () => {
  [dc, proxy, store] = await Promise.all([
    startLoopbackDc(),
    startSocksProxy({ username: USERNAME, password: PASSWORD }),
    createTestStore(),
  ]);
  h = dcHarness(store, dc, { logLevel: "SILENT" });
  env = cliEnv(store, loopbackDcEnv(dc));
});
afterAll(async () => {
  await Promise.all([proxy?.stop(), dc?.stop()]);
});

describe("sessions proxy", () => {
  it("set (password from stdin), show, test --json, clear; audited, and the password is never printed", async () => {
    const { phone } = await seedDcSession(h);
    const address = `127.0.0.1:${proxy.port}`;

    const set = await runCli(["proxy", phone, "set", "--socks5", address, "--username", USERNAME], {
      env,
      input: `${PASSWORD}\n`,
    });
    expect(set.stderr).not.toContain("sessions:");
    expect(set.code).toBe(0);
    expect(set.stdout).toContain(`Proxy set for ${phone}: SOCKS5 ${address}, with a user name and password`);
    expect(await store.sessions().readProxy(phone)).toMatchObject({ username: USERNAME, password: PASSWORD });

    const show = await runCli(["show", phone], { env });
    expect(show.stdout).toMatch(new RegExp(`Proxy\\s+SOCKS5 ${address}`));
    const json = JSON.parse((await runCli(["show", phone, "--json"], { env })).stdout) as Record<
      string,
      unknown
    >;
    expect(json.proxy).toEqual({ kind: "socks5", host: "127.0.0.1", port: proxy.port });

    const before = proxy.tunnels.length;
    const test = await runCli(["proxy", phone, "test", "--json"], { env });
    expect(test.code).toBe(0);
    const out = JSON.parse(test.stdout) as Record<string, unknown>;
    expect(out).toMatchObject({ phone, reachable: true, dcId: dc.dcId, error: null });
    expect(out.connectMs).toEqual(expect.any(Number));
    expect(out.roundTripMs).toEqual(expect.any(Number));
    expect(proxy.tunnels.length).toBeGreaterThan(before);

    const clear = await runCli(["proxy", phone, "clear"], { env });
    expect(clear.code).toBe(0);
    expect(clear.stdout).toContain(`Proxy cleared for ${phone}`);
    expect((await store.sessions().require(phone)).proxy).toBeUndefined();

    for (const r of [set, show, test, clear]) expect(r.stdout + r.stderr).not.toContain(PASSWORD);
    const audit = await h.audit.day(new Date().toISOString().slice(0, 10));
    expect(audit.filter((e) => e.phone === phone).map((e) => [e.action, e.detail])).toEqual([
      ["session.proxy-set", `SOCKS5 ${address}`],
      ["session.proxy-cleared", `SOCKS5 ${address}`],
    ]);
  });

  it("a proxy that is down: UNREACHABLE, exit 1; bad input is refused and changes nothing", async () => {
    const { phone } = await seedDcSession(h);
    const down = await startSocksProxy({ username: USERNAME, password: PASSWORD });
    await down.stop();
    await store.sessions().setProxy(phone, { kind: "socks5", host: "127.0.0.1", port: down.port });
    const test = await runCli(["proxy", phone, "test"], { env });
    expect(test.code).toBe(1);
    expect(test.stdout).toContain(
      `UNREACHABLE  Telegram could not be reached through SOCKS5 127.0.0.1:${down.port}`,
    );
    expect(test.stdout).toContain("PROXY_FAILED");

    const other = await seedDcSession(h);
    const noPort = await runCli(["proxy", other.phone, "set", "--socks5", "127.0.0.1"], { env });
    expect(noPort.code).toBe(2);
    expect(noPort.stderr).toContain("--socks5 takes HOST:PORT");
    const badSecret = await runCli(["proxy", other.phone, "set", "--mtproxy", "127.0.0.1:443"], {
      env,
      input: "ee00\n",
    });
    expect(badSecret.code).toBe(2);
    expect(badSecret.stderr).toContain("an MTProxy secret is 32 hexadecimal characters");
    const none = await runCli(["proxy", other.phone, "test"], { env });
    expect(none.code).toBe(1);
    expect(none.stderr).toContain("has no proxy; set one first");
    expect((await store.sessions().require(other.phone)).proxy).toBeUndefined();
  });
});

describe("sessions add through a proxy", () => {
  let userId = 655_000;
  const account = (): Phone => {
    const phone = newPhone();
    userId += 1;
    dc.addAccount({ phone, userId, firstName: "Proxied", username: `proxied${userId}`, code: "24680" });
    return phone;
  };
  /** What went through the proxy, and what reached the DC at all. */
  const counts = (through: TestSocksProxy) => ({
    tunnels: through.tunnels.length,
    accepted: dc.stats().connectionsAccepted,
  });
  /** Every line a run wrote (its structured logs too, with DEBUG=1), scanned for the proxy's credentials. */
  const leaks = (...runs: { stdout: string; stderr: string }[]) =>
    findSecrets(
      runs.flatMap((r) => `${r.stdout}\n${r.stderr}`.split("\n")).filter((l) => l.trim() !== ""),
      [PASSWORD],
    );

  it("logs in through it, is checked and revoked through it; every connection went through; no password logged", async () => {
    const phone = account();
    const address = `127.0.0.1:${proxy.port}`;
    const debug = { ...env, DEBUG: "1" };

    const before = counts(proxy);
    const add = await runCli(["add", phone, "--socks5", address, "--username", USERNAME], {
      env: debug,
      input: `${PASSWORD}\n2 4 6 8 0\n`,
    });
    expect(add.code).toBe(0);
    expect(add.stderr).toContain(`Logging in through SOCKS5 ${address}; the session keeps it.`);
    expect(add.stdout).toContain(`Logged in: ${phone} as @proxied${userId}`);
    const afterAdd = counts(proxy);
    // The code request and the sign-in: each its own connection, and every connection the DC took came through it.
    expect(afterAdd.tunnels - before.tunnels).toBeGreaterThanOrEqual(2);
    expect(afterAdd.accepted - before.accepted).toBe(afterAdd.tunnels - before.tunnels);
    expect(proxy.tunnels.at(-1)!.destination).toBe(`${dc.host}:80`);

    // Stored with the session: the address plain, the credentials encrypted.
    expect((await store.sessions().require(phone)).proxy).toEqual({
      kind: "socks5",
      host: "127.0.0.1",
      port: proxy.port,
    });
    expect(await store.sessions().readProxy(phone)).toMatchObject({ username: USERNAME, password: PASSWORD });
    const raw = await store.doc.send(new GetCommand({ TableName: store.sessionsTable, Key: { phone } }));
    expect(JSON.stringify(raw.Item)).not.toContain(PASSWORD);
    const sessionString = await store.sessions().readSessionString(phone);

    const check = await runCli(["check", phone], { env: debug });
    expect(check.code).toBe(0);
    expect(check.stdout).toContain(`OK  ${phone} is healthy`);
    const afterCheck = counts(proxy);
    expect(afterCheck.tunnels - afterAdd.tunnels).toBeGreaterThanOrEqual(1);
    expect(afterCheck.accepted - afterAdd.accepted).toBe(afterCheck.tunnels - afterAdd.tunnels);

    const remove = await runCli(["remove", phone, "--yes"], { env: debug });
    expect(remove.code).toBe(0);
    const afterRemove = counts(proxy);
    expect(afterRemove.tunnels - afterCheck.tunnels).toBeGreaterThanOrEqual(1);
    expect(afterRemove.accepted - afterCheck.accepted).toBe(afterRemove.tunnels - afterCheck.tunnels);
    // The key is ended at Telegram, not only forgotten here.
    expect(dc.keyState(sessionString).loggedInAs).toBeUndefined();
    expect(await store.sessions().get(phone)).toMatchObject({ status: "deleted" });

    // The structured logs were on (DEBUG=1) and did log the steps; the password is in none of their lines.
    expect(add.stderr + check.stderr + remove.stderr).toContain('"phone"');
    expect(leaks(add, check, remove)).toEqual([]);
  });

  it("with its proxy down, the check is transient and the session stays active", async () => {
    const phone = account();
    const dying = await startSocksProxy({ username: USERNAME, password: PASSWORD });
    const add = await runCli(["add", phone, "--socks5", `127.0.0.1:${dying.port}`, "--username", USERNAME], {
      env: { ...env, DEBUG: "1" },
      input: `${PASSWORD}\n24680\n`,
    });
    expect(add.code).toBe(0);
    expect(dying.tunnels.length).toBeGreaterThanOrEqual(2);
    await dying.stop();

    const before = dc.stats().connectionsAccepted;
    const check = await runCli(["check", phone], { env: { ...env, DEBUG: "1" } });
    expect(check.code).toBe(1);
    expect(check.stdout).toContain("PROXY_FAILED");
    expect(dc.stats().connectionsAccepted).toBe(before);
    expect(await store.sessions().require(phone)).toMatchObject({
      status: "active",
      isPaused: false,
      consecutiveFailures: 1,
    });
    expect(leaks(add, check)).toEqual([]);
  });

  it("bad proxy input stops before Telegram is asked; a QR login refuses a proxy", async () => {
    const phone = account();
    const before = dc.stats().connectionsAccepted;
    const noPort = await runCli(["add", phone, "--socks5", "127.0.0.1"], { env });
    expect(noPort.code).toBe(2);
    expect(noPort.stderr).toContain("--socks5 takes HOST:PORT");
    const both = await runCli(["add", phone, "--socks5", "127.0.0.1:1", "--mtproxy", "127.0.0.1:2"], { env });
    expect(both.code).toBe(2);
    expect(both.stderr).toContain("Give either --socks5 HOST:PORT or --mtproxy HOST:PORT, not both.");
    const badSecret = await runCli(["add", phone, "--mtproxy", "127.0.0.1:443"], { env, input: "ee00\n" });
    expect(badSecret.code).toBe(2);
    expect(badSecret.stderr).toContain("an MTProxy secret is 32 hexadecimal characters");
    const qr = await runCli(["add", "--qr", "--socks5", `127.0.0.1:${proxy.port}`], { env });
    expect(qr.code).toBe(2);
    expect(qr.stderr).toContain("A QR login cannot go through a proxy yet");
    expect(dc.stats().connectionsAccepted).toBe(before);
    expect(await store.sessions().get(phone)).toBeUndefined();
  });
});
