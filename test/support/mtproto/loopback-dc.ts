/**
 * A loopback Telegram data centre for tests: a small MTProto 2.0 server that GramJS's real `TelegramClient` talks
 * to over its real default transport (ConnectionTCPFull over PromisedNetSockets), so tests exercise what breaks in
 * production (connect returning false, silent servers, dropped links, timers left behind, one key on two
 * connections) without Telegram.
 *
 * ## Where it listens, and why there
 *
 * GramJS ignores the port inside a StringSession: it always dials port 80 (443 with `useWSS`). So each DC listens on
 * port 80 of its own loopback address, chosen at random in 127.100.0.1–127.199.255.254 (the whole 127/8 is loopback
 * on Linux) and retried on EADDRINUSE, so parallel test files and processes never collide and nothing needs
 * rewriting inside GramJS. Binding port 80 needs root or CAP_NET_BIND_SERVICE (or
 * `sysctl net.ipv4.ip_unprivileged_port_start=80`); `startLoopbackDc` says so when it is refused.
 *
 * ## Use
 *
 *     const dc = await startLoopbackDc();
 *     const { sessionString } = dc.addAccount({ phone: "+998901234567", userId: 1001, firstName: "Ali" });
 *     const client = dc.createClient(new StringSession(sessionString), 1, "hash", { connectionRetries: 1 });
 *     await client.connect(); await client.getMe(); await client.destroy();
 *     dc.script("+998901234567", { method: "users.GetUsers", error: { code: 401, message: "AUTH_KEY_UNREGISTERED" } });
 *     dc.script("+998901234567", { method: "users.GetUsers", delayMs: 300 });     // slow answers
 *     dc.script("*", { silent: true });                                              // accepts, never answers
 *     dc.script("+998901234567", { method: "users.GetUsers", drop: true, times: 1 }); // drops the link mid-call
 *     dc.forget("+998901234567");                  // key known but logged out: 401 AUTH_KEY_UNREGISTERED
 *     dc.forget("+998901234567", "erase");         // key unknown: transport error -404
 *     dc.sentCodes("+998901234567");               // the login codes "Telegram sent"
 *     await dc.stop();
 *
 * QR login, with a second DC where some accounts live:
 *
 *     const dc4 = await startLoopbackDc({ dcId: 4 });
 *     dc.linkDc(dc4);                              // dc's help.getConfig lists DC 4; they share login tokens
 *     dc4.addAccount({ phone: "+998907654321", userId: 1002, firstName: "Vali" });
 *     // a client on dc: auth.exportLoginToken → auth.loginToken { token, expires } (same token until it expires)
 *     dc.scanLoginToken("tg://login?token=…", "+998907654321");  // the owner's app accepts it
 *     // next exportLoginToken from that key: auth.loginTokenMigrateTo { dcId: 4, token } (loginTokenSuccess for an
 *     // account of dc itself, or 401 SESSION_PASSWORD_NEEDED with a 2FA password); on DC 4, after GramJS's
 *     // _switchDC, auth.importLoginToken(token) logs the new key in there
 *     dc.setLoginTokenTtl(1_000);                  // short-lived tokens (default 30 s; also an option of startLoopbackDc)
 *
 * ## What it answers
 *
 * The key exchange (see key-exchange.ts); `invokeWithLayer`/`initConnection` wrapping (any depth); `help.getConfig`;
 * `users.getUsers` (self only); `updates.getState`; `auth.sendCode`, `auth.signIn`, `account.getPassword`,
 * `auth.checkPassword` (real SRP, see srp.ts), `auth.logOut` (401 AUTH_KEY_UNREGISTERED for a key already logged
 * out); `account.getAuthorizations`, `account.resetAuthorization`, `auth.resetAuthorizations` (with the 24 h rule)
 * and `account.updatePasswordSettings` (see account-security.ts); `auth.exportLoginToken`, `auth.importLoginToken`
 * (errors AUTH_TOKEN_INVALID, AUTH_TOKEN_EXPIRED; no updateLoginToken is pushed: clients poll); pings (`ping`, `ping_delay_disconnect`, whose
 * delay it honours by closing the link); acks. Every other method: 401 AUTH_KEY_UNREGISTERED on a key not logged
 * in, else 400 METHOD_INVALID. Protocol behaviour a client sees from Telegram: bad_server_salt on a wrong salt
 * (GramJS starts every connection with salt 0, so every connect costs one extra round trip, as with Telegram),
 * new_session_created for a new session id, msgs_ack for content messages, gzip_packed for results over 128
 * bytes (help.Config), -404 for an auth key id the server does not know (GramJS 2.26.22 then only stops reading:
 * the pending connect() never settles), and 406 AUTH_KEY_DUPLICATED, from then on, for a logged-in key that sends
 * on a second TCP connection while the first is still open.
 *
 * `createClient` of a linked DC routes a session string by its dc id, so a session that migrated to DC 4 is dialled
 * there (the process-level `loopbackClientFactory(host)` and lib/telegram/test-dc.ts know one address only).
 *
 * The account's other devices and its password (account-security.ts):
 *
 *     const hash = dc.addAuthorization(phone, { deviceModel: "Pixel 8", country: "Kazakhstan" }); // a new login
 *     dc.removeAuthorization(phone, hash);        // it logs itself out
 *     dc.authorizationsOf(phone);                 // what the DC holds: issued keys and added devices
 *     dc.setKeyCreatedAt({ sessionString }, new Date(Date.now() - 25 * 3600_000)); // old enough to end others
 *     dc.passwordState(phone);                    // { hasPassword, hint } as updatePasswordSettings left it
 *
 * Also: `issueSession(account)` (another logged-in key, a second device), `keyState(sessionString)`,
 * `clearScripts(target?)`, `stats()` (connections, answers, protocol paths taken), and `loopbackClientFactory(host)`
 * for a process that only knows the DC's address.
 *
 * ## Scripts
 *
 * `dc.script(target, rule)` with target a phone, a user id or "*" (every connection, also before any login):
 * `rule.method` is GramJS's class name of the innermost request ("users.GetUsers", "help.GetConfig" (the one
 * `connect()` sends), "auth.SendCode", "ReqPqMulti" (first step of a new key), "PingDelayDisconnect"); omitted, it
 * matches everything. The rule waits `delayMs`, then drops the connection (`drop`), or never answers (`silent`), or
 * answers `error`, or answers normally. `times` limits how often it applies. The account's rules are tried before
 * "*" rules, each in the order added.
 */
import { createHash, randomBytes, randomInt } from "node:crypto";
import { createServer, type Server, type Socket } from "node:net";
import { Api, TelegramClient } from "telegram";
import type { TelegramClientParams } from "telegram/client/telegramBaseClient";
import { AuthKey } from "telegram/crypto/AuthKey";
import { BinaryReader } from "telegram/extensions";
import { Logger, LogLevel } from "telegram/extensions/Logger";
import { returnBigInt } from "telegram/Helpers";
import { StringSession } from "telegram/sessions";
import { AccountSecurity, type AuthorizationView, type DeviceSpec } from "./account-security";
import { findInitConnection, InitConnectionLog, type InitConnectionRecord } from "./init-connections";
import { SpamBotDialog } from "./spambot-dialog";
import { KeyExchange } from "./key-exchange";
import { TELEGRAM_PRIME_BYTES } from "./math";
import { srpChallenge, srpVerify, type PasswordRecord, type SrpChallenge } from "./srp";
import {
  FullFrameReader,
  ServerMsgIds,
  TRANSPORT_ERROR_AUTH_KEY_NOT_FOUND,
  authKeyId,
  decodePlainMessage,
  decryptClientMessage,
  encodeContainer,
  encodeFullFrame,
  encodePlainMessage,
  encodeRpcResult,
  encryptServerMessage,
  isGzipPackedResult,
  transportError,
  unpackClientMessage,
  type InnerMessage,
} from "./wire";

export interface LoopbackDcOptions {
  /** A loopback address to listen on (port 80); default: a free random one in 127.100.0.0–127.199.255.255. */
  readonly host?: string;
  /** The DC id written into sessions and the config; default 2. */
  readonly dcId?: number;
  /** How long a QR login token lives (auth.exportLoginToken); default 30 s, as Telegram's. */
  readonly loginTokenTtlMs?: number;
}

export interface AccountSpec {
  readonly phone: string;
  readonly userId: number | bigint;
  readonly firstName: string;
  readonly lastName?: string;
  readonly username?: string;
  /** The 2FA password; with one, auth.signIn answers SESSION_PASSWORD_NEEDED. */
  readonly password?: string;
  readonly passwordHint?: string;
  /** The login code "Telegram sends"; default: 5 random digits per auth.sendCode. */
  readonly code?: string;
  /** The self user comes without its phone number (as Telegram may send it); only a QR login can reach it. */
  readonly phoneHidden?: boolean;
}

/** A phone (any formatting), a user id, or "*" for every connection. */
export type AccountRef = string | number | bigint;

export interface ScriptRule {
  /** GramJS class name of the innermost request, e.g. "users.GetUsers"; omitted: every request. */
  readonly method?: string;
  readonly delayMs?: number;
  readonly error?: { readonly code: number; readonly message: string };
  /** Read the request, never answer it. */
  readonly silent?: boolean;
  /** Close the TCP connection instead of answering. */
  readonly drop?: boolean;
  /** How many requests the rule applies to; default: all. */
  readonly times?: number;
}

/** The userbot layer's client factory seam (lib/telegram `CreateClient`). */
export type LoopbackCreateClient = (
  session: StringSession,
  apiId: number,
  apiHash: string,
  params: TelegramClientParams,
) => TelegramClient;

export interface LoopbackDcStats {
  readonly connectionsAccepted: number;
  readonly connectionsOpen: number;
  readonly requestsAnswered: number;
  /** Protocol paths the clients went through: bad_server_salt sent, new_session_created sent, gzip_packed results. */
  readonly badServerSalts: number;
  readonly newSessions: number;
  readonly gzipPacked: number;
}

export async function startLoopbackDc(options: LoopbackDcOptions = {}): Promise<LoopbackDc> {
  const dc = new LoopbackDc(options.dcId ?? 2);
  if (options.loginTokenTtlMs !== undefined) dc.setLoginTokenTtl(options.loginTokenTtlMs);
  await dc.listen(options.host);
  return dc;
}

interface Account {
  readonly spec: AccountSpec;
  readonly phone: string;
  readonly userId: bigint;
  readonly accessHash: bigint;
  readonly rules: MutableRule[];
  password?: Promise<PasswordRecord>;
  /** The serialized self User, cached: getMe is the benchmark's hot path and the account never changes. */
  userBytes?: Buffer;
}

interface KeyRecord {
  readonly id: string;
  readonly key: Buffer;
  readonly keyIdBytes: Buffer;
  salt: bigint;
  /** The account this key is logged in as. */
  account?: Account;
  /** Signed in with the right code, waiting for the 2FA password. */
  passwordPending?: Account;
  srp?: SrpChallenge;
  duplicated: boolean;
  readonly sessions: Set<bigint>;
  readonly connections: Set<PeerConnection>;
  /** The most links that ever used this key at the same moment. */
  maxOpenConnections: number;
}

/** One QR login token, as auth.exportLoginToken issued it. */
interface LoginTokenRecord {
  readonly token: Buffer;
  /** The DC (id) and the key that exported it: its next exportLoginToken learns about the scan. */
  readonly dcId: number;
  readonly keyId: string;
  readonly expiresAtMs: number;
  /** Scanned by the account owner's app: who, and the DC the account lives on. */
  accepted?: { readonly account: Account; readonly home: LoopbackDc };
  /** Already turned into a login (by exportLoginToken or importLoginToken): no second one. */
  used: boolean;
}

/** The QR login tokens, shared by linked DCs (a token exported on one is imported on another). */
class LoginTokens {
  ttlMs = 30_000;
  readonly byToken = new Map<string, LoginTokenRecord>();
  /** The current token of each exporting key, by `<dcId>:<keyId>`. */
  readonly byKey = new Map<string, LoginTokenRecord>();
}

interface MutableRule {
  readonly rule: ScriptRule;
  remaining: number;
}

interface SentCode {
  readonly code: string;
  readonly hash: string;
}

class RpcFailure extends Error {
  constructor(
    readonly code: number,
    readonly errorMessage: string,
  ) {
    super(`${code}: ${errorMessage}`);
  }
}

/** What `execute` produces: an rpc_result body, or a bare message (pong). */
type Answer = { readonly rpc: Buffer } | { readonly bare: Buffer };

const WRAPPERS = new Set([
  "InvokeWithLayer",
  "InitConnection",
  "InvokeWithoutUpdates",
  "InvokeAfterMsg",
  "InvokeAfterMsgs",
  "InvokeWithTakeout",
  "InvokeWithMessagesRange",
]);

/**
 * The client factory for a DC at `host`, usable without the LoopbackDc object (e.g. in a child process that only
 * got the address): points the session's DC address there (GramJS dials port 80 whatever the session says) and
 * forces `useWSS` off so it dials 80, not 443. Logging is off unless `params` brings a `baseLogger`.
 */
export function loopbackClientFactory(host: string, dcId = 2): LoopbackCreateClient {
  return (session, apiId, apiHash, params) => {
    session.setDC(dcId, host, 80);
    return new TelegramClient(session, apiId, apiHash, {
      baseLogger: new Logger(LogLevel.NONE),
      ...params,
      useWSS: false,
    });
  };
}

export class LoopbackDc {
  readonly port = 80;
  private hostAddress = "";
  private server: Server | undefined;
  private readonly accounts = new Map<string, Account>();
  private readonly keys = new Map<string, KeyRecord>();
  private readonly globalRules: MutableRule[] = [];
  private readonly codes = new Map<string, SentCode>();
  private readonly codeLog = new Map<string, string[]>();
  private readonly connections = new Set<PeerConnection>();
  private readonly timers = new Set<NodeJS.Timeout>();
  private readonly msgIds = new ServerMsgIds();
  private configBytes: Buffer | undefined;
  private loginTokens = new LoginTokens();
  /** The other DCs this one knows (help.getConfig lists them; clients on their sessions are routed there). */
  private readonly linked = new Set<LoopbackDc>();
  /** Authorizations, their 24 h rule and the 2FA password as it changes (account-security.ts). */
  private readonly security = new AccountSecurity<Account, KeyRecord>((account) =>
    [...this.keys.values()].filter((k) => k.account === account),
  );
  private readonly initLog = new InitConnectionLog();
  /** @SpamBot's dialog with each account: script its answer with `spamBot.script(phone, text)`. */
  readonly spamBot = new SpamBotDialog();
  private accepted = 0;
  private answered = 0;
  private badServerSalts = 0;
  private newSessions = 0;
  private gzipPacked = 0;

  constructor(readonly dcId: number) {}

  get host(): string {
    return this.hostAddress;
  }

  /** @internal use startLoopbackDc */
  async listen(host?: string): Promise<void> {
    for (let attempt = 0; ; attempt++) {
      const candidate = host ?? `127.${randomInt(100, 200)}.${randomInt(0, 256)}.${randomInt(1, 255)}`;
      const server = createServer((socket) => this.accept(socket));
      try {
        await new Promise<void>((resolve, reject) => {
          server.once("error", reject);
          server.listen(this.port, candidate, () => resolve());
        });
        this.server = server;
        this.hostAddress = candidate;
        return;
      } catch (err) {
        const code = (err as NodeJS.ErrnoException).code;
        if (code === "EACCES") {
          throw new Error(
            `The loopback DC must listen on port 80 (GramJS ignores a session's port) and was refused: run as root, ` +
              `grant CAP_NET_BIND_SERVICE, or sysctl net.ipv4.ip_unprivileged_port_start=80`,
          );
        }
        if (code !== "EADDRINUSE" || host !== undefined || attempt >= 20) throw err;
      }
    }
  }

  /** Creates an account with a fresh auth key already logged in as it; returns that key as a StringSession. */
  addAccount(spec: AccountSpec): { sessionString: string; authKeyId: string } {
    const phone = normalizePhone(spec.phone);
    if (this.accounts.has(phone)) throw new Error(`account ${spec.phone} exists`);
    const account: Account = {
      spec,
      phone,
      userId: BigInt(spec.userId),
      accessHash: randomBytes(8).readBigInt64LE(0),
      rules: [],
    };
    this.accounts.set(phone, account);
    return this.issueSession(spec.phone);
  }

  /** Another auth key logged in as an existing account (a second device). */
  issueSession(account: AccountRef): { sessionString: string; authKeyId: string } {
    const target = this.account(account);
    const key = this.registerKey(randomBytes(256), randomBytes(8).readBigInt64LE(0));
    key.account = target;
    return { sessionString: this.sessionStringFor(key.key), authKeyId: key.id };
  }

  script(target: AccountRef | "*", rule: ScriptRule): void {
    const entry = { rule, remaining: rule.times ?? Infinity };
    if (target === "*") this.globalRules.push(entry);
    else this.account(target).rules.push(entry);
  }

  clearScripts(target?: AccountRef | "*"): void {
    if (target === undefined || target === "*") this.globalRules.length = 0;
    if (target === undefined) for (const a of this.accounts.values()) a.rules.length = 0;
    else if (target !== "*") this.account(target).rules.length = 0;
  }

  /**
   * Makes the peer forget keys: of an account (every key logged in as it) or of one session string.
   * "unregister" (default) keeps the key known but logged out, as after a revoked session or a password change:
   * methods answer 401 AUTH_KEY_UNREGISTERED. "erase" drops the key entirely: the transport answers -404.
   * Returns how many keys were affected.
   */
  forget(
    target: AccountRef | { readonly sessionString: string },
    how: "unregister" | "erase" = "unregister",
  ): number {
    let affected: KeyRecord[];
    if (typeof target === "object") {
      const key = this.keys.get(keyIdOfSession(target.sessionString));
      affected = key ? [key] : [];
    } else {
      const account = this.account(target);
      affected = [...this.keys.values()].filter(
        (k) => k.account === account || k.passwordPending === account,
      );
    }
    for (const key of affected) {
      this.security.logOut(key);
      if (how === "erase") this.keys.delete(key.id);
    }
    return affected.length;
  }

  /** The codes auth.sendCode "sent" to this phone, oldest first. */
  sentCodes(phone: string): readonly string[] {
    return this.codeLog.get(normalizePhone(phone)) ?? [];
  }

  /**
   * Whether the peer holds `sessionString`'s key, as whom it is logged in, how many links use it now, and the most
   * that ever used it at the same moment (a link counts from its first encrypted message until its FIN or close).
   */
  keyState(sessionString: string): {
    known: boolean;
    loggedInAs?: bigint;
    duplicated: boolean;
    openConnections: number;
    maxOpenConnections: number;
  } {
    const key = this.keys.get(keyIdOfSession(sessionString));
    if (!key) return { known: false, duplicated: false, openConnections: 0, maxOpenConnections: 0 };
    return {
      known: true,
      loggedInAs: key.account?.userId,
      duplicated: key.duplicated,
      openConnections: key.connections.size,
      maxOpenConnections: key.maxOpenConnections,
    };
  }

  /**
   * Another device logged into the account (an official app by default), beside the keys the DC issued: it shows
   * in account.getAuthorizations and can be ended by the account's keys. Returns its authorization hash.
   */
  addAuthorization(account: AccountRef, device: DeviceSpec = {}): bigint {
    return this.security.addDevice(this.account(account), device);
  }

  /** The device logs itself out (as if its owner ended it there). True when it was there. */
  removeAuthorization(account: AccountRef, hash: bigint): boolean {
    return this.security.removeDevice(this.account(account), hash);
  }

  /** The account's authorizations as the DC holds them (its issued keys first, none flagged current). */
  authorizationsOf(account: AccountRef): AuthorizationView[] {
    return this.security.authorizations(this.account(account));
  }

  /** Scripts a key's age: Telegram's 24 h rule for ending other authorizations counts from this date. */
  setKeyCreatedAt(target: { readonly sessionString: string }, at: Date): void {
    this.security.setKeyCreatedAt(this.keyOf(target.sessionString), at);
  }

  /** What a key's own authorization says of its device (default: a Session Keeper userbot on Linux). */
  describeKey(target: { readonly sessionString: string }, device: Partial<DeviceSpec>): void {
    this.security.describeKey(this.keyOf(target.sessionString), device);
  }

  /** Whether the account has a 2FA password now, and its hint (both change with account.updatePasswordSettings). */
  passwordState(account: AccountRef): { readonly hasPassword: boolean; readonly hint?: string } {
    const found = this.account(account);
    const hint = this.security.hintOf(found);
    return { hasPassword: this.security.hasPassword(found), ...(hint !== undefined ? { hint } : {}) };
  }

  /**
   * The `initConnection` parameters (API id, device model, system and app version, language codes) of every
   * connection that sent one, oldest first; only those of `account`'s keys when given (see init-connections.ts).
   */
  initConnections(account?: string): readonly InitConnectionRecord[] {
    return this.initLog.list(account);
  }

  stats(): LoopbackDcStats {
    return {
      connectionsAccepted: this.accepted,
      connectionsOpen: this.connections.size,
      requestsAnswered: this.answered,
      badServerSalts: this.badServerSalts,
      newSessions: this.newSessions,
      gzipPacked: this.gzipPacked,
    };
  }

  /**
   * A real TelegramClient whose connection goes to this DC (see `loopbackClientFactory`); lib/telegram's seam. A
   * session of a linked DC (its dc id in the session string) goes to that DC instead, as GramJS would dial it.
   */
  readonly createClient: LoopbackCreateClient = (session, apiId, apiHash, params) => {
    const target = [...this.linked].find((other) => other.dcId === session.dcId) ?? this;
    return loopbackClientFactory(target.hostAddress, target.dcId)(session, apiId, apiHash, params);
  };

  /**
   * Makes two DCs one Telegram: each lists the other in help.getConfig (so GramJS's `_switchDC` finds it), they
   * share the QR login tokens (exported on one, imported on the other), a scan on either finds accounts of both,
   * and each one's `createClient` routes a session of the other there. The two must have different dc ids.
   */
  linkDc(other: LoopbackDc): void {
    if (other === this || other.dcId === this.dcId) throw new Error("link two DCs with different ids");
    for (const dc of [this, other, ...this.linked, ...other.linked]) dc.loginTokens = this.loginTokens;
    this.linked.add(other);
    other.linked.add(this);
    this.configBytes = undefined;
    other.configBytes = undefined;
  }

  /** How long the QR login tokens exported from now on live (shared with linked DCs). */
  setLoginTokenTtl(ms: number): void {
    this.loginTokens.ttlMs = ms;
  }

  /**
   * The account owner's app scans a QR code (`tg://login?token=…`, or the token's bytes) and accepts it
   * (auth.acceptLoginToken from a logged-in device): the exporting key's next auth.exportLoginToken then logs
   * in (auth.loginTokenSuccess, or 401 SESSION_PASSWORD_NEEDED with a 2FA password), or, for an account that
   * lives on another linked DC, answers auth.loginTokenMigrateTo that DC. Throws Telegram's error names for a
   * token that is unknown (AUTH_TOKEN_INVALID), expired (AUTH_TOKEN_EXPIRED) or already accepted
   * (AUTH_TOKEN_ALREADY_ACCEPTED). The account may live on this DC or on a linked one.
   */
  scanLoginToken(tokenOrUrl: string | Buffer, account: AccountRef): { dcId: number; userId: bigint } {
    const token = typeof tokenOrUrl === "string" ? tokenFromUrl(tokenOrUrl) : tokenOrUrl;
    const record = this.loginTokens.byToken.get(token.toString("hex"));
    if (!record) throw new Error("AUTH_TOKEN_INVALID");
    if (record.accepted || record.used) throw new Error("AUTH_TOKEN_ALREADY_ACCEPTED");
    if (Date.now() >= record.expiresAtMs) throw new Error("AUTH_TOKEN_EXPIRED");
    for (const home of [this, ...this.linked]) {
      const found = home.findAccount(account);
      if (!found) continue;
      record.accepted = { account: found, home };
      return { dcId: home.dcId, userId: found.userId };
    }
    throw new Error(`no account ${String(account)} on the loopback DC or the DCs linked to it`);
  }

  /** The login tokens exported and not yet used, newest last (bytes), e.g. to check a QR code's URL. */
  loginTokensIssued(): readonly Buffer[] {
    return [...this.loginTokens.byToken.values()].map((r) => r.token);
  }

  /** Closes every connection, cancels every pending delay, and stops listening. */
  async stop(): Promise<void> {
    for (const t of this.timers) clearTimeout(t);
    this.timers.clear();
    for (const c of this.connections) c.close();
    this.connections.clear();
    const server = this.server;
    this.server = undefined;
    if (server) await new Promise<void>((resolve) => server.close(() => resolve()));
  }

  // ---------------------------------------------------------------------------------------------------------------

  private account(ref: AccountRef): Account {
    const found = this.findAccount(ref);
    if (!found) throw new Error(`no account ${String(ref)} on the loopback DC`);
    return found;
  }

  private findAccount(ref: AccountRef): Account | undefined {
    return typeof ref === "string"
      ? this.accounts.get(normalizePhone(ref))
      : [...this.accounts.values()].find((a) => a.userId === BigInt(ref));
  }

  private keyOf(sessionString: string): KeyRecord {
    const key = this.keys.get(keyIdOfSession(sessionString));
    if (!key) throw new Error("the loopback DC does not know this session's key");
    return key;
  }

  private registerKey(key: Buffer, salt: bigint): KeyRecord {
    const id = authKeyId(key);
    const record: KeyRecord = {
      id,
      key,
      keyIdBytes: Buffer.from(id, "hex"),
      salt,
      duplicated: false,
      sessions: new Set(),
      connections: new Set(),
      maxOpenConnections: 0,
    };
    this.keys.set(id, record);
    this.security.keyIssued(record);
    return record;
  }

  private sessionStringFor(key: Buffer): string {
    const session = new StringSession("");
    session.setDC(this.dcId, this.hostAddress, this.port);
    session.setAuthKey(new AuthKey(key, sha1(key)));
    return session.save();
  }

  private accept(socket: Socket): void {
    this.accepted += 1;
    socket.setNoDelay(true);
    const connection = new PeerConnection(socket, () => {
      this.connections.delete(connection);
      connection.key?.connections.delete(connection);
    });
    this.connections.add(connection);
    socket.on("data", (chunk: Buffer) => {
      let packets: Buffer[];
      try {
        packets = connection.frames.push(chunk);
      } catch {
        connection.close();
        return;
      }
      for (const packet of packets) connection.enqueue(() => this.onPacket(connection, packet));
    });
  }

  private async onPacket(conn: PeerConnection, payload: Buffer): Promise<void> {
    if (payload.length < 8) return;
    if (payload.subarray(0, 8).equals(Buffer.alloc(8))) return this.onPlain(conn, payload);
    const key = this.keys.get(payload.subarray(0, 8).toString("hex"));
    if (!key) return conn.send(transportError(TRANSPORT_ERROR_AUTH_KEY_NOT_FOUND));
    const envelope = decryptClientMessage(key.key, payload);
    if (!envelope) return conn.send(transportError(TRANSPORT_ERROR_AUTH_KEY_NOT_FOUND));
    if (conn.key !== key) {
      conn.key = key;
      const others = [...key.connections].filter((c) => c !== conn && !c.closed);
      // Telegram: "an authorized session is sending requests in parallel from two separate TCP connections".
      if (key.account && others.length > 0) key.duplicated = true;
      key.connections.add(conn);
      key.maxOpenConnections = Math.max(key.maxOpenConnections, key.connections.size);
    }
    const out: InnerMessage[] = [];
    if (envelope.salt !== key.salt) {
      this.badServerSalts += 1;
      out.push(
        conn.serviceMessage(
          this.msgIds.next(false),
          new Api.BadServerSalt({
            badMsgId: returnBigInt(envelope.msgId),
            badMsgSeqno: envelope.seqNo,
            errorCode: 48,
            newServerSalt: returnBigInt(key.salt),
          }).getBytes(),
        ),
      );
      return this.sendEncrypted(conn, key, envelope.sessionId, out);
    }
    if (conn.sessionId !== envelope.sessionId) {
      conn.sessionId = envelope.sessionId;
      conn.seq = 0;
      if (!key.sessions.has(envelope.sessionId)) {
        key.sessions.add(envelope.sessionId);
        this.newSessions += 1;
        out.push(
          conn.contentMessage(
            this.msgIds.next(false),
            new Api.NewSessionCreated({
              firstMsgId: returnBigInt(envelope.msgId),
              uniqueId: returnBigInt(randomBytes(8).readBigInt64LE(0)),
              serverSalt: returnBigInt(key.salt),
            }).getBytes(),
          ),
        );
      }
    }
    const requests: { msgId: bigint; request: unknown }[] = [];
    const toAck: bigint[] = [];
    for (const inner of unpackClientMessage(envelope.msgId, envelope.seqNo, envelope.body)) {
      if (inner.seqNo % 2 === 1) toAck.push(inner.msgId);
      let request: unknown;
      try {
        request = new BinaryReader(inner.body).tgReadObject();
      } catch {
        continue; // A constructor this GramJS does not know: Telegram ignores what it cannot parse, so do we.
      }
      if (request instanceof Api.MsgsAck) continue;
      requests.push({ msgId: inner.msgId, request });
    }
    if (toAck.length > 0) {
      out.push(
        conn.serviceMessage(
          this.msgIds.next(false),
          new Api.MsgsAck({ msgIds: toAck.map((id) => returnBigInt(id)) }).getBytes(),
        ),
      );
    }
    this.sendEncrypted(conn, key, envelope.sessionId, out);
    for (const { msgId, request } of requests) {
      void this.respond(conn, key, envelope.sessionId, msgId, request).catch(() => conn.close());
    }
  }

  private async onPlain(conn: PeerConnection, payload: Buffer): Promise<void> {
    const { body } = decodePlainMessage(payload);
    const request = new BinaryReader(body).tgReadObject() as unknown;
    const rule = this.takeRule(undefined, className(request));
    if (await this.applyDelayDropSilent(conn, rule)) return;
    conn.exchange ??= new KeyExchange();
    const { response, done } = await conn.exchange.answer(request);
    if (done) this.registerKey(done.key, done.salt);
    conn.send(encodePlainMessage(this.msgIds.next(true), response.getBytes()));
  }

  /** Runs one request through the scripts and the method table and sends its answer. */
  private async respond(
    conn: PeerConnection,
    key: KeyRecord,
    sessionId: bigint,
    msgId: bigint,
    request: unknown,
  ): Promise<void> {
    const inner = innermost(request);
    const account = key.account ?? key.passwordPending ?? this.accountByPhoneIn(inner);
    const init = findInitConnection(request);
    if (init) this.initLog.record(init, key.id, key.account?.phone ?? account?.phone);
    const rule = this.takeRule(account, className(inner));
    if (await this.applyDelayDropSilent(conn, rule)) return;
    let answer: Answer;
    try {
      if (rule?.error) throw new RpcFailure(rule.error.code, rule.error.message);
      if (key.duplicated) throw new RpcFailure(406, "AUTH_KEY_DUPLICATED");
      answer = await this.execute(conn, key, msgId, inner);
    } catch (err) {
      if (!(err instanceof RpcFailure)) throw err;
      answer = { rpc: new Api.RpcError({ errorCode: err.code, errorMessage: err.errorMessage }).getBytes() };
    }
    if (conn.closed) return;
    this.answered += 1;
    const body = "rpc" in answer ? encodeRpcResult(msgId, answer.rpc) : answer.bare;
    if (isGzipPackedResult(body)) this.gzipPacked += 1;
    this.sendEncrypted(conn, key, sessionId, [conn.contentMessage(this.msgIds.next(true), body)]);
  }

  /** True when the rule consumed the request (dropped or silenced it, or the link closed while waiting). */
  private async applyDelayDropSilent(conn: PeerConnection, rule: ScriptRule | undefined): Promise<boolean> {
    if (rule?.delayMs) await this.sleep(rule.delayMs);
    if (conn.closed) return true;
    if (rule?.drop) {
      conn.close();
      return true;
    }
    return rule?.silent === true;
  }

  private takeRule(account: Account | undefined, method: string): ScriptRule | undefined {
    for (const list of [account?.rules ?? [], this.globalRules]) {
      for (const entry of list) {
        if (entry.remaining <= 0) continue;
        if (entry.rule.method !== undefined && entry.rule.method !== method) continue;
        entry.remaining -= 1;
        return entry.rule;
      }
    }
    return undefined;
  }

  private sleep(ms: number): Promise<void> {
    return new Promise((resolve) => {
      const timer = setTimeout(() => {
        this.timers.delete(timer);
        resolve();
      }, ms);
      this.timers.add(timer);
    });
  }

  private sendEncrypted(
    conn: PeerConnection,
    key: KeyRecord,
    sessionId: bigint,
    messages: InnerMessage[],
  ): void {
    const [first] = messages;
    if (!first || conn.closed) return;
    const single = messages.length === 1;
    const envelope = {
      salt: key.salt,
      sessionId,
      msgId: single ? first.msgId : this.msgIds.next(false),
      seqNo: single ? first.seqNo : conn.serviceSeq(),
      body: single ? first.body : encodeContainer(messages),
    };
    conn.send(encryptServerMessage(key.key, key.keyIdBytes, envelope));
  }

  private accountByPhoneIn(request: unknown): Account | undefined {
    const phone = (request as { phoneNumber?: unknown }).phoneNumber;
    return typeof phone === "string" ? this.accounts.get(normalizePhone(phone)) : undefined;
  }

  // ---------------------------------------------------------------------------------------------------------------
  // The methods.

  private async execute(
    conn: PeerConnection,
    key: KeyRecord,
    msgId: bigint,
    request: unknown,
  ): Promise<Answer> {
    if (request instanceof Api.Ping) {
      return { bare: new Api.Pong({ msgId: returnBigInt(msgId), pingId: request.pingId }).getBytes() };
    }
    if (request instanceof Api.PingDelayDisconnect) {
      conn.disconnectAfter(request.disconnectDelay * 1000);
      return { bare: new Api.Pong({ msgId: returnBigInt(msgId), pingId: request.pingId }).getBytes() };
    }
    if (request instanceof Api.help.GetConfig) return { rpc: this.config() };
    if (request instanceof Api.auth.SendCode) return { rpc: this.sendCode(request).getBytes() };
    if (request instanceof Api.auth.SignIn) return { rpc: this.signIn(key, request).getBytes() };
    if (request instanceof Api.account.GetPassword) return { rpc: (await this.getPassword(key)).getBytes() };
    if (request instanceof Api.auth.CheckPassword)
      return { rpc: (await this.checkPassword(key, request)).getBytes() };
    if (request instanceof Api.auth.ExportLoginToken)
      return { rpc: this.exportLoginToken(key, request).getBytes() };
    if (request instanceof Api.auth.ImportLoginToken)
      return { rpc: this.importLoginToken(key, request).getBytes() };
    if (request instanceof Api.auth.LogOut && !key.account) {
      // A key logged out before (or whose authorization was ended) is refused, as Telegram refuses it.
      if (this.security.wasLoggedOut(key)) throw new RpcFailure(401, "AUTH_KEY_UNREGISTERED");
      // A key that was never logged in (a QR login's, before the scan): its login token dies with it.
      this.dropLoginToken(key);
      return { rpc: new Api.auth.LoggedOut({}).getBytes() };
    }
    const account = key.account;
    if (!account) throw new RpcFailure(401, "AUTH_KEY_UNREGISTERED");
    if (request instanceof Api.users.GetUsers) return { rpc: this.getUsers(account, request) };
    if (request instanceof Api.updates.GetState) {
      const date = Math.floor(Date.now() / 1000);
      return { rpc: new Api.updates.State({ pts: 1, qts: 0, date, seq: 0, unreadCount: 0 }).getBytes() };
    }
    if (request instanceof Api.auth.LogOut) {
      this.security.logOut(key);
      return { rpc: new Api.auth.LoggedOut({}).getBytes() };
    }
    const dialog = this.spamBot.execute(account, request);
    if (dialog) return dialog;
    const secured = await this.security.execute(key, account, request);
    if (secured && "error" in secured) throw new RpcFailure(secured.error.code, secured.error.message);
    if (secured) return secured;
    throw new RpcFailure(400, "METHOD_INVALID");
  }

  private config(): Buffer {
    // Serialized once: help.getConfig is part of every connect, and the benchmark connects thousands of times.
    this.configBytes ??= new Api.Config({
      date: Math.floor(Date.now() / 1000),
      expires: Math.floor(Date.now() / 1000) + 3600,
      testMode: false,
      thisDc: this.dcId,
      dcOptions: [this, ...this.linked].map(
        (dc) => new Api.DcOption({ id: dc.dcId, ipAddress: dc.hostAddress, port: dc.port }),
      ),
      dcTxtDomainName: "loopback.invalid",
      chatSizeMax: 200,
      megagroupSizeMax: 200000,
      forwardedCountMax: 100,
      onlineUpdatePeriodMs: 210000,
      offlineBlurTimeoutMs: 5000,
      offlineIdleTimeoutMs: 30000,
      onlineCloudTimeoutMs: 300000,
      notifyCloudDelayMs: 30000,
      notifyDefaultDelayMs: 1500,
      pushChatPeriodMs: 60000,
      pushChatLimit: 2,
      editTimeLimit: 172800,
      revokeTimeLimit: 2147483647,
      revokePmTimeLimit: 2147483647,
      ratingEDecay: 2419200,
      stickersRecentLimit: 200,
      channelsReadMediaPeriod: 604800,
      callReceiveTimeoutMs: 20000,
      callRingTimeoutMs: 90000,
      callConnectTimeoutMs: 30000,
      callPacketTimeoutMs: 10000,
      meUrlPrefix: "https://t.me/",
      captionLengthMax: 1024,
      messageLengthMax: 4096,
      webfileDcId: 4,
    }).getBytes();
    return this.configBytes;
  }

  private user(account: Account): Api.User {
    return new Api.User({
      self: true,
      id: returnBigInt(account.userId),
      accessHash: returnBigInt(account.accessHash),
      firstName: account.spec.firstName,
      lastName: account.spec.lastName,
      username: account.spec.username,
      ...(account.spec.phoneHidden ? {} : { phone: account.phone }),
    });
  }

  private getUsers(account: Account, request: Api.users.GetUsers): Buffer {
    const self = request.id.some(
      (id) =>
        id instanceof Api.InputUserSelf ||
        (id instanceof Api.InputUser && id.userId.eq(returnBigInt(account.userId))),
    );
    const users = self ? [(account.userBytes ??= this.user(account).getBytes())] : [];
    const head = Buffer.alloc(8);
    head.writeUInt32LE(0x1cb5c415, 0); // vector
    head.writeInt32LE(users.length, 4);
    return Buffer.concat([head, ...users]);
  }

  private sendCode(request: Api.auth.SendCode): Api.auth.SentCode {
    const account = this.accounts.get(normalizePhone(request.phoneNumber));
    if (!account) throw new RpcFailure(400, "PHONE_NUMBER_INVALID");
    if (!request.apiId || !request.apiHash) throw new RpcFailure(400, "API_ID_INVALID");
    const code = account.spec.code ?? String(randomInt(0, 100000)).padStart(5, "0");
    const hash = randomBytes(9).toString("hex");
    this.codes.set(account.phone, { code, hash });
    const log = this.codeLog.get(account.phone) ?? [];
    log.push(code);
    this.codeLog.set(account.phone, log);
    return new Api.auth.SentCode({
      type: new Api.auth.SentCodeTypeApp({ length: code.length }),
      phoneCodeHash: hash,
    });
  }

  private signIn(key: KeyRecord, request: Api.auth.SignIn): Api.auth.Authorization {
    const account = this.accounts.get(normalizePhone(request.phoneNumber));
    if (!account) throw new RpcFailure(400, "PHONE_NUMBER_INVALID");
    const sent = this.codes.get(account.phone);
    if (!request.phoneCodeHash) throw new RpcFailure(400, "PHONE_CODE_HASH_EMPTY");
    if (!sent || sent.hash !== request.phoneCodeHash) throw new RpcFailure(400, "PHONE_CODE_EXPIRED");
    if (!request.phoneCode) throw new RpcFailure(400, "PHONE_CODE_EMPTY");
    if (request.phoneCode !== sent.code) throw new RpcFailure(400, "PHONE_CODE_INVALID");
    this.codes.delete(account.phone);
    if (this.security.hasPassword(account)) {
      key.passwordPending = account;
      throw new RpcFailure(401, "SESSION_PASSWORD_NEEDED");
    }
    key.account = account;
    return new Api.auth.Authorization({ user: this.user(account) });
  }

  /** Forgets the login token `key` exported: scanning it is then refused as invalid. */
  private dropLoginToken(key: KeyRecord): void {
    const slot = `${this.dcId}:${key.id}`;
    const current = this.loginTokens.byKey.get(slot);
    if (!current) return;
    this.loginTokens.byKey.delete(slot);
    this.loginTokens.byToken.delete(current.token.toString("hex"));
  }

  private exportLoginToken(key: KeyRecord, request: Api.auth.ExportLoginToken): Api.auth.TypeLoginToken {
    if (!request.apiId || !request.apiHash) throw new RpcFailure(400, "API_ID_INVALID");
    const tokens = this.loginTokens;
    const slot = `${this.dcId}:${key.id}`;
    const current = tokens.byKey.get(slot);
    if (current?.accepted && !current.used) {
      if (current.accepted.home !== this) {
        return new Api.auth.LoginTokenMigrateTo({ dcId: current.accepted.home.dcId, token: current.token });
      }
      return this.loginWithToken(key, current);
    }
    if (current && !current.used && Date.now() < current.expiresAtMs) return loginTokenAnswer(current);
    if (current) tokens.byToken.delete(current.token.toString("hex"));
    const record: LoginTokenRecord = {
      token: randomBytes(32),
      dcId: this.dcId,
      keyId: key.id,
      expiresAtMs: Date.now() + tokens.ttlMs,
      used: false,
    };
    tokens.byKey.set(slot, record);
    tokens.byToken.set(record.token.toString("hex"), record);
    return loginTokenAnswer(record);
  }

  private importLoginToken(key: KeyRecord, request: Api.auth.ImportLoginToken): Api.auth.TypeLoginToken {
    const record = this.loginTokens.byToken.get(Buffer.from(request.token).toString("hex"));
    if (!record || record.used) throw new RpcFailure(400, "AUTH_TOKEN_INVALID");
    if (!record.accepted) {
      if (Date.now() >= record.expiresAtMs) throw new RpcFailure(400, "AUTH_TOKEN_EXPIRED");
      return loginTokenAnswer(record);
    }
    if (record.accepted.home !== this) {
      return new Api.auth.LoginTokenMigrateTo({ dcId: record.accepted.home.dcId, token: record.token });
    }
    return this.loginWithToken(key, record);
  }

  /** A scanned token turns `key` into a login of its account (or a pending 2FA login). */
  private loginWithToken(key: KeyRecord, record: LoginTokenRecord): Api.auth.LoginTokenSuccess {
    const account = record.accepted!.account;
    record.used = true;
    this.loginTokens.byToken.delete(record.token.toString("hex"));
    this.loginTokens.byKey.delete(`${record.dcId}:${record.keyId}`);
    if (this.security.hasPassword(account)) {
      key.passwordPending = account;
      throw new RpcFailure(401, "SESSION_PASSWORD_NEEDED");
    }
    key.account = account;
    return new Api.auth.LoginTokenSuccess({
      authorization: new Api.auth.Authorization({ user: this.user(account) }),
    });
  }

  private async getPassword(key: KeyRecord): Promise<Api.account.Password> {
    const account = key.passwordPending ?? key.account;
    if (!account) throw new RpcFailure(401, "AUTH_KEY_UNREGISTERED");
    const common = {
      newAlgo: new Api.PasswordKdfAlgoSHA256SHA256PBKDF2HMACSHA512iter100000SHA256ModPow({
        salt1: randomBytes(8),
        salt2: randomBytes(16),
        g: 3,
        p: TELEGRAM_PRIME_BYTES,
      }),
      newSecureAlgo: new Api.SecurePasswordKdfAlgoPBKDF2HMACSHA512iter100000({ salt: randomBytes(8) }),
      secureRandom: randomBytes(256),
    };
    const pending = this.security.passwordOf(account);
    if (!pending) return new Api.account.Password({ ...common, hasPassword: false });
    const record = await pending;
    key.srp = srpChallenge(record);
    return new Api.account.Password({
      ...common,
      hasPassword: true,
      currentAlgo: record.algo,
      srp_B: key.srp.B,
      srpId: returnBigInt(key.srp.srpId),
      hint: this.security.hintOf(account),
    });
  }

  private async checkPassword(
    key: KeyRecord,
    request: Api.auth.CheckPassword,
  ): Promise<Api.auth.Authorization> {
    const account = key.passwordPending;
    const password = account && this.security.passwordOf(account);
    if (!account || !password) throw new RpcFailure(400, "PASSWORD_HASH_INVALID");
    const input = request.password;
    if (!(input instanceof Api.InputCheckPasswordSRP)) throw new RpcFailure(400, "PASSWORD_HASH_INVALID");
    const challenge = key.srp;
    if (!challenge || !input.srpId.eq(returnBigInt(challenge.srpId)))
      throw new RpcFailure(400, "SRP_ID_INVALID");
    if (!srpVerify(await password, challenge, input.A, input.M1)) {
      throw new RpcFailure(400, "PASSWORD_HASH_INVALID");
    }
    key.srp = undefined;
    key.passwordPending = undefined;
    key.account = account;
    return new Api.auth.Authorization({ user: this.user(account) });
  }
}

/** One TCP connection: framing, the key exchange in progress, and the server's per-session counters. */
class PeerConnection {
  readonly frames = new FullFrameReader();
  exchange: KeyExchange | undefined;
  key: KeyRecord | undefined;
  sessionId: bigint | undefined;
  /** Content-related messages sent in the current session; seq_no = 2·seq + 1. */
  seq = 0;
  closed = false;
  private sendCounter = 0;
  private pingTimer: NodeJS.Timeout | undefined;
  private queue: Promise<void> = Promise.resolve();

  constructor(
    private readonly socket: Socket,
    private readonly onClose: () => void,
  ) {
    // A client's FIN counts as gone at once: waiting for "close" could let its next connection on the same key
    // look like a second, parallel one (AUTH_KEY_DUPLICATED) when a test reconnects right after destroy().
    socket.on("end", () => this.close());
    socket.on("close", () => this.close());
    socket.on("error", () => this.close());
  }

  /** Packets of one connection are handled in order (the key exchange depends on it). */
  enqueue(task: () => Promise<void>): void {
    this.queue = this.queue.then(task).catch(() => this.close());
  }

  send(payload: Buffer): void {
    if (this.closed) return;
    this.socket.write(encodeFullFrame(this.sendCounter++, payload));
  }

  contentMessage(msgId: bigint, body: Buffer): InnerMessage {
    const seqNo = this.seq * 2 + 1;
    this.seq += 1;
    return { msgId, seqNo, body };
  }

  serviceMessage(msgId: bigint, body: Buffer): InnerMessage {
    return { msgId, seqNo: this.serviceSeq(), body };
  }

  serviceSeq(): number {
    return this.seq * 2;
  }

  /** ping_delay_disconnect: close the link unless another ping arrives within the delay. */
  disconnectAfter(ms: number): void {
    clearTimeout(this.pingTimer);
    this.pingTimer = setTimeout(() => this.close(), ms);
    // The peer must never be what keeps a test process alive.
    this.pingTimer.unref();
  }

  close(): void {
    if (this.closed) return;
    this.closed = true;
    clearTimeout(this.pingTimer);
    this.socket.destroy();
    this.onClose();
  }
}

function innermost(request: unknown): unknown {
  let current = request;
  while (WRAPPERS.has(className(current)) && (current as { query?: unknown }).query !== undefined) {
    current = (current as { query: unknown }).query;
  }
  return current;
}

function className(value: unknown): string {
  const name = (value as { className?: unknown } | null)?.className;
  return typeof name === "string" ? name : "unknown";
}

function loginTokenAnswer(record: LoginTokenRecord): Api.auth.LoginToken {
  return new Api.auth.LoginToken({ expires: Math.ceil(record.expiresAtMs / 1000), token: record.token });
}

/** The token of a `tg://login?token=<base64url>` URL (or of the base64url text alone). */
function tokenFromUrl(url: string): Buffer {
  const encoded = url.startsWith("tg://login?token=") ? url.slice("tg://login?token=".length) : url;
  return Buffer.from(encoded, "base64url");
}

function normalizePhone(phone: string): string {
  return phone.replace(/\D/g, "");
}

/** The auth key id (hex) of a session string's key, as `InitConnectionRecord.authKeyId` names it. */
export function keyIdOfSession(sessionString: string): string {
  // StringSession keeps the key as the tail of its buffer; reading it back through GramJS avoids a second parser.
  const session = new StringSession(sessionString) as unknown as { _key?: Buffer };
  if (!session._key) throw new Error("session string without an auth key");
  return authKeyId(session._key);
}

function sha1(data: Buffer): Buffer {
  return createHash("sha1").update(data).digest();
}
