/**
 * Telegram, faked at the network seam. Code under test gets GramJS's real `TelegramClient` (a subclass whose
 * `connect` and `invoke` are the only replaced parts), real `Api` request and result classes, real error classes
 * built the way GramJS builds them (`RPCMessageToError`), real `StringSession` strings, and GramJS's own SRP code
 * on the client side. `destroy()` is GramJS's own.
 *
 * Like Telegram, the fake ties everything to the auth key: a key gets the code (`auth.SendCode`), the same key
 * must sign in with it, and a signed-in key answers getMe. So a login whose steps run on three separate client
 * instances works only if the session string really is carried from one step to the next.
 *
 * Scripting: `accounts`, failures per phone and request (`failOn`), connect behaviour (`onConnect`), delays and
 * hangs. Everything an RPC saw is in `calls`.
 */
import { randomBytes } from "node:crypto";
import { Api, TelegramClient } from "telegram";
import type { TelegramClientParams } from "telegram/client/telegramBaseClient";
import { AuthKey } from "telegram/crypto/AuthKey";
import { RPCMessageToError } from "telegram/errors";
import {
  generateRandomBytes,
  modExp,
  readBigIntFromBuffer,
  readBufferFromBigInt,
  returnBigInt,
  sha256,
} from "telegram/Helpers";
import { computeDigest } from "telegram/Password";
import { StringSession } from "telegram/sessions";
import type { CreateClient } from "../../lib/telegram/client";

export interface FakeAccount {
  /** E.164, "+998901234567". */
  readonly phone: string;
  readonly userId: number;
  readonly username?: string;
  readonly firstName?: string;
  readonly lastName?: string;
  /** 2FA password; the login then needs the password step. */
  readonly password?: string;
  readonly hint?: string;
  /** The DC the number lives on; SendCode from another DC migrates the client there (a new auth key). */
  readonly homeDc?: number;
  readonly banned?: boolean;
  /**
   * Telegram froze the account: getMe still answers, and `help.getAppConfig` carries the freeze keys (unix seconds).
   * Change it with `setFrozen`.
   */
  readonly frozen?: FakeFreeze;
  /** `account.getAuthorizations`'s `authorization_ttl_days` (Telegram's default is 180). */
  readonly authorizationTtlDays?: number;
}

export interface FakeFreeze {
  readonly sinceDate?: number;
  readonly untilDate?: number;
  readonly appealUrl?: string;
}

/** What to do on a matching request: answer an RPC error, a flood wait, hang forever, or wait first. */
export type Script =
  | { readonly error: readonly [code: number, message: string] }
  | { readonly floodWaitSeconds: number }
  | { readonly hang: true }
  | { readonly throws: unknown }
  | { readonly delayMs: number };

interface Rule {
  readonly phone: string | "*";
  readonly request: string | "*";
  readonly script: Script;
  remaining: number;
}

export type ConnectScript = "fail" | "hang" | { readonly error: readonly [code: number, message: string] };

interface KeyState {
  dcId: number;
  phone?: string;
  authorized: boolean;
  pendingCode?: { phone: string; hash: string; code: string };
  passwordPending?: boolean;
  /** Ended by auth.LogOut. */
  loggedOut?: boolean;
  srp?: { id: bigint; b: ReturnType<typeof readBigIntFromBuffer>; B: Buffer };
}

export interface Call {
  readonly client: number;
  readonly phone?: string;
  readonly request: string;
}

const DC_ADDRESS: Record<number, string> = {
  1: "149.154.175.53",
  2: "149.154.167.51",
  3: "149.154.175.100",
  4: "149.154.167.91",
  5: "91.108.56.130",
};

/** Telegram's 2048-bit SRP prime (GramJS's `computeCheck` accepts only this one), g = 3. */
const SRP_PRIME = Buffer.from(
  "c71caeb9c6b1c9048e6c522f70f13f73980d40238e3e21c14934d037563d930f48198a0aa7c14058229493d22530f4db" +
    "fa336f6e0ac925139543aed44cce7c3720fd51f69458705ac68cd4fe6b6b13abdc9746512969328454f18faf8c595f64" +
    "2477fe96bb2a941d5bcd1d4ac8cc49880708fa9b378e3c4f3a9060bee67cf9a4a4a695811051907e162753b56b0f6b41" +
    "0dba74d8a84b2a14b3144e0ef1284754fd17ed950d5965b4b9dd46582db1178d169c6bc465b0d6ff9ca3928fef5b9ae4" +
    "e418fc15e83ebea0f87fa9ff5eed70050ded2849f47bf959d956850ce929851f0d8115f635b105ee2e4e15d04b2454bf" +
    "6f4fadf034b10403119cd8e3b92fcc5b",
  "hex",
);
const SRP_G = 3;

function rpcError(code: number, message: string, request: Api.AnyRequest): Error {
  return RPCMessageToError(new Api.RpcError({ errorCode: code, errorMessage: message }), request);
}

export class FakeTelegram {
  readonly accounts = new Map<string, FakeAccount>();
  readonly calls: Call[] = [];
  /** Clients built, connected, destroyed: a job must destroy every client it built. */
  readonly stats = { created: 0, connected: 0, destroyed: 0 };
  /** The API id Telegram accepts; SendCode with another gives API_ID_INVALID. */
  validApiId: number | undefined;
  /** Every login code sent, by phone, for the test to "read from the phone". */
  readonly codes = new Map<string, string>();
  /** The code the next SendCode sends (random when unset), for tests that search texts and logs for it. */
  nextCode: string | undefined;
  /** Every phoneCodeHash handed out, by phone (a secret the tests look for in logs). */
  readonly codeHashes = new Map<string, string>();

  private readonly keys = new Map<string, KeyState>();
  private readonly rules: Rule[] = [];
  private readonly connectRules = new Map<string, ConnectScript>();
  private readonly algos = new Map<
    string,
    Api.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow
  >();
  private nextClient = 1;

  /** The factory to hand to `createUserbotServices({ createClient })`. */
  readonly createClient: CreateClient = (session, apiId, apiHash, params) =>
    new FakeTelegramClient(this, this.nextClient++, session, apiId, apiHash, params);

  addAccount(account: FakeAccount): FakeAccount {
    this.accounts.set(account.phone, account);
    return account;
  }

  /** A session string of a signed-in key for `phone`, as if logged in elsewhere earlier. */
  async sessionFor(phone: string, dcId = 2): Promise<string> {
    const session = new StringSession("");
    session.setDC(dcId, DC_ADDRESS[dcId] ?? "127.0.0.1", 443);
    const key = new AuthKey();
    await key.setKey(this.signedInKey(phone, dcId));
    session.setAuthKey(key);
    return session.save();
  }

  /** The raw 256-byte auth key of a new signed-in key for `phone`, for building other tools' session strings. */
  signedInKey(phone: string, dcId = 2): Buffer {
    const key = randomBytes(256);
    this.keys.set(key.toString("hex"), { dcId, phone, authorized: true });
    return key;
  }

  /** True while the key in `sessionString` is logged in here (not logged out, revoked or unknown). */
  async isLoggedIn(sessionString: string): Promise<boolean> {
    const session = new StringSession(sessionString);
    await session.load();
    const key = session.getAuthKey()?.getKey();
    return key ? this.keys.get(key.toString("hex"))?.authorized === true : false;
  }

  /** The account owner pressed "Terminate all other sessions": every key of the phone is logged out. */
  revokeAll(phone: string): void {
    for (const state of this.keys.values()) if (state.phone === phone) state.authorized = false;
  }

  /** Telegram freezes (or, with `undefined`, unfreezes) the account of `phone`. */
  setFrozen(phone: string, frozen: FakeFreeze | undefined): void {
    const account = this.accounts.get(phone);
    if (!account) throw new Error(`No fake account ${phone}.`);
    const { frozen: _old, ...rest } = account;
    this.accounts.set(phone, frozen ? { ...rest, frozen } : rest);
  }

  /** Scripts the next `times` requests of `request` (a className like "users.GetUsers", or "*") for `phone`. */
  failOn(phone: string | "*", request: string | "*", script: Script, times = 1): void {
    this.rules.push({ phone, request, script, remaining: times });
  }

  /** What `connect()` does for clients of `phone` ("*" for any, including a fresh login key). */
  onConnect(phone: string | "*", script: ConnectScript | undefined): void {
    if (script === undefined) this.connectRules.delete(phone);
    else this.connectRules.set(phone, script);
  }

  /** @internal Called by the fake client. */
  async connect(client: FakeTelegramClient): Promise<boolean> {
    const state = this.keyState(client);
    const rule = (state?.phone && this.connectRules.get(state.phone)) || this.connectRules.get("*");
    if (rule === "fail") return false;
    if (rule === "hang") return new Promise<boolean>(() => undefined);
    if (rule) throw rpcError(rule.error[0], rule.error[1], new Api.help.GetConfig());
    if (!state) await this.newKey(client, client.session.dcId || 4);
    this.stats.connected++;
    return true;
  }

  /** @internal Called by the fake client. */
  async invoke(client: FakeTelegramClient, request: Api.AnyRequest): Promise<unknown> {
    const state = this.keyState(client);
    if (!state) throw new Error("Not connected");
    const phone =
      request instanceof Api.auth.SendCode || request instanceof Api.auth.SignIn
        ? request.phoneNumber
        : state.phone;
    this.calls.push({ client: client.fakeId, ...(phone ? { phone } : {}), request: request.className });
    const rule = this.rules.find(
      (r) =>
        r.remaining > 0 &&
        (r.phone === "*" || r.phone === phone) &&
        (r.request === "*" || r.request === request.className),
    );
    if (rule) {
      rule.remaining--;
      const s = rule.script;
      if ("error" in s) throw rpcError(s.error[0], s.error[1], request);
      if ("floodWaitSeconds" in s) throw rpcError(420, `FLOOD_WAIT_${s.floodWaitSeconds}`, request);
      if ("hang" in s) return new Promise(() => undefined);
      if ("throws" in s) throw s.throws;
      await new Promise((resolve) => setTimeout(resolve, s.delayMs));
    }
    return this.answer(client, state, request);
  }

  private async answer(
    client: FakeTelegramClient,
    state: KeyState,
    request: Api.AnyRequest,
  ): Promise<unknown> {
    if (request instanceof Api.users.GetUsers) {
      if (!state.authorized || !state.phone) throw rpcError(401, "AUTH_KEY_UNREGISTERED", request);
      const account = this.accounts.get(state.phone);
      if (!account) throw rpcError(401, "USER_DEACTIVATED", request);
      return [this.user(account)];
    }
    if (request instanceof Api.auth.LogOut) {
      // As Telegram: a key that is neither logged in nor part-way through a login (a code sent to it, a password
      // step) is refused; any other is ended for good, with its code, password step and sign-in.
      if (!state.phone || (!state.authorized && !state.pendingCode && !state.passwordPending))
        throw rpcError(401, "AUTH_KEY_UNREGISTERED", request);
      state.authorized = false;
      state.pendingCode = undefined;
      state.passwordPending = false;
      state.loggedOut = true;
      return new Api.auth.LoggedOut({});
    }
    if (request instanceof Api.help.GetAppConfig) {
      const account = state.authorized && state.phone ? this.accounts.get(state.phone) : undefined;
      return new Api.help.AppConfig({ hash: 1, config: appConfig(account?.frozen) });
    }
    if (request instanceof Api.account.GetAuthorizations) {
      if (!state.authorized || !state.phone) throw rpcError(401, "AUTH_KEY_UNREGISTERED", request);
      const account = this.accounts.get(state.phone);
      return new Api.account.Authorizations({
        authorizationTtlDays: account?.authorizationTtlDays ?? 180,
        authorizations: [],
      });
    }
    if (request instanceof Api.auth.SendCode) {
      if (this.validApiId !== undefined && request.apiId !== this.validApiId) {
        throw rpcError(400, "API_ID_INVALID", request);
      }
      if (!/^\+?\d{7,15}$/.test(request.phoneNumber)) throw rpcError(406, "PHONE_NUMBER_INVALID", request);
      const account = this.accounts.get(request.phoneNumber);
      if (account?.banned) throw rpcError(400, "PHONE_NUMBER_BANNED", request);
      let target = state;
      if (account?.homeDc && account.homeDc !== state.dcId) {
        // What GramJS's invoke does on PHONE_MIGRATE_X: switch DC, drop the key, make a new one there.
        target = await this.newKey(client, account.homeDc);
      }
      const code = this.nextCode ?? String(10000 + Math.floor(Math.random() * 90000));
      const hash = randomBytes(8).toString("hex");
      target.pendingCode = { phone: request.phoneNumber, hash, code };
      target.phone = request.phoneNumber;
      this.codes.set(request.phoneNumber, code);
      this.codeHashes.set(request.phoneNumber, hash);
      return new Api.auth.SentCode({
        type: new Api.auth.SentCodeTypeApp({ length: 5 }),
        phoneCodeHash: hash,
      });
    }
    if (request instanceof Api.auth.SignIn) {
      const pending = state.pendingCode;
      // A code is bound to the key it was sent to: another key (a new client session) sees it as expired.
      if (!pending || pending.phone !== request.phoneNumber || pending.hash !== request.phoneCodeHash) {
        throw rpcError(400, "PHONE_CODE_EXPIRED", request);
      }
      if (request.phoneCode !== pending.code) throw rpcError(400, "PHONE_CODE_INVALID", request);
      const account = this.accounts.get(request.phoneNumber);
      if (!account) return new Api.auth.AuthorizationSignUpRequired({});
      state.pendingCode = undefined;
      if (account.password) {
        state.passwordPending = true;
        throw rpcError(401, "SESSION_PASSWORD_NEEDED", request);
      }
      state.authorized = true;
      return new Api.auth.Authorization({ user: this.user(account) });
    }
    if (request instanceof Api.account.GetPassword) {
      const account = state.phone ? this.accounts.get(state.phone) : undefined;
      if (!account || !(state.passwordPending || state.authorized)) {
        throw rpcError(401, "AUTH_KEY_UNREGISTERED", request);
      }
      return this.passwordParams(state, account);
    }
    if (request instanceof Api.auth.CheckPassword) {
      const account = state.phone ? this.accounts.get(state.phone) : undefined;
      if (!account?.password || !state.passwordPending) throw rpcError(400, "PASSWORD_HASH_INVALID", request);
      const check = request.password;
      if (
        !(check instanceof Api.InputCheckPasswordSRP) ||
        !state.srp ||
        BigInt(check.srpId.toString()) !== state.srp.id
      ) {
        throw rpcError(400, "SRP_ID_INVALID", request);
      }
      const ok = await this.verifySrp(state, account, check);
      state.srp = undefined;
      if (!ok) throw rpcError(400, "PASSWORD_HASH_INVALID", request);
      state.passwordPending = false;
      state.authorized = true;
      return new Api.auth.Authorization({ user: this.user(account) });
    }
    throw new Error(`The fake Telegram does not answer ${request.className}.`);
  }

  /** How many keys `auth.LogOut` ended for `phone` (a temporary login key counts once a code was sent to it). */
  loggedOutKeys(phone: string): number {
    return [...this.keys.values()].filter((k) => k.loggedOut && k.phone === phone).length;
  }

  private user(account: FakeAccount): Api.User {
    return new Api.User({
      id: returnBigInt(account.userId),
      self: true,
      firstName: account.firstName,
      lastName: account.lastName,
      username: account.username,
      phone: account.phone.replace(/^\+/, ""),
    });
  }

  private algo(account: FakeAccount) {
    let algo = this.algos.get(account.phone);
    if (!algo) {
      algo = new Api.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow({
        salt1: randomBytes(32),
        salt2: randomBytes(16),
        g: SRP_G,
        p: SRP_PRIME,
      });
      this.algos.set(account.phone, algo);
    }
    return algo;
  }

  /** Server side of SRP (core.telegram.org/api/srp): B = k·v + g^b, with v = g^x from the real password. */
  private async passwordParams(state: KeyState, account: FakeAccount): Promise<Api.account.Password> {
    const common = {
      newAlgo: new Api.PasswordKdfAlgoUnknown(),
      newSecureAlgo: new Api.SecurePasswordKdfAlgoUnknown(),
      secureRandom: randomBytes(32),
    };
    if (!account.password) return new Api.account.Password({ ...common, hasPassword: false });
    const algo = this.algo(account);
    const p = readBigIntFromBuffer(SRP_PRIME, false);
    const v = readBigIntFromBuffer(await computeDigest(algo, account.password), false);
    const k = readBigIntFromBuffer(await sha256(Buffer.concat([SRP_PRIME, pad(SRP_G)])), false);
    const b = readBigIntFromBuffer(generateRandomBytes(256), false);
    const B = k
      .multiply(v)
      .add(modExp(returnBigInt(SRP_G), b, p))
      .mod(p);
    const srpB = readBufferFromBigInt(B, 256, false);
    const id = BigInt(`0x${randomBytes(7).toString("hex")}`);
    state.srp = { id, b, B: srpB };
    return new Api.account.Password({
      ...common,
      hasPassword: true,
      currentAlgo: algo,
      srp_B: srpB,
      srpId: returnBigInt(id.toString()),
      hint: account.hint,
    });
  }

  private async verifySrp(
    state: KeyState,
    account: FakeAccount,
    check: Api.InputCheckPasswordSRP,
  ): Promise<boolean> {
    const srp = state.srp!;
    const algo = this.algo(account);
    const p = readBigIntFromBuffer(SRP_PRIME, false);
    const v = readBigIntFromBuffer(await computeDigest(algo, account.password!), false);
    const A = readBigIntFromBuffer(check.A, false);
    const u = readBigIntFromBuffer(await sha256(Buffer.concat([check.A, srp.B])), false);
    const S = modExp(A.multiply(modExp(v, u, p)).mod(p), srp.b, p);
    const K = await sha256(readBufferFromBigInt(S, 256, false));
    const [hp, hg, h1, h2] = await Promise.all([
      sha256(SRP_PRIME),
      sha256(pad(SRP_G)),
      sha256(algo.salt1),
      sha256(algo.salt2),
    ]);
    const xored = Buffer.from(hp.map((byte, i) => byte ^ hg[i]!));
    const M1 = await sha256(Buffer.concat([xored, h1, h2, check.A, srp.B, K]));
    return M1.equals(check.M1);
  }

  private keyState(client: FakeTelegramClient): KeyState | undefined {
    const key = client.session.getAuthKey()?.getKey();
    return key ? this.keys.get(key.toString("hex")) : undefined;
  }

  private async newKey(client: FakeTelegramClient, dcId: number): Promise<KeyState> {
    const key = new AuthKey();
    await key.setKey(randomBytes(256));
    client.session.setDC(dcId, DC_ADDRESS[dcId] ?? "127.0.0.1", 443);
    client.session.setAuthKey(key);
    const state: KeyState = { dcId, authorized: false };
    this.keys.set(key.getKey()!.toString("hex"), state);
    return state;
  }
}

/** The app config's JSON object as Telegram sends it: a few ordinary keys, and the freeze keys while frozen. */
function appConfig(frozen: FakeFreeze | undefined): Api.JsonObject {
  const entry = (key: string, value: Api.TypeJSONValue) => new Api.JsonObjectValue({ key, value });
  const entries = [
    entry("test", new Api.JsonNumber({ value: 1 })),
    entry("authorization_autoconfirm_period", new Api.JsonNumber({ value: 604800 })),
    entry("stickers_emoji_suggest_only_api", new Api.JsonBool({ value: false })),
  ];
  if (frozen?.sinceDate)
    entries.push(entry("freeze_since_date", new Api.JsonNumber({ value: frozen.sinceDate })));
  if (frozen?.untilDate)
    entries.push(entry("freeze_until_date", new Api.JsonNumber({ value: frozen.untilDate })));
  if (frozen?.appealUrl)
    entries.push(entry("freeze_appeal_url", new Api.JsonString({ value: frozen.appealUrl })));
  return new Api.JsonObject({ value: entries });
}

function pad(g: number): Buffer {
  const b = Buffer.alloc(256);
  b.writeUInt32BE(g, 252);
  return b;
}

/** GramJS's real client with its network replaced by `FakeTelegram`. */
export class FakeTelegramClient extends TelegramClient {
  constructor(
    private readonly fake: FakeTelegram,
    readonly fakeId: number,
    session: StringSession,
    apiId: number,
    apiHash: string,
    params: TelegramClientParams,
  ) {
    super(session, apiId, apiHash, params);
    fake.stats.created++;
  }

  override async connect(): Promise<boolean> {
    await this.session.load();
    return this.fake.connect(this);
  }

  override invoke<R extends Api.AnyRequest>(request: R): Promise<R["__response"]> {
    return this.fake.invoke(this, request) as Promise<R["__response"]>;
  }

  override async destroy(): Promise<void> {
    await super.destroy();
    this.fake.stats.destroyed++;
  }
}
