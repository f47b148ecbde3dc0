/**
 * The loopback DC's account security, as Telegram keeps it per account: the account's authorizations (every auth key
 * logged in as it, plus other devices a test adds), ending one (`account.resetAuthorization`) or all others
 * (`auth.resetAuthorizations`) with Telegram's 24 h rule for the calling key, and the 2FA password as it changes
 * (`account.updatePasswordSettings`, checked with a real SRP proof, see srp.ts).
 *
 * It lives beside loopback-dc.ts, which owns the connections, keys and accounts: the DC asks `execute` first for
 * every request of a logged-in key, and asks `passwordOf`/`hintOf` wherever a login needs the account's password.
 *
 * What Telegram does and this copies (core.telegram.org/method/account.resetAuthorization, auth.resetAuthorizations,
 * account.updatePasswordSettings):
 *   - every authorization has a 64-bit `hash`; the calling key's own is flagged `current`;
 *   - a key younger than 24 h may not end other authorizations: 406 FRESH_RESET_AUTHORISATION_FORBIDDEN;
 *   - ending an unknown hash, or the caller's own: 400 HASH_INVALID;
 *   - a key whose authorization is ended answers 401 AUTH_KEY_UNREGISTERED from then on, auth.logOut included;
 *   - updatePasswordSettings needs `inputCheckPasswordEmpty` on an account without a password, else the SRP proof of
 *     the current one (400 PASSWORD_HASH_INVALID otherwise, and nothing changes); an empty new hash removes it.
 */
import { randomBytes } from "node:crypto";
import { Api } from "telegram";
import { returnBigInt } from "telegram/Helpers";
import { TELEGRAM_G, TELEGRAM_PRIME_BYTES, toBigInt } from "./math";
import { passwordRecord, srpVerify, type PasswordRecord, type SrpChallenge } from "./srp";

/** Telegram's rule: a key this young cannot end the account's other authorizations. */
export const FRESH_KEY_MS = 24 * 60 * 60 * 1000;

/** What Telegram says of one authorization (Api.Authorization's fields, in test-friendly types). */
export interface DeviceSpec {
  readonly deviceModel?: string;
  readonly platform?: string;
  readonly systemVersion?: string;
  readonly apiId?: number;
  readonly appName?: string;
  readonly appVersion?: string;
  readonly officialApp?: boolean;
  readonly passwordPending?: boolean;
  readonly unconfirmed?: boolean;
  readonly ip?: string;
  readonly country?: string;
  readonly region?: string;
  /** Default: now. */
  readonly createdAt?: Date;
  /** Default: `createdAt`. */
  readonly activeAt?: Date;
}

/** One authorization as the DC holds it. */
export interface AuthorizationView extends Required<Omit<DeviceSpec, "createdAt" | "activeAt">> {
  readonly hash: bigint;
  readonly current: boolean;
  readonly createdAt: Date;
  readonly activeAt: Date;
  /** The auth key behind it (its id), for the keys the DC issued; absent for a device a test added. */
  readonly keyId?: string;
}

/** What this module needs of the DC's account record. */
export interface SecuredAccount {
  readonly spec: { readonly password?: string; readonly passwordHint?: string };
  /** The password record made from `spec.password`, lazily (PBKDF2 is slow). */
  password?: Promise<PasswordRecord>;
}

/** What this module needs of the DC's auth key record. */
export interface SecuredKey<A extends SecuredAccount> {
  readonly id: string;
  account?: A;
  passwordPending?: A;
  srp?: SrpChallenge;
}

export type SecurityAnswer =
  { readonly rpc: Buffer } | { readonly error: { readonly code: number; readonly message: string } };

/** The device our own keys present (until the DC records their initConnection). */
const KEY_DEVICE: Required<Omit<DeviceSpec, "createdAt" | "activeAt">> = {
  deviceModel: "Session Keeper",
  platform: "Linux",
  systemVersion: "Linux",
  apiId: 1,
  appName: "session-keeper",
  appVersion: "1.0",
  officialApp: false,
  passwordPending: false,
  unconfirmed: false,
  ip: "127.0.0.1",
  country: "Uzbekistan",
  region: "Tashkent",
};

/** The device a test adds when it says nothing: an official app on a phone. */
const OTHER_DEVICE: Required<Omit<DeviceSpec, "createdAt" | "activeAt">> = {
  deviceModel: "iPhone 15",
  platform: "iOS",
  systemVersion: "17.4",
  apiId: 6,
  appName: "Telegram iOS",
  appVersion: "10.9",
  officialApp: true,
  passwordPending: false,
  unconfirmed: false,
  ip: "198.51.100.7",
  country: "Uzbekistan",
  region: "Tashkent",
};

/** boolTrue#997275b5, the answer of the reset and update methods. */
const BOOL_TRUE = Buffer.from([0xb5, 0x75, 0x72, 0x99]);

interface Device {
  readonly hash: bigint;
  readonly spec: Required<Omit<DeviceSpec, "createdAt" | "activeAt">>;
  readonly createdAt: Date;
  readonly activeAt: Date;
}

export class AccountSecurity<A extends SecuredAccount, K extends SecuredKey<A>> {
  /** Telegram's `authorization_ttl_days` for every account. */
  ttlDays = 180;
  /** Devices other than our keys, per account, by hash. */
  private readonly devices = new Map<A, Map<bigint, Device>>();
  /** A password set or removed through the API replaces what the account's spec said. */
  private readonly passwords = new Map<A, { readonly record?: PasswordRecord; readonly hint?: string }>();
  /** When each key was created (ms), scriptable for the 24 h rule. */
  private readonly keyCreated = new Map<string, number>();
  private readonly keyDevices = new Map<string, Partial<DeviceSpec>>();
  /** Keys that were logged in and then logged out or ended: auth.logOut on them is refused as Telegram does. */
  private readonly revoked = new Set<string>();

  constructor(private readonly keysOf: (account: A) => readonly K[]) {}

  // ------------------------------------------------------------------------------------------- keys

  /** A new key exists (the DC registered it): its authorization counts from now. */
  keyIssued(key: K): void {
    this.keyCreated.set(key.id, Date.now());
  }

  setKeyCreatedAt(key: K, at: Date): void {
    this.keyCreated.set(key.id, at.getTime());
  }

  /** What a key's authorization says of its device (the defaults are a GramJS userbot's). */
  describeKey(key: K, device: Partial<DeviceSpec>): void {
    this.keyDevices.set(key.id, { ...this.keyDevices.get(key.id), ...device });
  }

  /** The key is logged out (auth.logOut, an ended authorization, or a test's `forget`). */
  logOut(key: K): void {
    if (key.account || key.passwordPending) this.revoked.add(key.id);
    key.account = undefined;
    key.passwordPending = undefined;
    key.srp = undefined;
  }

  /** True for a key that was logged in and no longer is. */
  wasLoggedOut(key: K): boolean {
    return this.revoked.has(key.id) && !key.account;
  }

  // ------------------------------------------------------------------------------------------- devices

  addDevice(account: A, spec: DeviceSpec = {}): bigint {
    const devices = this.devicesOf(account);
    let hash: bigint;
    do hash = randomHash();
    while (devices.has(hash));
    const createdAt = spec.createdAt ?? new Date();
    const { createdAt: _c, activeAt, ...rest } = spec;
    devices.set(hash, {
      hash,
      spec: { ...OTHER_DEVICE, ...rest },
      createdAt,
      activeAt: activeAt ?? createdAt,
    });
    return hash;
  }

  removeDevice(account: A, hash: bigint): boolean {
    return this.devicesOf(account).delete(hash);
  }

  /** The account's authorizations as `caller` would list them (no caller: none is current). */
  authorizations(account: A, caller?: K): AuthorizationView[] {
    const keys = this.keysOf(account).map((key): AuthorizationView => {
      const createdAt = new Date(this.keyCreated.get(key.id) ?? Date.now());
      return {
        ...KEY_DEVICE,
        ...this.keyDevices.get(key.id),
        hash: keyHash(key),
        current: key === caller,
        createdAt,
        activeAt: key === caller ? new Date() : createdAt,
        keyId: key.id,
      };
    });
    const others = [...this.devicesOf(account).values()].map((d): AuthorizationView => ({
      ...d.spec,
      hash: d.hash,
      current: false,
      createdAt: d.createdAt,
      activeAt: d.activeAt,
    }));
    // Telegram lists the current authorization first.
    return [...keys.filter((a) => a.current), ...keys.filter((a) => !a.current), ...others];
  }

  // ------------------------------------------------------------------------------------------- password

  /** The account's password record, or undefined when it has none. */
  passwordOf(account: A): Promise<PasswordRecord> | undefined {
    const changed = this.passwords.get(account);
    if (changed) return changed.record ? Promise.resolve(changed.record) : undefined;
    if (account.spec.password === undefined) return undefined;
    return (account.password ??= passwordRecord(account.spec.password));
  }

  hasPassword(account: A): boolean {
    const changed = this.passwords.get(account);
    return changed ? changed.record !== undefined : account.spec.password !== undefined;
  }

  hintOf(account: A): string | undefined {
    const changed = this.passwords.get(account);
    return changed ? changed.hint : account.spec.passwordHint;
  }

  // ------------------------------------------------------------------------------------------- methods

  /** Answers the methods this module owns for a logged-in key; undefined for any other method. */
  async execute(key: K, account: A, request: unknown): Promise<SecurityAnswer | undefined> {
    if (request instanceof Api.account.GetAuthorizations) {
      const authorizations = this.authorizations(account, key).map(toApi);
      return {
        rpc: new Api.account.Authorizations({
          authorizationTtlDays: this.ttlDays,
          authorizations,
        }).getBytes(),
      };
    }
    if (request instanceof Api.account.ResetAuthorization) {
      const fresh = this.refuseFresh(key);
      if (fresh) return fresh;
      const hash = BigInt(request.hash.toString());
      const other = this.keysOf(account).find((k) => k !== key && keyHash(k) === hash);
      if (other) this.logOut(other);
      else if (!this.devicesOf(account).delete(hash)) return rpcError(400, "HASH_INVALID");
      return { rpc: BOOL_TRUE };
    }
    if (request instanceof Api.auth.ResetAuthorizations) {
      const fresh = this.refuseFresh(key);
      if (fresh) return fresh;
      for (const other of this.keysOf(account)) if (other !== key) this.logOut(other);
      this.devicesOf(account).clear();
      return { rpc: BOOL_TRUE };
    }
    if (request instanceof Api.account.UpdatePasswordSettings)
      return this.updatePassword(key, account, request);
    return undefined;
  }

  private refuseFresh(key: K): SecurityAnswer | undefined {
    const created = this.keyCreated.get(key.id) ?? Date.now();
    return Date.now() - created < FRESH_KEY_MS
      ? rpcError(406, "FRESH_RESET_AUTHORISATION_FORBIDDEN")
      : undefined;
  }

  private async updatePassword(
    key: K,
    account: A,
    request: Api.account.UpdatePasswordSettings,
  ): Promise<SecurityAnswer> {
    const current = this.passwordOf(account);
    const input = request.password;
    const challenge = key.srp;
    key.srp = undefined; // one proof per account.getPassword, as Telegram's srp_id
    if (input instanceof Api.InputCheckPasswordSRP) {
      if (!current) return rpcError(400, "PASSWORD_HASH_INVALID");
      if (!challenge || !input.srpId.eq(returnBigInt(challenge.srpId)))
        return rpcError(400, "SRP_ID_INVALID");
      if (!srpVerify(await current, challenge, input.A, input.M1))
        return rpcError(400, "PASSWORD_HASH_INVALID");
    } else if (current) {
      // inputCheckPasswordEmpty on an account that has a password.
      return rpcError(400, "PASSWORD_HASH_INVALID");
    }
    const settings = request.newSettings;
    const hash = settings.newPasswordHash;
    if (!hash || hash.length === 0) {
      this.passwords.set(account, {});
      return { rpc: BOOL_TRUE };
    }
    const algo = settings.newAlgo;
    if (
      !(algo instanceof Api.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow) ||
      algo.g !== TELEGRAM_G ||
      !Buffer.from(algo.p).equals(TELEGRAM_PRIME_BYTES) ||
      hash.length !== 256
    ) {
      return rpcError(400, "NEW_SETTINGS_INVALID");
    }
    this.passwords.set(account, {
      record: { algo, verifier: toBigInt(Buffer.from(hash)) },
      ...(settings.hint ? { hint: settings.hint } : {}),
    });
    return { rpc: BOOL_TRUE };
  }

  private devicesOf(account: A): Map<bigint, Device> {
    let devices = this.devices.get(account);
    if (!devices) {
      devices = new Map();
      this.devices.set(account, devices);
    }
    return devices;
  }
}

/** A key's authorization hash: its auth key id read as a signed 64-bit number (stable, unique per key). */
function keyHash(key: { readonly id: string }): bigint {
  return BigInt.asIntN(64, BigInt(`0x${key.id}`));
}

function randomHash(): bigint {
  const hash = randomBytes(8).readBigInt64LE(0);
  // Nonzero, so nothing mistakes it for "no hash".
  return hash === 0n ? 1n : hash;
}

function rpcError(code: number, message: string): SecurityAnswer {
  return { error: { code, message } };
}

function toApi(a: AuthorizationView): Api.Authorization {
  return new Api.Authorization({
    current: a.current,
    officialApp: a.officialApp,
    passwordPending: a.passwordPending,
    unconfirmed: a.unconfirmed,
    hash: returnBigInt(a.hash),
    deviceModel: a.deviceModel,
    platform: a.platform,
    systemVersion: a.systemVersion,
    apiId: a.apiId,
    appName: a.appName,
    appVersion: a.appVersion,
    dateCreated: Math.floor(a.createdAt.getTime() / 1000),
    dateActive: Math.floor(a.activeAt.getTime() / 1000),
    ip: a.ip,
    country: a.country,
    region: a.region,
  });
}
