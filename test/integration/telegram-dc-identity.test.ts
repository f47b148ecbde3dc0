/**
 * One identity per session, on GramJS's real network path to the loopback DC, which records the `initConnection`
 * of every connection: the device a session presents (fixed at login or import, kept on its row, never the host's),
 * the API id its key was made under (a Pyrogram string's own, or the one named at import), and Telegram's own
 * address for its DC id instead of whatever address an imported string names.
 */
import { createServer, type Server } from "node:net";
import { randomInt } from "node:crypto";
import { resolve } from "node:path";
import { StringSession } from "telegram/sessions";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { loadDefaultDeviceIdentity } from "../../lib/config";
import type { DeviceIdentity } from "../../lib/sessions";
import { guardedSockets } from "../../lib/telegram/client";
import { PRODUCTION_DC_IPV4 } from "../../lib/telegram/connection";
import { gramJsString, parseSessionString } from "../../lib/telegram/session-string";
import { createTestStore, type TestStore } from "../support/dynamo";
import { newPhone } from "../support/fake-telegram-harness";
import { pyrogramString } from "../support/fake-telegram-strings";
import type { CheckChildReport } from "../support/mtproto/child-check";
import type { ChildReport } from "../support/mtproto/child-client";
import { runChildScript } from "../support/mtproto/child-run";
import { API_ID, dcHarness, type DcHarness } from "../support/mtproto/dc-harness";
import type { InitConnectionRecord } from "../support/mtproto/init-connections";
import { telegramInternet } from "../support/mtproto/internet";
import { keyIdOfSession, startLoopbackDc, type LoopbackDc } from "../support/mtproto/loopback-dc";

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
const CLIENT_SCRIPT = resolve(__dirname, "../support/mtproto/child-client.ts");
const PRETEND_HOST = resolve(__dirname, "../support/mtproto/pretend-host.mjs");
const check = { deadlineMs: 10_000, actor: "cli:ops" };
const PRODUCT = loadDefaultDeviceIdentity();

/** Three machines a health-check worker could land on. */
const HOSTS = [
  {
    PRETEND_HOSTNAME: "ip-10-0-1-17",
    PRETEND_OS_TYPE: "Linux",
    PRETEND_OS_RELEASE: "5.10.219-208.866.amzn2.x86_64",
  },
  {
    PRETEND_HOSTNAME: "ip-10-0-7-3",
    PRETEND_OS_TYPE: "Linux",
    PRETEND_OS_RELEASE: "6.1.92-99.174.amzn2023.x86_64",
  },
  { PRETEND_HOSTNAME: "ops-laptop", PRETEND_OS_TYPE: "Darwin", PRETEND_OS_RELEASE: "23.5.0" },
];

function presented(records: readonly InitConnectionRecord[]) {
  return records.map(({ apiId, deviceModel, systemVersion, appVersion, langCode, systemLangCode }) => ({
    apiId,
    deviceModel,
    systemVersion,
    appVersion,
    langCode,
    systemLangCode,
  }));
}

function byKey(sessionString: string): readonly InitConnectionRecord[] {
  const id = keyIdOfSession(sessionString);
  return dc.initConnections().filter((r) => r.authKeyId === id);
}

let nextUserId = 820_000;
function account(): { phone: ReturnType<typeof newPhone>; userId: number; sessionString: string } {
  const phone = newPhone();
  const userId = ++nextUserId;
  const { sessionString } = dc.addAccount({ phone, userId, firstName: `Id${userId}` });
  return { phone, userId, sessionString };
}

function authKeyOf(sessionString: string): Buffer {
  return (new StringSession(sessionString) as unknown as { _key: Buffer })._key;
}

describe("the device a session presents", () => {
  it("three checks from three different hosts reach Telegram with the session's own identity", async () => {
    const { phone, sessionString } = account();
    const device: DeviceIdentity = {
      deviceModel: "Fleet handset 7",
      systemVersion: "SK 1.0",
      appVersion: "0.1.0",
      langCode: "uz",
      systemLangCode: "ru",
    };
    await h.sessions.create({
      phone,
      sessionString,
      account: { userId: "1" },
      identity: { device, apiId: 4242 },
    });

    for (const host of HOSTS) {
      const run = await runChildScript<CheckChildReport>(dc, CHECK_SCRIPT, {
        env: {
          ...store.env,
          ...host,
          NODE_OPTIONS: `--import ${PRETEND_HOST}`,
          LOOPBACK_HOST: dc.host,
          LOOPBACK_DC_ID: String(dc.dcId),
          CHECK_PHONE: phone,
          CHECK_DEADLINE_MS: "10000",
        },
        exitWithinMs: 15_000,
      });
      expect(run.report.result).toMatchObject({ outcome: "healthy" });
    }

    const seen = presented(dc.initConnections(phone));
    expect(seen.length).toBeGreaterThanOrEqual(3);
    for (const one of seen) expect(one).toEqual({ apiId: 4242, ...device });

    // The pretending works: a bare GramJS client (no identity given) in such a process shows the host's.
    const bare = await runChildScript<ChildReport>(dc, CLIENT_SCRIPT, {
      env: {
        ...HOSTS[2]!,
        NODE_OPTIONS: `--import ${PRETEND_HOST}`,
        LOOPBACK_HOST: dc.host,
        LOOPBACK_DC_ID: String(dc.dcId),
        LOOPBACK_SESSION: dc.issueSession(phone).sessionString,
        LOOPBACK_DEADLINE_MS: "10000",
      },
      exitWithinMs: 15_000,
    });
    expect(bare.report.outcome).toBe("ok");
    expect(dc.initConnections(phone).at(-1)).toMatchObject({
      deviceModel: "Darwin",
      systemVersion: "23.5.0",
    });
  }, 120_000);

  it("a row stored before identities keeps the first identity it presented, even when the default changes", async () => {
    const { phone, sessionString } = account();
    await h.sessions.create({ phone, sessionString, account: { userId: "1" } });

    expect(await h.services.userbots.checkSession(phone, check)).toMatchObject({ outcome: "healthy" });
    const row = await h.sessions.require(phone);
    expect(row.identity).toEqual(PRODUCT);
    expect(row.apiId).toBe(API_ID);

    const renamed = { ...PRODUCT, deviceModel: "Renamed fleet" };
    expect(await h.another({ defaultIdentity: renamed }).userbots.checkSession(phone, check)).toMatchObject({
      outcome: "healthy",
    });
    expect((await h.sessions.require(phone)).identity).toEqual(PRODUCT);
    const seen = presented(dc.initConnections(phone));
    expect(seen).toHaveLength(2);
    for (const one of seen) expect(one).toEqual({ apiId: API_ID, ...PRODUCT });
  });

  it("a login presents the default identity on every step, and the session keeps it afterwards", async () => {
    const phone = newPhone();
    dc.addAccount({ phone, userId: ++nextUserId, firstName: "Login" });
    const device = { ...PRODUCT, deviceModel: "Ops fleet", langCode: "de", systemLangCode: "de" };
    const step = () => h.another({ defaultIdentity: device }).login;

    expect(await step().startLogin(phone, "cli:ops")).toMatchObject({ kind: "code-sent" });
    const done = await step().submitCode(phone, dc.sentCodes(phone).at(-1)!);
    expect(done).toMatchObject({ kind: "logged-in" });
    const row = await h.sessions.require(phone);
    expect(row.identity).toEqual(device);
    expect(row.apiId).toBe(API_ID);

    // Checked later by a process whose default is something else: still the login's identity.
    expect(await h.services.userbots.checkSession(phone, check)).toMatchObject({ outcome: "healthy" });
    const seen = presented(byKey(await h.sessions.readSessionString(phone)));
    expect(seen.length).toBeGreaterThanOrEqual(3); // sendCode, signIn, check
    for (const one of seen) expect(one).toEqual({ apiId: API_ID, ...device });
  });
});

describe("the API id a session presents", () => {
  it("a Pyrogram session connects with the API id it was made under, at import and at every check", async () => {
    const { phone, userId, sessionString } = account();
    const pyrogram = pyrogramString(2, authKeyOf(sessionString), { apiId: 777_001, userId });

    const { session } = await h.services.userbots.importSession(phone, pyrogram, "cli:ops");
    expect(session.apiId).toBe(777_001);
    expect(await h.services.userbots.checkSession(phone, check)).toMatchObject({ outcome: "healthy" });

    const seen = presented(dc.initConnections(phone));
    expect(seen).toHaveLength(2);
    for (const one of seen) expect(one).toEqual({ apiId: 777_001, ...PRODUCT });
  });

  it("a string that carries no API id takes the one named at import, or else the deployment's", async () => {
    const named = account();
    const { session } = await h.services.userbots.importSession(named.phone, named.sessionString, "cli:ops", {
      apiId: 888_002,
    });
    expect(session.apiId).toBe(888_002);
    await h.services.userbots.checkSession(named.phone, check);
    expect(presented(dc.initConnections(named.phone)).map((r) => r.apiId)).toEqual([888_002, 888_002]);

    const plain = account();
    expect(
      (await h.services.userbots.importSession(plain.phone, plain.sessionString, "cli:ops")).session.apiId,
    ).toBe(API_ID);
  });

  it("a Pyrogram string with an API id other than the one named is refused, and nothing is stored", async () => {
    const { phone, userId, sessionString } = account();
    const pyrogram = pyrogramString(2, authKeyOf(sessionString), { apiId: 777_003, userId });
    await expect(h.services.userbots.importSession(phone, pyrogram, "cli:ops", { apiId: 5 })).rejects.toThrow(
      /made under API id 777003, not 5/,
    );
    expect(await h.sessions.get(phone)).toBeUndefined();
    expect(dc.initConnections(phone)).toHaveLength(0);
  });
});

describe("the data centre a session dials", () => {
  let hostile: Server;
  let hostileHost = "";
  let dialled = 0;

  beforeAll(async () => {
    for (let attempt = 0; ; attempt++) {
      hostileHost = `127.${randomInt(200, 250)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
      hostile = createServer((socket) => {
        dialled += 1;
        socket.destroy();
      });
      try {
        await new Promise<void>((done, fail) => {
          hostile.once("error", fail);
          hostile.listen(80, hostileHost, done);
        });
        return;
      } catch (err) {
        if (attempt > 10) throw err;
      }
    }
  });
  afterAll(async () => {
    await new Promise<void>((done) => hostile.close(() => done()));
  });

  it("an imported string naming another host is stored with Telegram's address for its DC, and that host is never dialled", async () => {
    const internet = dcHarness(store, dc, { createClient: telegramInternet([dc]) });
    const { phone, sessionString } = account();
    const planted = gramJsString(2, hostileHost, 80, authKeyOf(sessionString));

    // The Internet of this test does dial a written address (so the listener would see it). The guard stops
    // GramJS's reconnect after destroy() (see lib/telegram/client.ts), which would dial it again later.
    const guard = { destroying: false };
    const direct = telegramInternet([dc])(new StringSession(planted), 1, "x", {
      connectionRetries: 1,
      networkSocket: guardedSockets(guard),
    });
    await Promise.race([direct.connect().catch(() => false), new Promise((r) => setTimeout(r, 2_000))]);
    guard.destroying = true;
    await direct.destroy();
    expect(dialled).toBeGreaterThan(0);
    await new Promise((r) => setTimeout(r, 1_500));
    dialled = 0;

    await internet.services.userbots.importSession(phone, planted, "cli:ops");
    expect(await internet.services.userbots.checkSession(phone, check)).toMatchObject({ outcome: "healthy" });
    expect(dialled).toBe(0);

    const stored = new StringSession(await h.sessions.readSessionString(phone));
    expect({ dcId: stored.dcId, address: stored.serverAddress }).toEqual({
      dcId: 2,
      address: PRODUCTION_DC_IPV4[2],
    });
  });

  it("a stored string naming another host (from before this rule) is dialled at Telegram's address too", async () => {
    const internet = dcHarness(store, dc, { createClient: telegramInternet([dc]) });
    const { phone, sessionString } = account();
    const planted = gramJsString(2, hostileHost, 80, authKeyOf(sessionString));
    await h.sessions.create({ phone, sessionString: planted, account: { userId: "1" } });

    expect(await internet.services.userbots.checkSession(phone, check)).toMatchObject({ outcome: "healthy" });
    expect(dialled).toBe(0);
  });

  it("Telegram's test servers are only for test numbers, and only when asked", async () => {
    const { phone, userId, sessionString } = account();
    const testMode = pyrogramString(2, authKeyOf(sessionString), { userId, testMode: true });
    await expect(h.services.userbots.importSession(phone, testMode, "cli:ops")).rejects.toThrow(
      /test servers; import it as a test-server session, for a test number/,
    );
    await expect(
      h.services.userbots.importSession(phone, testMode, "cli:ops", { testServers: true }),
    ).rejects.toThrow(/not a test number \(\+99966…\)/);
    expect(await h.sessions.get(phone)).toBeUndefined();
    // For a test number the string is read with the test DC's address.
    expect(parseSessionString(testMode, { testServers: true })).toMatchObject({ testServers: true, dcId: 2 });
    expect(
      new StringSession(parseSessionString(testMode, { testServers: true }).sessionString).serverAddress,
    ).toBe("149.154.167.40");
  });
});
