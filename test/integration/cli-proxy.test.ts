/**
 * `sessions proxy <phone> set|clear|test`, run as real `sessions` processes against DynamoDB Local, a loopback DC and
 * a real SOCKS5 server in front of it: the password comes from standard input and is printed nowhere, the card shows
 * the proxy, the test says how fast Telegram answered through it, and a clear sends the session straight again.
 */
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { loopbackDcEnv } from "../support/cli-dc";
import { cliEnv, runCli } from "../support/cli-run";
import { createTestStore, type TestStore } from "../support/dynamo";
import { dcHarness, seedDcSession, type DcHarness } from "../support/mtproto/dc-harness";
import { startLoopbackDc, type LoopbackDc } from "../support/mtproto/loopback-dc";
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
