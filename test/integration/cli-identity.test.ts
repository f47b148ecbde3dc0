/**
 * The identity a session presents, from the terminal: `sessions import --api-id N` for a string that carries none,
 * `sessions identity` to read or change the device (audited), and `show` displaying both; run as real `sessions`
 * processes against DynamoDB Local and a loopback DC that records every `initConnection`.
 */
import { describe, expect, it } from "vitest";
import { loadDefaultDeviceIdentity } from "../../lib/config";
import { runCli } from "../support/cli-run";
import type { TestStore } from "../support/dynamo";
import { newPhone } from "../support/fake-telegram-harness";
import { seedDcSession, type DcHarness } from "../support/mtproto/dc-harness";
import type { LoopbackDc } from "../support/mtproto/loopback-dc";
import { cliOnLoopbackDc } from "../support/cli-on-dc";

let dc: LoopbackDc;
let store: TestStore;
let h: DcHarness;
let env: NodeJS.ProcessEnv;
cliOnLoopbackDc((c) => ({ dc, store, h, env } = c));

const PRODUCT = loadDefaultDeviceIdentity();

describe("sessions import --api-id", () => {
  it("a string that carries no API id is stored and proven under the one named; show displays it", async () => {
    const phone = newPhone();
    const { sessionString } = dc.addAccount({ phone, userId: 930_001, firstName: "Api" });
    const r = await runCli(["import", phone, "--api-id", "4321"], { env, input: `${sessionString}\n` });
    expect(r.stderr).not.toContain("sessions:");
    expect(r.code).toBe(0);
    expect(r.stdout).toContain("It presents API id 4321 on every connection.");
    expect((await store.sessions().require(phone)).apiId).toBe(4321);
    expect(dc.initConnections(phone).map((c) => c.apiId)).toEqual([4321]);

    const show = await runCli(["show", phone], { env });
    expect(show.stdout).toMatch(/API id\s+4321/);
    expect(show.stdout).toMatch(new RegExp(`Identity\\s+${PRODUCT.deviceModel} · ${PRODUCT.systemVersion}`));
  });

  it("a malformed API id is refused before anything is read or stored, exit 2", async () => {
    const phone = newPhone();
    const r = await runCli(["import", phone, "--api-id", "12ab"], { env, input: "whatever\n" });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('--api-id must be a positive whole number (got "12ab"); nothing was stored.');
    expect(await store.sessions().get(phone)).toBeUndefined();
  });
});

describe("sessions identity", () => {
  it("shows the identity, changes the fields given (audited), and the next connection presents the new one", async () => {
    const acc = await seedDcSession(h);
    await h.sessions.setIdentity(acc.phone, PRODUCT);

    const shown = await runCli(["identity", acc.phone], { env });
    expect(shown.code).toBe(0);
    expect(shown.stdout).toContain(
      `${acc.phone} presents itself as: ${PRODUCT.deviceModel} · ${PRODUCT.systemVersion}`,
    );

    const r = await runCli(["identity", acc.phone, "--device-model", "Fleet phone 7", "--lang-code", "uz"], {
      env,
    });
    expect(r.code).toBe(0);
    expect(r.stdout).toContain(
      `Identity of ${acc.phone} changed (deviceModel: ${PRODUCT.deviceModel} → Fleet phone 7; langCode: ${PRODUCT.langCode} → uz).`,
    );
    const row = await store.sessions().require(acc.phone);
    expect(row.identity).toEqual({ ...PRODUCT, deviceModel: "Fleet phone 7", langCode: "uz" });
    const audit = await h.audit.day(new Date().toISOString().slice(0, 10));
    expect(audit.filter((e) => e.phone === acc.phone)).toEqual([
      expect.objectContaining({
        action: "session.identity-changed",
        detail: `deviceModel: ${PRODUCT.deviceModel} → Fleet phone 7; langCode: ${PRODUCT.langCode} → uz`,
      }),
    ]);

    expect(
      await h.services.userbots.checkSession(acc.phone, { deadlineMs: 10_000, actor: "cli:ops" }),
    ).toMatchObject({ outcome: "healthy" });
    expect(dc.initConnections(acc.phone).at(-1)).toMatchObject({
      deviceModel: "Fleet phone 7",
      langCode: "uz",
    });
  });

  it("a bad value is refused, exit 2, and nothing changes", async () => {
    const acc = await seedDcSession(h);
    await h.sessions.setIdentity(acc.phone, PRODUCT);
    const version = (await store.sessions().require(acc.phone)).version;
    const r = await runCli(["identity", acc.phone, "--lang-code", "EN"], { env });
    expect(r.code).toBe(2);
    expect(r.stderr).toContain('langCode must be two lowercase letters such as en, not "EN"');
    expect(await store.sessions().require(acc.phone)).toMatchObject({ version, identity: PRODUCT });
  });
});
