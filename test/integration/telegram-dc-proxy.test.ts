/**
 * A session's proxy on GramJS's real network path: a real SOCKS5 server (user name and password) on 127.0.0.1 in
 * front of the loopback DC. Every connection of the session (check, devices, logout) goes through it; a proxy that
 * is down or refuses the login makes a check transient, never a death; its password reaches no log line; and the
 * proxy test says whether Telegram answered through it and how fast.
 */
import { randomBytes } from "node:crypto";
import { GetCommand } from "@aws-sdk/lib-dynamodb";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { InvalidProxyError, type Phone } from "../../lib/sessions";
import { captureOutput } from "../support/capture-logs";
import { createTestStore, type TestStore } from "../support/dynamo";
import { dcHarness, seedDcSession, type DcHarness } from "../support/mtproto/dc-harness";
import { startLoopbackDc, type LoopbackDc } from "../support/mtproto/loopback-dc";
import { startSocksProxy, type TestSocksProxy } from "../support/socks5-proxy";

let store: TestStore;
let dc: LoopbackDc;
let h: DcHarness;
let proxy: TestSocksProxy;
const USERNAME = "fleet-proxy";
const PASSWORD = `pw-${randomBytes(9).toString("base64url")}`;
const check = { deadlineMs: 15_000, actor: "cli:ops" };

beforeAll(async () => {
  [store, dc, proxy] = await Promise.all([
    createTestStore(),
    startLoopbackDc(),
    startSocksProxy({ username: USERNAME, password: PASSWORD }),
  ]);
  h = dcHarness(store, dc, { logLevel: "DEBUG" });
});
afterAll(async () => {
  await Promise.all([proxy?.stop(), dc?.stop()]);
});

async function sessionBehind(port = proxy.port, password = PASSWORD): Promise<Phone> {
  const { phone } = await seedDcSession(h);
  await h.sessions.setProxy(phone, {
    kind: "socks5",
    host: "127.0.0.1",
    port,
    username: USERNAME,
    password,
  });
  return phone;
}

describe("a session behind a SOCKS5 proxy", () => {
  it("is checked, shows its devices and is logged out through the proxy; the password is in no log line", async () => {
    const phone = await sessionBehind();
    const { result, output } = await captureOutput(async () => {
      const before = proxy.tunnels.length;
      const checked = await h.services.userbots.checkSession(phone, check);
      const afterCheck = proxy.tunnels.length;
      const devices = await h.services.userbots.listDevices(phone, check);
      const afterDevices = proxy.tunnels.length;
      const revoked = await h.services.userbots.revokeSession(phone, check);
      return {
        checked,
        devices,
        revoked,
        through: [afterCheck - before, afterDevices - afterCheck, proxy.tunnels.length - afterDevices],
      };
    });
    expect(result.checked).toMatchObject({ outcome: "healthy" });
    expect(result.devices.authorizations.some((a) => a.current)).toBe(true);
    expect(result.revoked).toEqual({ outcome: "logged-out" });
    // Each use opened its connection through the proxy, to the DC's address.
    for (const n of result.through) expect(n).toBeGreaterThanOrEqual(1);
    expect(proxy.tunnels.at(-1)!.destination).toBe(`${dc.host}:80`);
    expect(dc.initConnections(phone).length).toBeGreaterThanOrEqual(3);

    expect(output).toContain("Session OK");
    expect(output).toContain("Session key revocation");
    expect(output).not.toContain(PASSWORD);
    expect(output).not.toContain(USERNAME);
  });

  it("with the proxy down, a check is transient (PROXY_FAILED) and the session stays active", async () => {
    const down = await startSocksProxy({ username: USERNAME, password: PASSWORD });
    const phone = await sessionBehind(down.port);
    await down.stop();

    const { result, output } = await captureOutput(() => h.services.userbots.checkSession(phone, check));
    expect(result).toMatchObject({
      outcome: "transient",
      failures: 1,
      failure: { kind: "transient", code: "PROXY_FAILED" },
    });
    expect(await h.sessions.require(phone)).toMatchObject({
      status: "active",
      isPaused: false,
      consecutiveFailures: 1,
    });
    expect(dc.initConnections(phone)).toHaveLength(0);
    expect(output).toContain("PROXY_FAILED");
    expect(output).not.toContain(PASSWORD);

    const tested = await h.services.testProxy(phone);
    expect(tested).toMatchObject({ reachable: false, failure: { code: "PROXY_FAILED" } });
  });

  it("a proxy that refuses the password is transient too, and the password is not logged", async () => {
    const wrong = `wrong-${randomBytes(6).toString("hex")}`;
    const phone = await sessionBehind(proxy.port, wrong);
    const refused = proxy.refusedLogins();
    const { result, output } = await captureOutput(() => h.services.userbots.checkSession(phone, check));
    expect(result).toMatchObject({ outcome: "transient", failure: { code: "PROXY_FAILED" } });
    expect(proxy.refusedLogins()).toBeGreaterThan(refused);
    expect((await h.sessions.require(phone)).status).toBe("active");
    expect(output).not.toContain(wrong);
  });

  it("the proxy test says Telegram is reachable through it and how fast, without the session's key", async () => {
    const phone = await sessionBehind();
    const before = proxy.tunnels.length;
    const tested = await h.services.testProxy(phone);
    expect(tested).toMatchObject({ reachable: true, dcId: dc.dcId });
    if (!tested.reachable) throw new Error("unreachable");
    expect(tested.connectMs).toBeGreaterThan(0);
    expect(tested.roundTripMs).toBeGreaterThanOrEqual(0);
    expect(proxy.tunnels.length).toBeGreaterThan(before);
    // A connection of its own: nothing on the session's key, nothing written to its row.
    expect(dc.initConnections(phone)).toHaveLength(0);
    expect(await h.sessions.require(phone)).toMatchObject({ consecutiveFailures: 0 });
    expect((await h.sessions.require(phone)).lastCheckedAt).toBeUndefined();
  });
});

describe("a login of a phone whose session has a proxy", () => {
  it("goes through that proxy (every connection of it) and keeps it for the new key", async () => {
    const phone = await sessionBehind();
    const before = { tunnels: proxy.tunnels.length, accepted: dc.stats().connectionsAccepted };
    const { result, output } = await captureOutput(async () => {
      const sent = await h.another().login.startLogin(phone, "cli:ops");
      expect(sent.kind).toBe("code-sent");
      return h.another().login.submitCode(phone, dc.sentCodes(phone).at(-1)!);
    });
    expect(result).toMatchObject({ kind: "logged-in", replaced: true });
    const through = proxy.tunnels.length - before.tunnels;
    expect(through).toBeGreaterThanOrEqual(2);
    expect(dc.stats().connectionsAccepted - before.accepted).toBe(through);
    expect(await h.sessions.readProxy(phone)).toMatchObject({ username: USERNAME, password: PASSWORD });
    expect(output).not.toContain(PASSWORD);
  });
});

describe("the proxy on the row", () => {
  it("keeps the address plain and the credentials encrypted; clear removes both", async () => {
    const phone = await sessionBehind();
    const raw = await store.doc.send(new GetCommand({ TableName: store.sessionsTable, Key: { phone } }));
    expect(raw.Item).toMatchObject({ proxyKind: "socks5", proxyHost: "127.0.0.1", proxyPort: proxy.port });
    expect(JSON.stringify(raw.Item)).not.toContain(PASSWORD);
    expect(JSON.stringify(raw.Item)).not.toContain(USERNAME);
    expect(await h.sessions.readProxy(phone)).toEqual({
      kind: "socks5",
      host: "127.0.0.1",
      port: proxy.port,
      username: USERNAME,
      password: PASSWORD,
    });
    expect((await h.sessions.require(phone)).proxy).toEqual({
      kind: "socks5",
      host: "127.0.0.1",
      port: proxy.port,
    });

    const cleared = await h.sessions.clearProxy(phone);
    expect(cleared.proxy).toBeUndefined();
    expect(await h.sessions.readProxy(phone)).toBeUndefined();
    const after = await store.doc.send(new GetCommand({ TableName: store.sessionsTable, Key: { phone } }));
    expect(Object.keys(after.Item!).filter((k) => k.startsWith("proxy"))).toEqual([]);
    // Straight to the DC again.
    const before = proxy.tunnels.length;
    expect(await h.services.userbots.checkSession(phone, check)).toMatchObject({ outcome: "healthy" });
    expect(proxy.tunnels.length).toBe(before);
  });

  it("refuses a malformed proxy and changes nothing", async () => {
    const { phone } = await seedDcSession(h);
    const version = (await h.sessions.require(phone)).version;
    for (const bad of [
      { kind: "socks5" as const, host: "bad host", port: 1080 },
      { kind: "socks5" as const, host: "127.0.0.1", port: 70_000 },
      { kind: "socks5" as const, host: "127.0.0.1", port: 1080, username: "only-user" },
      { kind: "mtproxy" as const, host: "127.0.0.1", port: 443, secret: "ee1234" },
    ]) {
      await expect(h.sessions.setProxy(phone, bad)).rejects.toBeInstanceOf(InvalidProxyError);
    }
    const row = await h.sessions.require(phone);
    expect(row.proxy).toBeUndefined();
    expect(row.version).toBe(version);
  });
});
