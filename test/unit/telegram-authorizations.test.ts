/**
 * The pure pieces of issue 16's userbot layer: the authorization fingerprint and its "new since the last check"
 * diff, Telegram's authorization mapped to the plain record, the 24 h rule's date, and what a failed auth.logOut
 * means for the key (GramJS's real error classes through the real classifier).
 */
import { Api } from "telegram";
import { FloodWaitError, RPCError } from "telegram/errors";
import { returnBigInt } from "telegram/Helpers";
import { describe, expect, it } from "vitest";
import {
  authorizationFingerprint,
  endOthersPossibleFrom,
  newAuthorizations,
  sameFingerprint,
} from "../../lib/telegram/authorization-set";
import type { DeviceAuthorization } from "../../lib/telegram/contract";
import { toAccountDevices, toDeviceAuthorization } from "../../lib/telegram/devices";
import { ConnectFailedError, DeadlineExceededError, classifyError } from "../../lib/telegram/errors";
import { revocationOutcome } from "../../lib/telegram/revocation";

function device(hash: string, current = false): DeviceAuthorization {
  return {
    hash,
    current,
    officialApp: true,
    passwordPending: false,
    deviceModel: `device ${hash}`,
    platform: "Android",
    systemVersion: "14",
    appName: "Telegram Android",
    appVersion: "11.0",
    apiId: 6,
    country: "Uzbekistan",
    region: "Tashkent",
    createdAt: "2026-11-01T00:00:00.000Z",
    lastActiveAt: "2026-12-01T00:00:00.000Z",
  };
}

describe("the authorization fingerprint", () => {
  it("is the sorted set of the other authorizations' hashes, ours left out", () => {
    expect(authorizationFingerprint([device("0", true), device("30"), device("-5"), device("30")])).toEqual([
      "-5",
      "30",
    ]);
    expect(authorizationFingerprint([device("77", true)])).toEqual([]);
  });

  it("does not change when only our own authorization's hash does (a re-login, or Telegram reporting 0)", () => {
    const before = authorizationFingerprint([device("111", true), device("5")]);
    const after = authorizationFingerprint([device("0", true), device("5")]);
    expect(sameFingerprint(before, after)).toBe(true);
    expect(sameFingerprint(undefined, after)).toBe(false);
    expect(sameFingerprint(["5"], ["5", "6"])).toBe(false);
  });
});

describe("new authorizations since the last check", () => {
  it("are those whose hash the last fingerprint did not have, never ours", () => {
    const now = { authorizations: [device("9", true), device("1"), device("2"), device("3")] };
    expect(newAuthorizations(["1", "3"], now).map((d) => d.hash)).toEqual(["2"]);
    expect(newAuthorizations(["1", "2", "3"], now)).toEqual([]);
  });

  it("are none on the first check (no fingerprint yet: the baseline), and none when a device only left", () => {
    expect(newAuthorizations(undefined, { authorizations: [device("1"), device("2")] })).toEqual([]);
    expect(newAuthorizations(["1", "2"], { authorizations: [device("1")] })).toEqual([]);
  });

  it("reports a device once: the fingerprint taken with it makes it known", () => {
    const first = { authorizations: [device("1")] };
    const second = { authorizations: [device("1"), device("2")] };
    const third = { authorizations: [device("1"), device("2")] };
    expect(newAuthorizations(authorizationFingerprint(first.authorizations), second)).toHaveLength(1);
    expect(newAuthorizations(authorizationFingerprint(second.authorizations), third)).toHaveLength(0);
  });
});

describe("the 24 h rule's date", () => {
  const now = new Date("2026-12-02T12:00:00.000Z");

  it("is 24 h after our key's authorization was created, while that is still ahead", () => {
    expect(endOthersPossibleFrom("2026-12-02T03:00:00.000Z", now)).toBe("2026-12-03T03:00:00.000Z");
  });

  it("is absent once 24 h have passed, or when the date is unreadable", () => {
    expect(endOthersPossibleFrom("2026-12-01T11:59:59.000Z", now)).toBeUndefined();
    expect(endOthersPossibleFrom("not a date", now)).toBeUndefined();
  });
});

describe("Telegram's authorizations as plain records", () => {
  const apiAuthorization = (hash: string, current: boolean, created: number) =>
    new Api.Authorization({
      current,
      officialApp: !current,
      hash: returnBigInt(hash),
      deviceModel: current ? "Session Keeper" : "iPhone 15",
      platform: current ? "Linux" : "iOS",
      systemVersion: "17.4",
      apiId: current ? 123456 : 6,
      appName: current ? "session-keeper" : "Telegram iOS",
      appVersion: "10.9",
      dateCreated: created,
      dateActive: created + 60,
      ip: "198.51.100.7",
      country: "Uzbekistan",
      region: "Tashkent",
    });

  it("maps every field an operator reads, the 64-bit hash as exact decimal text", () => {
    expect(toDeviceAuthorization(apiAuthorization("-9223372036854775807", false, 1_764_000_000))).toEqual({
      hash: "-9223372036854775807",
      current: false,
      officialApp: true,
      passwordPending: false,
      deviceModel: "iPhone 15",
      platform: "iOS",
      systemVersion: "17.4",
      appName: "Telegram iOS",
      appVersion: "10.9",
      apiId: 6,
      country: "Uzbekistan",
      region: "Tashkent",
      createdAt: new Date(1_764_000_000_000).toISOString(),
      lastActiveAt: new Date(1_764_000_060_000).toISOString(),
    });
  });

  it("puts ours first, fingerprints the others, and dates the 24 h rule from ours", () => {
    const now = new Date(1_764_050_000_000);
    const result = new Api.account.Authorizations({
      authorizationTtlDays: 30,
      authorizations: [
        apiAuthorization("42", false, 1_700_000_000),
        apiAuthorization("7", true, 1_764_000_000),
      ],
    });

    const devices = toAccountDevices(result, now);

    expect(devices.authorizations.map((a) => [a.hash, a.current])).toEqual([
      ["7", true],
      ["42", false],
    ]);
    expect(devices.fingerprint).toEqual(["42"]);
    expect(devices.ttlDays).toBe(30);
    expect(devices.endOthersPossibleFrom).toBe(new Date((1_764_000_000 + 86_400) * 1000).toISOString());
  });
});

describe("what a failed auth.logOut means for the key", () => {
  const request = new Api.auth.LogOut();

  it("is already dead when Telegram refuses the key or the account is gone", () => {
    for (const [code, name] of [
      [401, "AUTH_KEY_UNREGISTERED"],
      [401, "SESSION_REVOKED"],
      [406, "AUTH_KEY_DUPLICATED"],
      [401, "USER_DEACTIVATED_BAN"],
    ] as const) {
      expect(revocationOutcome(classifyError(new RPCError(name, request, code)))).toEqual({
        outcome: "already-dead",
        code: name,
      });
    }
  });

  it("is not confirmed for a flood wait, a timeout, no connection, a 5xx, or an unexpected refusal", () => {
    const failures = [
      new FloodWaitError({ request, capture: 30 }),
      new DeadlineExceededError(8_000),
      new ConnectFailedError(),
      new RPCError("RPC_CALL_FAIL", request, 500),
      new RPCError("SOMETHING_NEW", request, 400),
      // 401 but not a dead key: the login was never finished.
      new RPCError("SESSION_PASSWORD_NEEDED", request, 401),
    ];
    for (const err of failures) {
      expect(revocationOutcome(classifyError(err)).outcome).toBe("not-confirmed");
    }
  });
});
