/**
 * The session store over DynamoDB. Every write is conditional: on the row's existence, on its status (the legal
 * transitions of `lifecycle.ts`), and on the `version` the caller read (optimistic locking). A write that loses a
 * race fails with a typed error and changes nothing. No method scans the table: lists and the cleanup cut-off are
 * key-condition queries on the `byStatus` index.
 *
 * `updatedAt` moves when something an operator cares about changes (status, account, secret, error); the health
 * check's bookkeeping (`lastCheckedAt`, failure counters, leases) does not move it, so the cleanup cut-off
 * ("error sessions not touched for 30 days") and list ordering stay stable while checks run.
 */
import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
  type AttributeValue,
} from "@aws-sdk/client-dynamodb";
import {
  GetCommand,
  PutCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
  type PutCommandInput,
  type QueryCommandInput,
  type QueryCommandOutput,
  type TransactWriteCommandInput,
  type UpdateCommandInput,
} from "@aws-sdk/lib-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import { FORMAT, formatOf, type EnvelopeCipher } from "../crypto/envelope";
import type { Logger } from "../log";
import { BY_REVOCATION_INDEX, BY_STATUS_INDEX } from "../tables";
import {
  InvalidCursorError,
  LeaseHeldError,
  RevocationPendingError,
  SessionExistsError,
  SessionNotFoundError,
  StaleVersionError,
} from "./errors";
import { IllegalTransitionError, isPausedStatus, transition, type SessionEvent } from "./lifecycle";
import type { Phone } from "./phone";
import {
  isRevocationPending,
  nextRevocation,
  REVOCATION_GIVE_UP_DAYS,
  RevocationSettledError,
  type KeyRevocation,
  type RevocationAttempt,
  type RevocationState,
} from "./revocation";
import {
  joinProxy,
  proxyCredentials,
  proxyView,
  validateProxy,
  type ProxyCredentials,
  type ProxySettings,
} from "./proxy";
import { validateDeviceIdentity } from "./identity";
import {
  DEVICE_IDENTITY_FIELDS,
  type AccountFreeze,
  type AuthorizationsSeen,
  type RestrictionReading,
  type DeviceIdentity,
  type SessionProxyView,
  type Session,
  type SessionFailure,
  type SessionStatus,
  type TelegramAccount,
  type TwoFaSeen,
} from "./session";
import { firstConditionFailed } from "../dynamo";
import {
  addDelta,
  contributionOf,
  counterDelta,
  counterUpdate,
  FLEET_COUNTER_KEY,
  FLEET_COUNTERS,
  fleetCountsOf,
  isCounterName,
  isEmptyDelta,
  isRestrictedCounter,
  liveCounters,
  negated,
  REPLACED_KEY_CONTRIBUTION,
  type CounterDelta,
  type CountedRow,
  type FleetCounts,
} from "./fleet-counter";

/** How long a deleted session's tombstone stays visible (status `deleted`) before DynamoDB's TTL removes it. */
export const TOMBSTONE_DAYS = 30;

export interface Page<T> {
  readonly items: T[];
  /** Opaque; pass back to get the next page. Absent on the last page. */
  readonly cursor?: string;
}

export interface ListOptions {
  /** Items per page, 1 to 100. Default 20. */
  readonly limit?: number;
  readonly cursor?: string;
  /** By `updatedAt`: `newest` first (default) or `oldest` first. */
  readonly order?: "newest" | "oldest";
  /**
   * `listByStatus` only, instead of `cursor`: start next to this session in the index's order (a position the
   * caller kept itself, e.g. in a button's data). It need not exist any more.
   */
  readonly after?: { readonly phone: Phone; readonly updatedAt: string };
}

export interface NewSession {
  readonly phone: Phone;
  readonly sessionString: string;
  readonly account: TelegramAccount;
  /** Who the session is at Telegram (its device, its API id); see `SessionIdentity`. */
  readonly identity?: SessionIdentity;
  /** The proxy its connections go through (the one its login went through); credentials stored encrypted. */
  readonly proxy?: ProxySettings;
}

/**
 * What a new key is at Telegram, recorded with it at login or import: the device it presents, the API id it was
 * created under, and whether it lives on Telegram's test servers.
 */
export interface SessionIdentity {
  readonly device: DeviceIdentity;
  readonly apiId: number;
  readonly testServers?: boolean;
}

/** A row's stored ciphertexts as they are, unopened: what the encryption migration reads and rewraps. */
export interface StoredSecrets {
  readonly phone: Phone;
  readonly status: SessionStatus;
  /**
   * The item's key when it is not the phone: a replaced key's item (`REPLACED#<phone>#<time>`), whose ciphertext is
   * bound to its phone (`phone`) as it was.
   */
  readonly replacedKeyId?: string;
  readonly sessionCiphertext?: string;
  readonly proxyCiphertext?: string;
}

/**
 * What `rewrapSecrets` did to a row: its format 1 ciphertexts sealed again (`migrated`), nothing to do (`already-new`,
 * `no-secret`: a settled tombstone), or nothing written because the row changed since it was read (`changed`).
 */
export type RewrapOutcome = "migrated" | "already-new" | "no-secret" | "changed";

/**
 * The old key of a phone that was logged in again or imported over, kept (its ciphertext, bound to the phone as it
 * was) only until its logout at Telegram is confirmed or given up: an item of its own in the sessions table
 * (`REPLACED#<phone>#<replacedAt>`, lib/tables.ts), in the sparse `byRevocation` index under its own partition
 * value, so the cleanup's retry finds it without a scan and the session lists never see it.
 */
export interface ReplacedKey {
  /** The item's key. */
  readonly id: string;
  readonly phone: Phone;
  /** ISO: when the new key replaced it. */
  readonly replacedAt: string;
  /** Who the old key was at Telegram (its device and API id), to log it out as itself. */
  readonly identity?: SessionIdentity;
  /** Pending from the replacement on (`attempts` 0 until the first logout is tried). */
  readonly revocation: Extract<KeyRevocation, { state: "pending" }>;
}

/** The `revocationState` of a replaced key whose logout is pending: its own partition of `byRevocation`. */
export const REPLACED_KEY_PENDING = "pending-replaced";

/** The key prefix of replaced keys (lib/tables.ts `SESSIONS_ITEMS.replacedKey`). */
export const REPLACED_KEY_PREFIX = "REPLACED#";

interface ReplacedKeyItem {
  phone: string;
  replacedPhone: string;
  replacedAt: string;
  sessionCiphertext: string;
  revocationState: typeof REPLACED_KEY_PENDING;
  revocationGiveUpAt: string;
  revocationFirstTriedAt: string;
  revocationLastTriedAt: string;
  revocationAttempts: number;
  revocationLastError: string;
  deviceModel?: string;
  systemVersion?: string;
  appVersion?: string;
  langCode?: string;
  systemLangCode?: string;
  apiId?: number;
  testServers?: boolean;
}

function replacedKeyItem(
  old: SessionItem,
  now: Date,
  giveUpDays: number,
  sessionCiphertext: string,
): ReplacedKeyItem {
  const at = now.toISOString();
  const device = deviceOf(old);
  return {
    ...(device ? deviceAttributes(device) : {}),
    phone: `${REPLACED_KEY_PREFIX}${old.phone}#${at}`,
    replacedPhone: old.phone,
    replacedAt: at,
    sessionCiphertext,
    revocationState: REPLACED_KEY_PENDING,
    revocationGiveUpAt: new Date(now.getTime() + giveUpDays * 86_400_000).toISOString(),
    revocationFirstTriedAt: at,
    revocationLastTriedAt: at,
    revocationAttempts: 0,
    revocationLastError: "not tried yet",
    ...(old.apiId !== undefined ? { apiId: old.apiId } : {}),
    ...(old.testServers ? { testServers: true } : {}),
  };
}

function toReplacedKey(item: ReplacedKeyItem): ReplacedKey {
  const device = deviceOf(item as unknown as SessionItem);
  return {
    id: item.phone,
    phone: item.replacedPhone as Phone,
    replacedAt: item.replacedAt,
    ...(device && item.apiId !== undefined
      ? { identity: { device, apiId: item.apiId, ...(item.testServers ? { testServers: true } : {}) } }
      : {}),
    revocation: {
      state: "pending",
      firstTriedAt: item.revocationFirstTriedAt,
      lastTriedAt: item.revocationLastTriedAt,
      giveUpAt: item.revocationGiveUpAt,
      attempts: item.revocationAttempts,
      lastError: item.revocationLastError,
    },
  };
}

/** What a DynamoDB read of the table consumed, for tests and benchmarks that prove no scan happened. */
export interface ReadStats {
  itemsRead: number;
  capacityUnits: number;
}

interface SessionItem {
  phone: string;
  status: SessionStatus;
  isPaused: boolean;
  userId?: string;
  username?: string;
  firstName?: string;
  lastName?: string;
  lastError?: string;
  lastErrorCode?: string;
  createdAt: string;
  updatedAt: string;
  lastCheckedAt?: string;
  sessionCiphertext?: string;
  version: number;
  leaseOwner?: string;
  leaseUntil?: string;
  consecutiveFailures?: number;
  floodWaitUntil?: string;
  restrictionState?: RestrictionReading["state"];
  restrictionUntil?: string;
  restrictionText?: string;
  restrictionCheckedAt?: string;
  frozenDetectedAt?: string;
  frozenSince?: string;
  frozenUntil?: string;
  frozenAppealUrl?: string;
  authorizationTtlDays?: number;
  dcId?: number;
  /** What the last check saw of the account's security (flat, so an operator reads the table). */
  twoFaPassword?: boolean;
  twoFaCheckedAt?: string;
  /** The other authorizations' hashes (a list: a DynamoDB set cannot be empty). */
  authorizationFingerprint?: string[];
  authorizationsCheckedAt?: string;
  deviceModel?: string;
  systemVersion?: string;
  appVersion?: string;
  langCode?: string;
  systemLangCode?: string;
  apiId?: number;
  testServers?: boolean;
  proxyKind?: SessionProxyView["kind"];
  proxyHost?: string;
  proxyPort?: number;
  /** The proxy's credentials (user name and password, or MTProxy secret), encrypted like the session string. */
  proxyCiphertext?: string;
  deletedAt?: string;
  expiresAt?: number;
  /** The key's logout at Telegram, once deleted (see revocation.ts); flat, so an operator reads the table. */
  revocationState?: RevocationState;
  /** Only while pending: the sort key of the sparse `byRevocation` index. */
  revocationGiveUpAt?: string;
  revocationFirstTriedAt?: string;
  revocationLastTriedAt?: string;
  revocationAt?: string;
  revocationAttempts?: number;
  revocationLastError?: string;
}

/** Every attribute of a key revocation, to rewrite it whole. */
const REVOCATION_ATTRIBUTES = [
  "revocationState",
  "revocationGiveUpAt",
  "revocationFirstTriedAt",
  "revocationLastTriedAt",
  "revocationAt",
  "revocationAttempts",
  "revocationLastError",
] as const;

function revocationOf(item: SessionItem): KeyRevocation | undefined {
  const attempts = item.revocationAttempts ?? 1;
  switch (item.revocationState) {
    case undefined:
      return undefined;
    case "pending":
      return {
        state: "pending",
        firstTriedAt: item.revocationFirstTriedAt ?? "",
        lastTriedAt: item.revocationLastTriedAt ?? "",
        giveUpAt: item.revocationGiveUpAt ?? "",
        attempts,
        lastError: item.revocationLastError ?? "",
      };
    case "unconfirmed":
      return {
        state: "unconfirmed",
        at: item.revocationAt ?? "",
        firstTriedAt: item.revocationFirstTriedAt ?? "",
        attempts,
        lastError: item.revocationLastError ?? "",
      };
    default:
      return { state: item.revocationState, at: item.revocationAt ?? "", attempts };
  }
}

function revocationAttributes(r: KeyRevocation): Partial<SessionItem> {
  switch (r.state) {
    case "pending":
      return {
        revocationState: r.state,
        revocationGiveUpAt: r.giveUpAt,
        revocationFirstTriedAt: r.firstTriedAt,
        revocationLastTriedAt: r.lastTriedAt,
        revocationAttempts: r.attempts,
        revocationLastError: r.lastError,
      };
    case "unconfirmed":
      return {
        revocationState: r.state,
        revocationAt: r.at,
        revocationFirstTriedAt: r.firstTriedAt,
        revocationAttempts: r.attempts,
        revocationLastError: r.lastError,
      };
    default:
      return { revocationState: r.state, revocationAt: r.at, revocationAttempts: r.attempts };
  }
}

function deviceOf(item: SessionItem): DeviceIdentity | undefined {
  const { deviceModel, systemVersion, appVersion, langCode, systemLangCode } = item;
  if (
    deviceModel === undefined ||
    systemVersion === undefined ||
    appVersion === undefined ||
    langCode === undefined ||
    systemLangCode === undefined
  ) {
    return undefined;
  }
  return { deviceModel, systemVersion, appVersion, langCode, systemLangCode };
}

function deviceAttributes(device: DeviceIdentity): Partial<SessionItem> {
  const out: Partial<SessionItem> = {};
  for (const field of DEVICE_IDENTITY_FIELDS) out[field] = device[field];
  return out;
}

function identityAttributes(identity: SessionIdentity): Partial<SessionItem> {
  return {
    ...deviceAttributes(identity.device),
    apiId: identity.apiId,
    ...(identity.testServers ? { testServers: true } : {}),
  };
}

function proxyOf(item: SessionItem): SessionProxyView | undefined {
  if (item.proxyKind === undefined || item.proxyHost === undefined || item.proxyPort === undefined)
    return undefined;
  return { kind: item.proxyKind, host: item.proxyHost, port: item.proxyPort };
}

const PROXY_ATTRIBUTES = ["proxyKind", "proxyHost", "proxyPort", "proxyCiphertext"] as const;

const RESTRICTION_ATTRIBUTES = [
  "restrictionState",
  "restrictionUntil",
  "restrictionText",
  "restrictionCheckedAt",
] as const;

function restrictionOf(item: SessionItem): RestrictionReading | undefined {
  const { restrictionState: state, restrictionCheckedAt: checkedAt } = item;
  if (state === undefined || checkedAt === undefined) return undefined;
  switch (state) {
    case "limited":
      return item.restrictionUntil !== undefined
        ? { state, until: item.restrictionUntil, checkedAt }
        : undefined;
    case "unknown":
      return { state, text: item.restrictionText ?? "", checkedAt };
    default:
      return { state, checkedAt };
  }
}

function restrictionAttributes(r: RestrictionReading): Partial<SessionItem> {
  return {
    restrictionState: r.state,
    restrictionCheckedAt: r.checkedAt,
    ...(r.state === "limited" ? { restrictionUntil: r.until } : {}),
    ...(r.state === "unknown" ? { restrictionText: r.text } : {}),
  };
}

/** The freeze's flat attributes (an operator reading the table sees `frozenUntil` beside `floodWaitUntil`). */
const FREEZE_ATTRIBUTES = ["frozenDetectedAt", "frozenSince", "frozenUntil", "frozenAppealUrl"] as const;

function freezeOf(item: SessionItem): AccountFreeze | undefined {
  if (item.frozenDetectedAt === undefined) return undefined;
  return {
    detectedAt: item.frozenDetectedAt,
    ...(item.frozenSince !== undefined ? { since: item.frozenSince } : {}),
    ...(item.frozenUntil !== undefined ? { until: item.frozenUntil } : {}),
    ...(item.frozenAppealUrl !== undefined ? { appealUrl: item.frozenAppealUrl } : {}),
  };
}

function freezeAttributes(freeze: AccountFreeze): Partial<SessionItem> {
  return {
    frozenDetectedAt: freeze.detectedAt,
    ...(freeze.since !== undefined ? { frozenSince: freeze.since } : {}),
    ...(freeze.until !== undefined ? { frozenUntil: freeze.until } : {}),
    ...(freeze.appealUrl !== undefined ? { frozenAppealUrl: freeze.appealUrl } : {}),
  };
}

/**
 * The stored row each `Session` this repository returned was made from. A caller hands a session back to a
 * transition (`pause(phone, session)`) and the write knows exactly what it replaces: the row at that version, whose
 * contribution to the fleet counter it subtracts and from which it builds the row it returns, with no read.
 */
const ROWS = new WeakMap<Session, SessionItem>();

function toSession(item: SessionItem): Session {
  const session = buildSession(item);
  ROWS.set(session, item);
  return session;
}

function buildSession(item: SessionItem): Session {
  const account: TelegramAccount | undefined = item.userId
    ? {
        userId: item.userId,
        ...(item.username ? { username: item.username } : {}),
        ...(item.firstName ? { firstName: item.firstName } : {}),
        ...(item.lastName ? { lastName: item.lastName } : {}),
      }
    : undefined;
  const frozen = freezeOf(item);
  const restriction = restrictionOf(item);
  const revocation = revocationOf(item);
  const identity = deviceOf(item);
  const proxy = proxyOf(item);
  const session: Session = {
    phone: item.phone as Phone,
    status: item.status,
    isPaused: item.isPaused,
    createdAt: item.createdAt,
    updatedAt: item.updatedAt,
    version: item.version,
    hasSecret: typeof item.sessionCiphertext === "string" && item.sessionCiphertext.length > 0,
    consecutiveFailures: item.consecutiveFailures ?? 0,
    ...(account ? { account } : {}),
    ...(item.lastError !== undefined ? { lastError: item.lastError } : {}),
    ...(item.lastErrorCode !== undefined ? { lastErrorCode: item.lastErrorCode } : {}),
    ...(item.lastCheckedAt !== undefined ? { lastCheckedAt: item.lastCheckedAt } : {}),
    ...(item.leaseOwner !== undefined ? { leaseOwner: item.leaseOwner } : {}),
    ...(item.leaseUntil !== undefined ? { leaseUntil: item.leaseUntil } : {}),
    ...(item.floodWaitUntil !== undefined ? { floodWaitUntil: item.floodWaitUntil } : {}),
    ...(frozen ? { frozen } : {}),
    ...(restriction ? { restriction } : {}),
    ...(item.authorizationTtlDays !== undefined ? { authorizationTtlDays: item.authorizationTtlDays } : {}),
    ...(item.dcId !== undefined ? { dcId: item.dcId } : {}),
    ...(typeof item.twoFaPassword === "boolean"
      ? { twoFa: { hasPassword: item.twoFaPassword, checkedAt: item.twoFaCheckedAt ?? "" } }
      : {}),
    ...(Array.isArray(item.authorizationFingerprint)
      ? {
          authorizations: {
            fingerprint: item.authorizationFingerprint.map(String),
            checkedAt: item.authorizationsCheckedAt ?? "",
          },
        }
      : {}),
    ...(identity ? { identity } : {}),
    ...(item.apiId !== undefined ? { apiId: item.apiId } : {}),
    ...(item.testServers ? { testServers: true } : {}),
    ...(proxy ? { proxy } : {}),
    ...(item.deletedAt !== undefined ? { deletedAt: item.deletedAt } : {}),
    ...(revocation ? { revocation } : {}),
  };
  return session;
}

function storedSecrets(item: SessionItem): StoredSecrets {
  return {
    phone: item.phone as Phone,
    status: item.status,
    ...(item.sessionCiphertext !== undefined ? { sessionCiphertext: item.sessionCiphertext } : {}),
    ...(item.proxyCiphertext !== undefined ? { proxyCiphertext: item.proxyCiphertext } : {}),
  };
}

function replacedKeySecrets(item: ReplacedKeyItem): StoredSecrets {
  return {
    phone: item.replacedPhone as Phone,
    status: "deleted",
    replacedKeyId: item.phone,
    sessionCiphertext: item.sessionCiphertext,
  };
}

function encodeCursor(key: Record<string, unknown> | undefined): string | undefined {
  return key ? Buffer.from(JSON.stringify(key), "utf8").toString("base64url") : undefined;
}

function decodeCursor(
  cursor: string | undefined,
  expectedKeys: string[],
): Record<string, unknown> | undefined {
  if (cursor === undefined) return undefined;
  try {
    const key: unknown = JSON.parse(Buffer.from(cursor, "base64url").toString("utf8"));
    if (
      typeof key !== "object" ||
      key === null ||
      Array.isArray(key) ||
      Object.keys(key).sort().join() !== [...expectedKeys].sort().join() ||
      Object.values(key).some((v) => typeof v !== "string")
    ) {
      throw new InvalidCursorError();
    }
    return key as Record<string, unknown>;
  } catch {
    throw new InvalidCursorError();
  }
}

/**
 * What a transition is held to: the version the caller saw, or the session as the caller read it from this
 * repository (then the write needs no read of its own: it knows the row it replaces). Without it, the current row.
 */
export type Expected = number | Session;

/** Attribute updates that a caller may request alongside a transition. */
export interface SessionPatch {
  readonly account?: TelegramAccount;
  readonly lastCheckedAt?: string;
  readonly consecutiveFailures?: number;
  /** `null` clears it. */
  readonly floodWaitUntil?: string | null;
  /** The freeze a check found (replaces the stored one whole); `null` clears it. */
  readonly frozen?: AccountFreeze | null;
  readonly authorizationTtlDays?: number;
  /** The data centre the session's last successful connection reached. */
  readonly dcId?: number;
  /** The account's 2FA password as just read (replaces what the row had). */
  readonly twoFa?: TwoFaSeen;
  /** The account's other authorizations as just read (replaces what the row had). */
  readonly authorizations?: AuthorizationsSeen;
  /**
   * The identity (device, API id), for a row older than identities: written once by its first use, so it keeps the
   * identity it was first presented with. Never changes what a row already has.
   */
  readonly identity?: SessionIdentity;
  /** What @SpamBot said (replaces the stored reading whole). */
  readonly restriction?: RestrictionReading;
}

export interface RepositoryOptions {
  /** The clock; tests move it. */
  readonly now?: () => Date;
  /** Where state changes are logged ("Session created", "Session marked error", …), with the phone. */
  readonly logger?: Logger;
  /** Days a key's unconfirmed logout is retried before its ciphertext is destroyed anyway. Default 7. */
  readonly revocationGiveUpDays?: number;
}

/** A query on the sessions table that is paged to the end (the table, cursor and capacity are added per page). */
type PagedQueryInput = Omit<QueryCommandInput, "TableName" | "ExclusiveStartKey" | "ReturnConsumedCapacity">;

export class SessionRepository {
  /** Totals of what list/count/cut-off queries read, since construction. */
  readonly readStats: ReadStats = { itemsRead: 0, capacityUnits: 0 };

  private readonly now: () => Date;
  private readonly logger: Logger | undefined;
  private readonly revocationGiveUpDays: number;

  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly cipher: EnvelopeCipher,
    options: RepositoryOptions = {},
  ) {
    this.now = options.now ?? (() => new Date());
    this.logger = options.logger;
    this.revocationGiveUpDays = options.revocationGiveUpDays ?? REVOCATION_GIVE_UP_DAYS;
    if (!(this.revocationGiveUpDays > 0)) {
      throw new Error(`revocationGiveUpDays must be a positive number, not ${this.revocationGiveUpDays}.`);
    }
  }

  private secretContext(phone: string) {
    return { purpose: "session" as const, id: phone };
  }

  private proxyContext(phone: string) {
    return { purpose: "proxy" as const, id: phone };
  }

  // ---------------------------------------------------------------- create and read

  /**
   * Stores a new `active` session. Refuses a phone that already has a session (unless only its `deleted`
   * tombstone is left), so nothing is ever overwritten by accident; and a tombstone whose key's logout is still
   * pending (`RevocationPendingError`): its ciphertext is the only way left to end that key.
   */
  async create(input: NewSession): Promise<Session> {
    const proxy = input.proxy ? await this.proxyAttributes(input.phone, input.proxy) : {};
    const now = this.now().toISOString();
    const item: SessionItem = {
      phone: input.phone,
      status: "active",
      isPaused: false,
      ...accountAttributes(input.account),
      ...(input.identity ? identityAttributes(input.identity) : {}),
      ...proxy,
      createdAt: now,
      updatedAt: now,
      sessionCiphertext: await this.cipher.encrypt(input.sessionString, this.secretContext(input.phone)),
      version: 1,
      consecutiveFailures: 0,
    };
    // A new phone, or a settled tombstone replaced: the tombstone's own contribution leaves the counter, so the
    // second try pins the tombstone it saw (by version). TTL may remove that tombstone meanwhile: then try again.
    let replaced: SessionItem | undefined;
    for (let attempt = 1; ; attempt++) {
      const put = {
        TableName: this.tableName,
        Item: item,
        ConditionExpression: replaced
          ? "version = :v AND #status = :deleted AND attribute_not_exists(revocationGiveUpAt)"
          : "attribute_not_exists(phone)",
        ...(replaced
          ? {
              ExpressionAttributeNames: { "#status": "status" },
              ExpressionAttributeValues: { ":deleted": "deleted", ":v": replaced.version },
            }
          : {}),
        ReturnValuesOnConditionCheckFailure: "ALL_OLD" as const,
      };
      try {
        await this.writeCounted({ Put: put }, counterDelta(replaced, item));
        break;
      } catch (err) {
        const old = conditionFailureItem(err);
        if (!old && !(err instanceof ConditionalCheckFailedException || firstConditionFailed(err))) throw err;
        if (old?.status === "deleted" && old.revocationGiveUpAt !== undefined)
          throw new RevocationPendingError(input.phone, old.revocationGiveUpAt);
        if (old && old.status !== "deleted") throw new SessionExistsError(input.phone, old.status);
        if (attempt >= 3) throw err;
        replaced = old;
      }
    }
    this.countsCache = undefined;
    this.logger?.info("Session created", { phone: input.phone, userId: input.account.userId });
    return toSession(item);
  }

  async get(phone: Phone): Promise<Session | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { phone }, ConsistentRead: true }),
    );
    return out.Item ? toSession(out.Item as SessionItem) : undefined;
  }

  /** The stored row as it is (consistent read), or undefined. */
  private async getItem(phone: Phone): Promise<SessionItem | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { phone }, ConsistentRead: true }),
    );
    return out.Item as SessionItem | undefined;
  }

  // ---------------------------------------------------------------- the fleet counter

  /**
   * Every write that creates a row or changes what it counts for (its status, its 2FA reading, its tombstone's
   * fate) goes through here: the row's write (`row`, first, with the condition that pins the state `delta` was
   * computed from) and the fleet counter's change (`delta`, from `counterDelta(before, after)`) in ONE transaction,
   * with `also` (an audit entry). With nothing to count and nothing else to write it is the row's single write.
   *
   * A condition failure is thrown as DynamoDB gives it (the row's old item is in the cancellation reason when the
   * write asks for ALL_OLD). A transaction cancelled only by a conflict (another transaction on the counter item at
   * that instant) changed nothing and is tried again.
   */
  private async writeCounted(
    row: { Update: UpdateCommandInput } | { Put: PutCommandInput },
    delta: CounterDelta,
    also: NonNullable<TransactWriteCommandInput["TransactItems"]> = [],
  ): Promise<void> {
    if (isEmptyDelta(delta) && also.length === 0) {
      if ("Update" in row) await this.doc.send(new UpdateCommand(row.Update));
      else await this.doc.send(new PutCommand(row.Put));
      return;
    }
    await this.transactRetryingConflicts([
      row,
      ...(isEmptyDelta(delta) ? [] : [counterUpdate(this.tableName, delta)]),
      ...also,
    ] as NonNullable<TransactWriteCommandInput["TransactItems"]>);
    this.countsCache = undefined;
  }

  /**
   * One TransactWriteItems; a transaction cancelled only by a conflict (another transaction on the counter item at
   * that instant) changed nothing and is tried again. Any other failure is thrown as DynamoDB gives it.
   */
  private async transactRetryingConflicts(
    items: NonNullable<TransactWriteCommandInput["TransactItems"]>,
  ): Promise<void> {
    for (let attempt = 1; ; attempt++) {
      try {
        await this.doc.send(new TransactWriteCommand({ TransactItems: items }));
        return;
      } catch (err) {
        const reasons = err instanceof TransactionCanceledException ? (err.CancellationReasons ?? []) : [];
        const conflictOnly =
          reasons.some((r) => r.Code === "TransactionConflict") &&
          reasons.every((r) => r.Code === "TransactionConflict" || r.Code === "None" || !r.Code);
        if (!conflictOnly || attempt >= 6) throw err;
        await new Promise((resolve) => setTimeout(resolve, 20 * attempt + Math.random() * 30 * attempt));
      }
    }
  }

  private async readCounterItem(): Promise<Record<string, unknown> | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { phone: FLEET_COUNTER_KEY }, ConsistentRead: true }),
    );
    return out.Item;
  }

  /** Like `get`, but an unknown phone (or a deleted one) is a `SessionNotFoundError`. */
  async require(phone: Phone): Promise<Session> {
    const session = await this.get(phone);
    if (!session || session.status === "deleted") throw new SessionNotFoundError(phone);
    return session;
  }

  /**
   * Decrypts the stored session string. Only `lib/telegram` calls this, right before opening a client; the result
   * must live in memory for that one use and never be logged or returned to a person.
   */
  async readSessionString(phone: Phone): Promise<string> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { phone },
        ConsistentRead: true,
        ProjectionExpression: "phone, sessionCiphertext",
      }),
    );
    const ciphertext = (out.Item as SessionItem | undefined)?.sessionCiphertext;
    if (!ciphertext) throw new SessionNotFoundError(phone);
    return this.cipher.decrypt(ciphertext, this.secretContext(phone));
  }

  /**
   * The session's proxy with its credentials decrypted, or undefined when it has none. Only `lib/telegram` calls
   * this, right before opening a client; the credentials live in memory for that one use.
   */
  async readProxy(phone: Phone): Promise<ProxySettings | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { phone },
        ConsistentRead: true,
        ProjectionExpression: "phone, proxyKind, proxyHost, proxyPort, proxyCiphertext",
      }),
    );
    const item = out.Item as SessionItem | undefined;
    const view = item ? proxyOf(item) : undefined;
    if (!item || !view || !item.proxyCiphertext) return undefined;
    const credentials = JSON.parse(
      await this.cipher.decrypt(item.proxyCiphertext, this.proxyContext(phone)),
    ) as ProxyCredentials;
    return joinProxy(view, credentials);
  }

  // ---------------------------------------------------------------- proxy

  /**
   * Sets (or replaces) the proxy every connection of this session goes through. Its credentials are encrypted
   * under the session's phone, like the session string. Not allowed on a deleted session.
   */
  async setProxy(phone: Phone, proxy: ProxySettings): Promise<Session> {
    const attributes = await this.proxyAttributes(phone, proxy);
    return this.writeProxy(
      phone,
      "SET proxyKind = :kind, proxyHost = :host, proxyPort = :port, proxyCiphertext = :c",
      {
        ":kind": attributes.proxyKind,
        ":host": attributes.proxyHost,
        ":port": attributes.proxyPort,
        ":c": attributes.proxyCiphertext,
      },
    );
  }

  /** A proxy as the row keeps it: the address plain, the credentials encrypted. Throws `InvalidProxyError`. */
  private async proxyAttributes(
    phone: Phone,
    proxy: ProxySettings,
  ): Promise<Required<Pick<SessionItem, (typeof PROXY_ATTRIBUTES)[number]>>> {
    const valid = validateProxy(proxy);
    const view = proxyView(valid);
    return {
      proxyKind: view.kind,
      proxyHost: view.host,
      proxyPort: view.port,
      proxyCiphertext: await this.cipher.encrypt(
        JSON.stringify(proxyCredentials(valid)),
        this.proxyContext(phone),
      ),
    };
  }

  /** Removes the session's proxy: its connections go straight to Telegram again. */
  clearProxy(phone: Phone): Promise<Session> {
    return this.writeProxy(phone, `REMOVE ${PROXY_ATTRIBUTES.join(", ")}`, {});
  }

  private async writeProxy(phone: Phone, change: string, values: Record<string, unknown>): Promise<Session> {
    const now = this.now().toISOString();
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { phone },
          ConditionExpression: "attribute_exists(phone) AND #status <> :deleted",
          UpdateExpression: `${change.startsWith("SET") ? `${change}, ` : "SET "}updatedAt = :now, version = version + :one${
            change.startsWith("REMOVE") ? ` ${change}` : ""
          }`,
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: { ...values, ":now": now, ":one": 1, ":deleted": "deleted" },
          ReturnValues: "ALL_NEW",
        }),
      );
      const updated = toSession(out.Attributes as SessionItem);
      this.logger?.info(updated.proxy ? "Session proxy set" : "Session proxy cleared", {
        phone,
        ...(updated.proxy
          ? { proxy: `${updated.proxy.kind} ${updated.proxy.host}:${updated.proxy.port}` }
          : {}),
      });
      return updated;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) throw new SessionNotFoundError(phone);
      throw err;
    }
  }

  // ---------------------------------------------------------------- identity

  /**
   * Changes the device a session presents to Telegram from its next connection on (the operator's explicit
   * `sessions identity`; nothing else ever changes a stored identity). Not allowed on a deleted session.
   */
  async setIdentity(phone: Phone, device: DeviceIdentity): Promise<Session> {
    const valid = validateDeviceIdentity(device);
    const names: Record<string, string> = { "#status": "status" };
    const values: Record<string, unknown> = {
      ":now": this.now().toISOString(),
      ":one": 1,
      ":deleted": "deleted",
    };
    const sets = ["updatedAt = :now", "version = version + :one"];
    for (const field of DEVICE_IDENTITY_FIELDS) {
      sets.push(`#${field} = :${field}`);
      names[`#${field}`] = field;
      values[`:${field}`] = valid[field];
    }
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { phone },
          ConditionExpression: "attribute_exists(phone) AND #status <> :deleted",
          UpdateExpression: `SET ${sets.join(", ")}`,
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
          ReturnValues: "ALL_NEW",
        }),
      );
      const updated = toSession(out.Attributes as SessionItem);
      this.logger?.info("Session identity changed", { phone, deviceModel: valid.deviceModel });
      return updated;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) throw new SessionNotFoundError(phone);
      throw err;
    }
  }

  // ---------------------------------------------------------------- lists

  /** One page of the sessions in `status`, ordered by `updatedAt`, through the `byStatus` index. */
  async listByStatus(status: SessionStatus, options: ListOptions = {}): Promise<Page<Session>> {
    const { after, ...rest } = options;
    const cursor = after
      ? encodeCursor({ phone: after.phone, status, updatedAt: after.updatedAt })
      : options.cursor;
    return this.queryByStatus(
      {
        KeyConditionExpression: "#status = :status",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: { ":status": status },
      },
      { ...rest, ...(cursor ? { cursor } : {}) },
    );
  }

  /**
   * One page of the `error` sessions whose `updatedAt` is before `cutoff`, oldest first. A key-condition query on
   * the index: it reads only the old error sessions, never the rest of the table.
   */
  async listErrorsUpdatedBefore(
    cutoff: Date,
    options: Omit<ListOptions, "order"> = {},
  ): Promise<Page<Session>> {
    return this.queryByStatus(
      {
        KeyConditionExpression: "#status = :status AND updatedAt < :cutoff",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: { ":status": "error", ":cutoff": cutoff.toISOString() },
      },
      { ...options, order: "oldest" },
    );
  }

  /**
   * One page of the deleted sessions whose key's logout is still pending, soonest given up first; with
   * `giveUpBefore`, only those whose give-up date is before it. A key-condition query on the sparse `byRevocation`
   * index: it reads the pending tombstones and nothing else.
   */
  async listPendingRevocations(
    options: Omit<ListOptions, "order"> & { readonly giveUpBefore?: Date } = {},
  ): Promise<Page<Session>> {
    const { giveUpBefore, ...page } = options;
    return this.queryByStatus(
      {
        KeyConditionExpression:
          "revocationState = :pending" + (giveUpBefore ? " AND revocationGiveUpAt < :before" : ""),
        ExpressionAttributeValues: {
          ":pending": "pending",
          ...(giveUpBefore ? { ":before": giveUpBefore.toISOString() } : {}),
        },
      },
      { ...page, order: "oldest" },
      { name: BY_REVOCATION_INDEX, keys: ["phone", "revocationState", "revocationGiveUpAt"] },
    );
  }

  private countsCache: { at: number; counts: FleetCounts } | undefined;

  /**
   * How many deleted sessions' keys still wait for their logout at Telegram (pending tombstones), from the fleet
   * counter (one read; see `fleetCounts`). `maxAgeMs` as for `countByStatus`.
   */
  async countPendingRevocations(options: { maxAgeMs?: number } = {}): Promise<number> {
    return (await this.fleetCounts(options)).pendingRevocations;
  }

  /**
   * The fleet's counts: one read of the counter item (`COUNTS#fleet`, kept by every write in the same transaction),
   * whatever the fleet's size. A counter never counted yet (a new table, or one from before the counter) is counted
   * from the status index once and stored (`recountFleet`).
   *
   * `maxAgeMs` lets a caller that only shows a summary line (the bot's menus) take counts this repository read at
   * most that long ago. Any write through this repository forgets them. Without it the counts are always read.
   */
  async fleetCounts(options: { maxAgeMs?: number } = {}): Promise<FleetCounts> {
    const cached = this.countsCache;
    if (options.maxAgeMs !== undefined && cached && this.now().getTime() - cached.at <= options.maxAgeMs) {
      return cached.counts;
    }
    const at = this.now().getTime();
    const item = await this.readCounterItem();
    let counts: FleetCounts;
    if (item && typeof item.countedAt === "string") {
      counts = fleetCountsOf(liveCounters(item, this.now()), this.now());
    } else {
      counts = (await this.recountFleet({ repair: true, repairFailureIsFatal: false })).counted;
    }
    this.countsCache = { at, counts };
    return counts;
  }

  /** How many sessions are in each status (see `fleetCounts`). */
  async countByStatus(options: { maxAgeMs?: number } = {}): Promise<Record<SessionStatus, number>> {
    return { ...(await this.fleetCounts(options)).byStatus };
  }

  /**
   * Active sessions whose account has no 2FA password, as their last check read it (a session never read is not
   * counted): the fleet's exposure to a stolen login code. From the counter item (see `fleetCounts`).
   */
  async countActiveWithoutTwoFa(): Promise<number> {
    return (await this.fleetCounts()).activeWithoutTwoFa;
  }

  /** Active sessions Telegram limits now, as their last @SpamBot check read it (`isRestricted`). */
  async countActiveRestricted(now: Date = this.now()): Promise<number> {
    return this.countStatus("active", {
      expression: "#rs = :forever OR (#rs = :limited AND #ru > :now)",
      names: { "#rs": "restrictionState", "#ru": "restrictionUntil" },
      values: { ":forever": "limited-forever", ":limited": "limited", ":now": now.toISOString() },
    });
  }

  /**
   * Counts the fleet from the status index (reading all of it: the cost grows with the fleet) and compares it with
   * the counter item. `drift` is what the counter says minus the recount, per counter (empty when they agree). With
   * `repair`, the counter is set to the recount (and tombstone buckets of past days removed), unless the fleet
   * changed while it was counted (the counter's `revision` moved): then it counts again, up to three times.
   *
   * The index is eventually consistent in AWS: a change a moment before the recount may be missed; run it again
   * and a real drift stays while a passing one goes.
   */
  async recountFleet(options: { repair?: boolean; repairFailureIsFatal?: boolean } = {}): Promise<{
    counted: FleetCounts;
    stored: FleetCounts;
    drift: Record<string, number>;
    repaired: boolean;
    countedBefore: boolean;
  }> {
    for (let attempt = 1; ; attempt++) {
      const first = await this.readCounterItem();
      const recount = await this.recountCounters();
      const item = await this.readCounterItem();
      const now = this.now();
      const unchanged = (first?.revision ?? 0) === (item?.revision ?? 0);
      if (!unchanged && attempt < 3) continue;
      const stored = liveCounters(item, now);
      const drift: Record<string, number> = {};
      for (const k of new Set([...Object.keys(stored), ...Object.keys(recount)])) {
        const d = (stored[k] ?? 0) - (recount[k] ?? 0);
        if (d !== 0) drift[k] = d;
      }
      const countedBefore = typeof item?.countedAt === "string";
      // Tombstone buckets the recount does not have: past days, or emptied ones.
      const stale = Object.keys(item ?? {}).filter(
        (k) => isCounterName(k) && !(FLEET_COUNTERS as readonly string[]).includes(k) && !(k in recount),
      );
      const needed = Object.keys(drift).length > 0 || !countedBefore || stale.length > 0;
      let repaired = false;
      if (options.repair && needed) {
        if (!unchanged) {
          if (options.repairFailureIsFatal === false) {
            this.logger?.warn("Fleet counter not repaired: the fleet kept changing while it was counted");
          } else {
            throw new Error(
              "The fleet kept changing while it was counted, so the counter was not repaired: run it again when fewer changes are under way.",
            );
          }
        } else {
          repaired = await this.writeRecount(
            recount,
            stale,
            item,
            now,
            options.repairFailureIsFatal !== false,
          );
          if (!repaired && attempt < 3) continue;
        }
      }
      if (Object.keys(drift).length > 0 && countedBefore) {
        this.logger?.warn("Fleet counter drifted from a recount", { drift, repaired });
      }
      return {
        counted: fleetCountsOf(recount, now),
        stored: fleetCountsOf(stored, now),
        drift,
        repaired,
        countedBefore,
      };
    }
  }

  /**
   * For a table just created, still empty: stores the counter as counted (every count zero), so its first read needs
   * no recount. Changes nothing (false) when the counter exists already.
   */
  async startFleetCounter(): Promise<boolean> {
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: { phone: FLEET_COUNTER_KEY, revision: 0, countedAt: this.now().toISOString() },
          ConditionExpression: "attribute_not_exists(phone)",
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  /** Sets the counter to `recount`, if nothing changed it since it was read as `item`. False when something did. */
  private async writeRecount(
    recount: Record<string, number>,
    stale: string[],
    item: Record<string, unknown> | undefined,
    now: Date,
    fatal: boolean,
  ): Promise<boolean> {
    const names: Record<string, string> = { "#rev": "revision", "#countedAt": "countedAt" };
    const values: Record<string, unknown> = { ":now": now.toISOString() };
    const sets = ["#countedAt = :now"];
    const counters = { ...Object.fromEntries(FLEET_COUNTERS.map((k) => [k, 0])), ...recount };
    Object.entries(counters).forEach(([k, v], i) => {
      names[`#s${i}`] = k;
      values[`:s${i}`] = v;
      sets.push(`#s${i} = :s${i}`);
    });
    const removes = stale.filter((k) => !(k in counters));
    removes.forEach((k, i) => (names[`#x${i}`] = k));
    const revision = item?.revision;
    if (typeof revision === "number") values[":rev"] = revision;
    else values[":zero"] = 0;
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { phone: FLEET_COUNTER_KEY },
          ConditionExpression: typeof revision === "number" ? "#rev = :rev" : "attribute_not_exists(#rev)",
          UpdateExpression:
            `SET ${sets.join(", ")}, #rev = ${typeof revision === "number" ? ":rev" : ":zero"}` +
            (removes.length ? ` REMOVE ${removes.map((_, i) => `#x${i}`).join(", ")}` : ""),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: values,
        }),
      );
      this.countsCache = undefined;
      this.logger?.info("Fleet counter set from a recount", { counters: recount });
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      if (fatal) throw err;
      // Reading counts must not fail because the counter could not be stored: the next read counts again.
      this.logger?.warn("Fleet counter could not be stored after a recount", {
        error: err instanceof Error ? err.message : String(err),
      });
      return false;
    }
  }

  /** The counters as the rows themselves say: COUNT queries of the status index, and the tombstones read. */
  private async recountCounters(): Promise<Record<string, number>> {
    const [active, paused, error, activeWithoutTwoFa, tombstones, replacedKeys, restricted] =
      await Promise.all([
        this.countStatus("active"),
        this.countStatus("paused"),
        this.countStatus("error"),
        this.countStatus("active", {
          expression: "#twoFa = :none",
          names: { "#twoFa": "twoFaPassword" },
          values: { ":none": false },
        }),
        this.recountTombstones(),
        this.countPendingReplacedKeyItems(),
        this.recountRestricted(),
      ]);
    const out: Record<string, number> = { ...tombstones, ...restricted };
    const add = (k: string, v: number) => {
      if (v !== 0) out[k] = v;
    };
    add("active", active);
    add("paused", paused);
    add("error", error);
    add("activeWithoutTwoFa", activeWithoutTwoFa);
    add("pendingReplacedKeys", replacedKeys * (REPLACED_KEY_CONTRIBUTION.pendingReplacedKeys ?? 0));
    for (const k of Object.keys(out)) if (out[k] === 0) delete out[k];
    // Only what counts today: tombstones of past days are not counted (see fleet-counter.ts).
    return liveCounters(out, this.now());
  }

  /** The active sessions' restriction counters, from their @SpamBot readings (only the limited ones are read). */
  private async recountRestricted(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    await this.eachPage(
      {
        IndexName: BY_STATUS_INDEX,
        KeyConditionExpression: "#status = :active",
        FilterExpression: "#rs IN (:forever, :limited)",
        ProjectionExpression: "#status, #rs, #ru",
        ExpressionAttributeNames: {
          "#status": "status",
          "#rs": "restrictionState",
          "#ru": "restrictionUntil",
        },
        ExpressionAttributeValues: {
          ":active": "active",
          ":forever": "limited-forever",
          ":limited": "limited",
        },
      },
      (page) => {
        for (const row of (page.Items ?? []) as CountedRow[]) {
          for (const [k, v] of Object.entries(contributionOf(row)))
            if (isRestrictedCounter(k)) addDelta(out, { [k]: v });
        }
      },
    );
    return out;
  }

  /** The replaced keys' items (`REPLACED#`, pending until deleted), counted in their partition of `byRevocation`. */
  private async countPendingReplacedKeyItems(): Promise<number> {
    return this.countQuery({
      IndexName: BY_REVOCATION_INDEX,
      KeyConditionExpression: "revocationState = :replaced",
      ExpressionAttributeValues: { ":replaced": REPLACED_KEY_PENDING },
    });
  }

  private async recountTombstones(): Promise<Record<string, number>> {
    const out: Record<string, number> = {};
    await this.eachPage(
      {
        IndexName: BY_STATUS_INDEX,
        KeyConditionExpression: "#status = :deleted",
        ProjectionExpression: "#status, expiresAt, revocationState",
        ExpressionAttributeNames: { "#status": "status" },
        ExpressionAttributeValues: { ":deleted": "deleted" },
      },
      (page) => {
        for (const row of (page.Items ?? []) as CountedRow[]) addDelta(out, contributionOf(row));
      },
    );
    return out;
  }

  /** Items of one status in the status index (optionally filtered), counted page by page; capacity recorded. */
  private async countStatus(
    status: SessionStatus,
    filter?: { expression: string; names: Record<string, string>; values: Record<string, unknown> },
  ): Promise<number> {
    return this.countQuery({
      IndexName: BY_STATUS_INDEX,
      KeyConditionExpression: "#status = :status",
      ...(filter ? { FilterExpression: filter.expression } : {}),
      ExpressionAttributeNames: { "#status": "status", ...filter?.names },
      ExpressionAttributeValues: { ":status": status, ...filter?.values },
    });
  }

  /** The items a query matches (`Select: COUNT`), page by page to the end; capacity recorded. */
  private async countQuery(input: PagedQueryInput): Promise<number> {
    let count = 0;
    await this.eachPage({ ...input, Select: "COUNT" }, (page) => {
      count += page.Count ?? 0;
    });
    return count;
  }

  /** Every page of a query on the sessions table, to the end, each given to `onPage`; capacity recorded. */
  private async eachPage(input: PagedQueryInput, onPage: (page: QueryCommandOutput) => void): Promise<void> {
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          ...input,
          TableName: this.tableName,
          ExclusiveStartKey: start,
          ReturnConsumedCapacity: "TOTAL",
        }),
      );
      onPage(page);
      this.readStats.capacityUnits += page.ConsumedCapacity?.CapacityUnits ?? 0;
      start = page.LastEvaluatedKey;
    } while (start);
  }

  private async queryByStatus(
    input: Pick<
      QueryCommandInput,
      "KeyConditionExpression" | "ExpressionAttributeNames" | "ExpressionAttributeValues"
    >,
    options: ListOptions,
    index: { readonly name: string; readonly keys: readonly string[] } = {
      name: BY_STATUS_INDEX,
      keys: ["phone", "status", "updatedAt"],
    },
  ): Promise<Page<Session>> {
    return this.queryPage(
      { IndexName: index.name, ...input, ScanIndexForward: options.order === "oldest" },
      { limit: options.limit ?? 20, cursor: options.cursor, keys: index.keys },
      (item: SessionItem) => toSession(item),
    );
  }

  /**
   * One page of a query on an index: at most `limit` items (1 to 100) from `cursor` (checked to hold the index's
   * key names `keys`, nothing else), the items read counted in `readStats`, each item mapped.
   */
  private async queryPage<I, T>(
    input: Omit<QueryCommandInput, "TableName" | "Limit" | "ExclusiveStartKey" | "ReturnConsumedCapacity">,
    page: { readonly limit: number; readonly cursor: string | undefined; readonly keys: readonly string[] },
    map: (item: I) => T,
  ): Promise<Page<T>> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        ...input,
        Limit: Math.min(Math.max(Math.trunc(page.limit), 1), 100),
        ExclusiveStartKey: decodeCursor(page.cursor, [...page.keys]),
        ReturnConsumedCapacity: "TOTAL",
      }),
    );
    const items = (out.Items ?? []) as I[];
    this.readStats.itemsRead += out.ScannedCount ?? items.length;
    this.readStats.capacityUnits += out.ConsumedCapacity?.CapacityUnits ?? 0;
    const cursor = encodeCursor(out.LastEvaluatedKey);
    return { items: items.map((item) => map(item)), ...(cursor ? { cursor } : {}) };
  }

  // ---------------------------------------------------------------- encryption format

  /**
   * One page of the rows in `status` with their stored ciphertexts as they are (nothing is opened), through the
   * `byStatus` index, oldest change first: what `sessions migrate-encryption` walks. The index is eventually
   * consistent; `rewrapSecrets` writes only on the exact ciphertext it was given, so a stale read costs a retry,
   * never a lost row.
   */
  async listStoredSecrets(
    status: SessionStatus,
    options: Omit<ListOptions, "order"> = {},
  ): Promise<Page<StoredSecrets>> {
    return this.queryPage(
      {
        IndexName: BY_STATUS_INDEX,
        KeyConditionExpression: "#status = :status",
        ExpressionAttributeNames: { "#status": "status", "#updatedAt": "updatedAt" },
        ExpressionAttributeValues: { ":status": status },
        ProjectionExpression: "phone, #status, #updatedAt, sessionCiphertext, proxyCiphertext",
        ScanIndexForward: true,
      },
      { limit: options.limit ?? 100, cursor: options.cursor, keys: ["phone", "status", "updatedAt"] },
      (item: SessionItem) => storedSecrets(item),
    );
  }

  /**
   * One page of the replaced keys whose logout is pending (`REPLACED#` items), with their ciphertexts as they are
   * (nothing is opened): what `sessions migrate-encryption` walks after the rows. Status `deleted`: no session's.
   */
  async listReplacedKeySecrets(options: Omit<ListOptions, "order"> = {}): Promise<Page<StoredSecrets>> {
    const page = await this.listPendingReplacedKeyItems(options);
    return {
      items: page.items.map(replacedKeySecrets),
      ...(page.cursor ? { cursor: page.cursor } : {}),
    };
  }

  /** A replaced key's ciphertext as it is now (a consistent read), or undefined when it is settled (gone). */
  async readReplacedKeySecrets(id: string): Promise<StoredSecrets | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { phone: id }, ConsistentRead: true }),
    );
    const item = out.Item as ReplacedKeyItem | undefined;
    return item && item.revocationState === REPLACED_KEY_PENDING ? replacedKeySecrets(item) : undefined;
  }

  /** The row's stored ciphertexts as they are now (a consistent read), or undefined when the row is gone. */
  async readStoredSecrets(phone: Phone): Promise<StoredSecrets | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { phone },
        ConsistentRead: true,
        ExpressionAttributeNames: { "#status": "status" },
        ProjectionExpression: "phone, #status, sessionCiphertext, proxyCiphertext",
      }),
    );
    return out.Item ? storedSecrets(out.Item as SessionItem) : undefined;
  }

  /**
   * Seals the row's format 1 ciphertexts (the session string, the proxy credentials) again in the current format,
   * written only if each is still exactly the ciphertext `row` holds: a row changed meanwhile (logged in again,
   * deleted, its proxy replaced) is not touched and the answer is `changed`. Neither `version` nor `updatedAt`
   * moves: the secret is the same, a caller holding the row's version is not refused for this, and the status
   * index's order (which the migration pages through) stays put. `dryRun` opens what it would rewrap (so a row
   * that does not open is found) and writes nothing.
   *
   * Throws `DecryptionError` when a stored ciphertext does not open with this key and the row's identity.
   */
  async rewrapSecrets(row: StoredSecrets, options: { dryRun?: boolean } = {}): Promise<RewrapOutcome> {
    const parts = [
      { attribute: "sessionCiphertext", old: row.sessionCiphertext, context: this.secretContext(row.phone) },
      // A replaced key's item has no proxy of its own (undefined: skipped).
      { attribute: "proxyCiphertext", old: row.proxyCiphertext, context: this.proxyContext(row.phone) },
    ] as const;
    const present = parts.filter((p) => p.old !== undefined && p.old !== "");
    if (present.length === 0) return "no-secret";
    const old = present.filter((p) => formatOf(p.old!) !== FORMAT);
    if (old.length === 0) return "already-new";
    const sets: string[] = [];
    const conditions: string[] = [];
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {};
    for (const [i, p] of old.entries()) {
      const plaintext = await this.cipher.decrypt(p.old!, p.context);
      if (options.dryRun) continue;
      names[`#c${i}`] = p.attribute;
      values[`:old${i}`] = p.old;
      values[`:new${i}`] = await this.cipher.encrypt(plaintext, p.context);
      sets.push(`#c${i} = :new${i}`);
      conditions.push(`#c${i} = :old${i}`);
    }
    if (options.dryRun) return "migrated";
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { phone: row.replacedKeyId ?? row.phone },
          UpdateExpression: `SET ${sets.join(", ")}`,
          // A replaced key's item is rewrapped only while its logout is pending (a settled one is gone anyway).
          ConditionExpression: [
            ...conditions,
            ...(row.replacedKeyId ? ["revocationState = :replaced"] : []),
          ].join(" AND "),
          ExpressionAttributeNames: names,
          ExpressionAttributeValues: {
            ...values,
            ...(row.replacedKeyId ? { ":replaced": REPLACED_KEY_PENDING } : {}),
          },
        }),
      );
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return "changed";
      throw err;
    }
    this.logger?.info(
      row.replacedKeyId
        ? "Replaced key sealed in the current format"
        : "Session secrets sealed in the current format",
      { phone: row.phone },
    );
    return "migrated";
  }

  // ---------------------------------------------------------------- transitions

  /** An admin stops a session: it is no longer checked or used. */
  pause(phone: Phone, expectedVersion?: Expected): Promise<Session> {
    return this.applyEvent(phone, "pause", expectedVersion, {});
  }

  /** An admin starts a paused session again. */
  resume(phone: Phone, expectedVersion?: Expected): Promise<Session> {
    return this.applyEvent(phone, "resume", expectedVersion, { consecutiveFailures: 0 });
  }

  /**
   * Telegram refused the session for good (or a run of failures did): status `error`, paused, with the reason and
   * Telegram's error name kept, as SEED.md step 1 shows.
   */
  markError(phone: Phone, failure: SessionFailure, expectedVersion?: Expected): Promise<Session> {
    return this.applyEvent(phone, "fail", expectedVersion, {
      lastError: failure.message,
      lastErrorCode: failure.code,
    });
  }

  /**
   * A new login for an existing phone succeeded: the new session string replaces the old one and the session is
   * `active` again, its error cleared. The old string stays until this write succeeds.
   */
  async relogin(
    phone: Phone,
    sessionString: string,
    account: TelegramAccount,
    expectedVersion?: Expected,
    identity?: SessionIdentity,
    proxy?: ProxySettings,
  ): Promise<Session> {
    return this.reloginWith(phone, sessionString, account, expectedVersion, identity, proxy);
  }

  private async reloginWith(
    phone: Phone,
    sessionString: string,
    account: TelegramAccount,
    expectedVersion: Expected | undefined,
    identity: SessionIdentity | undefined,
    proxy?: ProxySettings,
    alsoPut?: TransactPut,
    alsoCount?: CounterDelta,
  ): Promise<Session> {
    const sessionCiphertext = await this.cipher.encrypt(sessionString, this.secretContext(phone));
    // A new key is who it was created as: its identity replaces the old key's. The proxy, the operator's, stays,
    // unless the login went through another one (`proxy`), which the new key is then known by.
    const proxyAttributes = proxy ? await this.proxyAttributes(phone, proxy) : {};
    return this.applyEvent(
      phone,
      "relogin",
      expectedVersion,
      {
        sessionCiphertext,
        ...accountAttributes(account),
        ...(identity ? identityAttributes(identity) : {}),
        ...proxyAttributes,
        consecutiveFailures: 0,
      },
      [
        "lastError",
        "lastErrorCode",
        "floodWaitUntil",
        "userId",
        "username",
        "firstName",
        "lastName",
        ...(identity ? (["apiId", "testServers"] as const) : []),
      ],
      alsoPut,
      alsoCount,
    );
  }

  /**
   * A new key for a phone that has a session (a login again, or an import over it), when the old key must be logged
   * out afterwards: in one transaction, the row takes the new key (as `relogin`, conditional on `expected.version`,
   * so the key moved is exactly the one replaced) and the old ciphertext moves, as it is, to a replaced-key item
   * (`REPLACED#<phone>#<time>`) whose logout is pending from the start (no attempt yet, given up after
   * `revocationGiveUpDays`). The old key is never destroyed here while it may be alive at Telegram: the caller logs
   * it out and settles the item (`settleReplacedKey`), or the cleanup's retry does. A row without a stored key
   * (none to end) is simply logged in again, with no item. Throws as `relogin` does (`StaleVersionError`, …).
   */
  async replaceKey(
    phone: Phone,
    sessionString: string,
    account: TelegramAccount,
    identity: SessionIdentity | undefined,
    expected: Session,
    proxy?: ProxySettings,
  ): Promise<{ readonly session: Session; readonly replacedKey?: ReplacedKey }> {
    const old = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { phone }, ConsistentRead: true }),
    );
    const oldItem = old.Item as SessionItem | undefined;
    if (!oldItem || oldItem.status === "deleted") throw new SessionNotFoundError(phone);
    if (oldItem.version !== expected.version) {
      throw new StaleVersionError(phone, expected.version, oldItem.version);
    }
    if (!oldItem.sessionCiphertext) {
      return {
        session: await this.relogin(phone, sessionString, account, expected.version, identity, proxy),
      };
    }
    const now = this.now();
    const replaced = replacedKeyItem(oldItem, now, this.revocationGiveUpDays, oldItem.sessionCiphertext);
    // The item is counted (`pendingReplacedKeys`) in the same transaction that creates it.
    const session = await this.reloginWith(
      phone,
      sessionString,
      account,
      expected.version,
      identity,
      proxy,
      {
        TableName: this.tableName,
        Item: replaced as unknown as Record<string, unknown>,
        ConditionExpression: "attribute_not_exists(phone)",
      },
      REPLACED_KEY_CONTRIBUTION,
    );
    this.logger?.info("Old key kept until its logout at Telegram", { phone, replacedKey: replaced.phone });
    return { session, replacedKey: toReplacedKey(replaced) };
  }

  /** A replaced key by its item's key, or undefined when it is settled (the item is gone). */
  async getReplacedKey(id: string): Promise<ReplacedKey | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { phone: id }, ConsistentRead: true }),
    );
    const item = out.Item as ReplacedKeyItem | undefined;
    return item && item.revocationState === REPLACED_KEY_PENDING ? toReplacedKey(item) : undefined;
  }

  /**
   * Decrypts a replaced key, for its logout only (lib/telegram, right before opening a client): the same rules as
   * `readSessionString`. The ciphertext is still bound to its phone (it was moved, not re-encrypted).
   */
  async readReplacedKeyString(key: ReplacedKey): Promise<string> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { phone: key.id },
        ConsistentRead: true,
        ProjectionExpression: "phone, sessionCiphertext",
      }),
    );
    const ciphertext = (out.Item as ReplacedKeyItem | undefined)?.sessionCiphertext;
    if (!ciphertext) throw new RevocationSettledError("none");
    return this.cipher.decrypt(ciphertext, this.secretContext(key.phone));
  }

  /**
   * One page of the replaced keys whose logout is pending, soonest given up first (a key-condition query on the
   * sparse `byRevocation` index, their own partition of it); with `phone`, only that phone's.
   */
  async listPendingReplacedKeys(
    options: Omit<ListOptions, "order"> & { readonly phone?: Phone } = {},
  ): Promise<Page<ReplacedKey>> {
    const page = await this.listPendingReplacedKeyItems(options);
    return { items: page.items.map(toReplacedKey), ...(page.cursor ? { cursor: page.cursor } : {}) };
  }

  private async listPendingReplacedKeyItems(
    options: Omit<ListOptions, "order"> & { readonly phone?: Phone } = {},
  ): Promise<Page<ReplacedKeyItem>> {
    return this.queryPage(
      {
        IndexName: BY_REVOCATION_INDEX,
        KeyConditionExpression: "revocationState = :replaced",
        ...(options.phone ? { FilterExpression: "replacedPhone = :phone" } : {}),
        ExpressionAttributeValues: {
          ":replaced": REPLACED_KEY_PENDING,
          ...(options.phone ? { ":phone": options.phone } : {}),
        },
      },
      {
        limit: options.limit ?? 20,
        cursor: options.cursor,
        keys: ["phone", "revocationState", "revocationGiveUpAt"],
      },
      (item: ReplacedKeyItem) => item,
    );
  }

  /**
   * Records an attempt to log a replaced key out (`key` as read; conditional on its attempt count, so two retries
   * at once settle it once). Confirmed, or not confirmed at or after its give-up date: the item is deleted with its
   * ciphertext (the audit entry in `alsoPut`, same transaction, says how the key ended). Otherwise still pending,
   * the attempt counted. Throws `RevocationSettledError` when another retry settled or counted it meanwhile.
   */
  async settleReplacedKey(
    key: ReplacedKey,
    attempt: RevocationAttempt,
    options: {
      alsoPut?: (next: KeyRevocation) => { TableName: string; Item: Record<string, unknown> } | undefined;
    } = {},
  ): Promise<KeyRevocation> {
    const now = this.now();
    const next = nextRevocation(key.revocation, attempt, now, this.revocationGiveUpDays);
    const condition = {
      ConditionExpression: "revocationState = :replaced AND revocationAttempts = :attempts",
      ExpressionAttributeValues: {
        ":replaced": REPLACED_KEY_PENDING,
        ":attempts": key.revocation.attempts,
      } as Record<string, unknown>,
    };
    const write =
      next.state === "pending"
        ? {
            Update: {
              TableName: this.tableName,
              Key: { phone: key.id },
              ...condition,
              UpdateExpression:
                "SET revocationLastTriedAt = :last, revocationAttempts = :next, revocationLastError = :error",
              ExpressionAttributeValues: {
                ...condition.ExpressionAttributeValues,
                ":last": next.lastTriedAt,
                ":next": next.attempts,
                ":error": next.lastError,
              },
            },
          }
        : { Delete: { TableName: this.tableName, Key: { phone: key.id }, ...condition } };
    const alsoPut = options.alsoPut?.(next);
    // A settled key's item leaves the fleet counter (`pendingReplacedKeys`) in the same transaction.
    const uncount =
      "Delete" in write ? [counterUpdate(this.tableName, negated(REPLACED_KEY_CONTRIBUTION))] : [];
    try {
      await this.transactRetryingConflicts([write, ...uncount, ...(alsoPut ? [{ Put: alsoPut }] : [])]);
      if (uncount.length) this.countsCache = undefined;
    } catch (err) {
      if (firstConditionFailed(err)) throw new RevocationSettledError("none");
      throw err;
    }
    this.logger?.info(
      next.state === "pending" ? "Replaced key's logout still pending" : "Replaced key's logout settled",
      { phone: key.phone, replacedKey: key.id, revocation: next.state, attempts: next.attempts },
    );
    return next;
  }

  /**
   * Deletes a replaced key's item without a logout: only when the phone's session holds that very key again (it is
   * live and in use, not replaced). Conditional on its attempts, like `settleReplacedKey`.
   */
  async dropReplacedKey(key: ReplacedKey): Promise<void> {
    await this.transactRetryingConflicts([
      {
        Delete: {
          TableName: this.tableName,
          Key: { phone: key.id },
          ConditionExpression: "revocationState = :replaced AND revocationAttempts = :attempts",
          ExpressionAttributeValues: {
            ":replaced": REPLACED_KEY_PENDING,
            ":attempts": key.revocation.attempts,
          },
        },
      },
      counterUpdate(this.tableName, negated(REPLACED_KEY_CONTRIBUTION)),
    ])
      .then(() => (this.countsCache = undefined))
      .catch((err: unknown) => {
        if (!(err instanceof ConditionalCheckFailedException || firstConditionFailed(err))) throw err;
      });
    this.logger?.info("Replaced key dropped: the session holds it again", { phone: key.phone });
  }

  /**
   * Deletes a session: its ciphertext is destroyed at once and a `deleted` tombstone (phone, account, times) stays
   * for `TOMBSTONE_DAYS` so operators can see what was removed, then expires.
   */
  delete(phone: Phone, expectedVersion?: Expected): Promise<Session> {
    const now = this.now();
    return this.applyEvent(
      phone,
      "delete",
      expectedVersion,
      {
        deletedAt: now.toISOString(),
        expiresAt: Math.floor(now.getTime() / 1000) + TOMBSTONE_DAYS * 86_400,
      },
      ["sessionCiphertext", "leaseOwner", "leaseUntil", ...PROXY_ATTRIBUTES],
    );
  }

  /**
   * Deletes a session after its key's logout at Telegram was tried (`attempt`, from lib/telegram's revocation):
   *   - confirmed (logged out, or Telegram already refused the key): as `delete`, the ciphertext destroyed, and the
   *     tombstone says how the key ended;
   *   - not confirmed: a `deleted` tombstone that KEEPS its ciphertext, with no expiry, and says the logout is pending
   *     (first try now, given up after `revocationGiveUpDays`); `listPendingRevocations` finds it for the retry, and
   *     `retryRevocation` settles it.
   * `alsoPut` (the audit entry) is written in the same transaction: the delete and its record happen together.
   */
  deleteWithRevocation(
    phone: Phone,
    attempt: RevocationAttempt,
    expectedVersion?: Expected,
    options: {
      alsoPut?:
        | { TableName: string; Item: Record<string, unknown> }
        /** The put for the revocation this delete records (an audit entry that says how the key ended). */
        | ((revocation: KeyRevocation) => { TableName: string; Item: Record<string, unknown> } | undefined);
    } = {},
  ): Promise<Session> {
    const now = this.now();
    const revocation = nextRevocation(undefined, attempt, now, this.revocationGiveUpDays);
    const alsoPut = typeof options.alsoPut === "function" ? options.alsoPut(revocation) : options.alsoPut;
    const pending = revocation.state === "pending";
    return this.applyEvent(
      phone,
      "delete",
      expectedVersion,
      {
        deletedAt: now.toISOString(),
        ...(pending ? {} : { expiresAt: Math.floor(now.getTime() / 1000) + TOMBSTONE_DAYS * 86_400 }),
        ...revocationAttributes(revocation),
      },
      pending
        ? ["leaseOwner", "leaseUntil", "expiresAt"]
        : ["sessionCiphertext", "leaseOwner", "leaseUntil", ...PROXY_ATTRIBUTES],
      alsoPut,
    );
  }

  /**
   * Records a retry of a pending logout (`row` as read, its version checked). Confirmed, or not confirmed at or after
   * the give-up date: settled, the ciphertext destroyed and the tombstone's expiry set (`unconfirmed` says the logout
   * was never confirmed). Otherwise still pending, with the attempt counted. `alsoPut` is written in the same
   * transaction (the audit entry), so the outcome and its record happen together or not at all.
   * Throws `StaleVersionError` when the row changed since it was read, `RevocationSettledError` when it is not pending.
   */
  async retryRevocation(
    row: Session,
    attempt: RevocationAttempt,
    options: {
      alsoPut?:
        | { TableName: string; Item: Record<string, unknown> }
        /** The put for the revocation this retry leads to (an audit entry that says how it ended). */
        | ((next: KeyRevocation) => { TableName: string; Item: Record<string, unknown> } | undefined);
    } = {},
  ): Promise<Session> {
    if (row.status !== "deleted" || !isRevocationPending(row.revocation)) {
      throw new RevocationSettledError(row.revocation?.state ?? "none");
    }
    const now = this.now();
    const next = nextRevocation(row.revocation, attempt, now, this.revocationGiveUpDays);
    const settled = next.state !== "pending";
    const attrs: Record<string, unknown> = {
      ...revocationAttributes(next),
      ...(settled
        ? {
            updatedAt: now.toISOString(),
            expiresAt: Math.floor(now.getTime() / 1000) + TOMBSTONE_DAYS * 86_400,
          }
        : {}),
    };
    const names: Record<string, string> = { "#status": "status" };
    const values: Record<string, unknown> = {
      ":v": row.version,
      ":one": 1,
      ":deleted": "deleted",
      ":pending": "pending",
    };
    const sets = ["version = version + :one"];
    for (const [k, v] of Object.entries(attrs)) {
      sets.push(`#${k} = :${k}`);
      names[`#${k}`] = k;
      values[`:${k}`] = v;
    }
    const removes = [
      ...REVOCATION_ATTRIBUTES.filter((a) => !(a in attrs)),
      ...(settled ? ["sessionCiphertext", "leaseOwner", "leaseUntil", ...PROXY_ATTRIBUTES] : []),
    ];
    const update = {
      TableName: this.tableName,
      Key: { phone: row.phone },
      ConditionExpression: "version = :v AND #status = :deleted AND revocationState = :pending",
      UpdateExpression: `SET ${sets.join(", ")}${removes.length ? ` REMOVE ${removes.join(", ")}` : ""}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    };
    const alsoPut = typeof options.alsoPut === "function" ? options.alsoPut(next) : options.alsoPut;
    // The row as the caller read it (a pending tombstone has no expiry): what leaves the counter when it settles.
    const seen = ROWS.get(row);
    const before: CountedRow =
      seen && seen.version === row.version ? seen : { status: "deleted", revocationState: "pending" };
    const after: CountedRow = {
      status: "deleted",
      revocationState: next.state,
      ...(settled ? { expiresAt: attrs.expiresAt as number } : {}),
    };
    try {
      await this.writeCounted(
        { Update: update },
        counterDelta(before, after),
        alsoPut ? [{ Put: alsoPut }] : [],
      );
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException || firstConditionFailed(err)) {
        const current = await this.get(row.phone);
        if (!current) throw new SessionNotFoundError(row.phone);
        throw new StaleVersionError(row.phone, row.version, current.version);
      }
      throw err;
    }
    if (settled) {
      this.countsCache = undefined;
    }
    this.logger?.info(settled ? "Session key revocation settled" : "Session key revocation still pending", {
      phone: row.phone,
      revocation: next.state,
      attempts: next.attempts,
    });
    if (seen && seen.version === row.version) {
      const updated: Record<string, unknown> = { ...seen, ...attrs, version: row.version + 1 };
      for (const k of removes) delete updated[k];
      return toSession(updated as unknown as SessionItem);
    }
    const updated = await this.get(row.phone);
    if (!updated) throw new SessionNotFoundError(row.phone);
    return updated;
  }

  /**
   * Bookkeeping of a check or use that does not change the status (and so does not move `updatedAt`):
   * the account as getMe reported it, `lastCheckedAt`, failure counters, flood waits. Conditional on the version.
   */
  async recordCheck(phone: Phone, expectedVersion: number, patch: SessionPatch): Promise<Session> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = { ":v": expectedVersion, ":one": 1 };
    const sets = ["version = version + :one"];
    const removes: string[] = [];
    const attrs: Record<string, unknown> = {
      ...(patch.account ? accountAttributes(patch.account) : {}),
      ...(patch.lastCheckedAt !== undefined ? { lastCheckedAt: patch.lastCheckedAt } : {}),
      ...(patch.consecutiveFailures !== undefined ? { consecutiveFailures: patch.consecutiveFailures } : {}),
      ...(typeof patch.floodWaitUntil === "string" ? { floodWaitUntil: patch.floodWaitUntil } : {}),
      ...(patch.frozen ? freezeAttributes(patch.frozen) : {}),
      ...(patch.restriction ? restrictionAttributes(patch.restriction) : {}),
      ...(patch.authorizationTtlDays !== undefined
        ? { authorizationTtlDays: patch.authorizationTtlDays }
        : {}),
      ...(patch.dcId !== undefined ? { dcId: patch.dcId } : {}),
      ...(patch.twoFa
        ? { twoFaPassword: patch.twoFa.hasPassword, twoFaCheckedAt: patch.twoFa.checkedAt }
        : {}),
      ...(patch.authorizations
        ? {
            authorizationFingerprint: [...patch.authorizations.fingerprint],
            authorizationsCheckedAt: patch.authorizations.checkedAt,
          }
        : {}),
    };
    // An identity is only ever added to a row that has none: the condition below keeps an existing one.
    if (patch.identity) {
      for (const [k, v] of Object.entries(identityAttributes(patch.identity))) {
        sets.push(`#${k} = if_not_exists(#${k}, :${k})`);
        names[`#${k}`] = k;
        values[`:${k}`] = v;
      }
    }
    for (const [k, v] of Object.entries(attrs)) {
      sets.push(`#${k} = :${k}`);
      names[`#${k}`] = k;
      values[`:${k}`] = v;
    }
    if (patch.floodWaitUntil === null) removes.push("floodWaitUntil");
    // A freeze is written whole: the attributes it does not have (or all, for `null`) are removed.
    if (patch.restriction) {
      const kept = restrictionAttributes(patch.restriction);
      removes.push(...RESTRICTION_ATTRIBUTES.filter((a) => !(a in kept)));
    }
    if (patch.frozen !== undefined) {
      const kept = patch.frozen ? freezeAttributes(patch.frozen) : {};
      removes.push(...FREEZE_ATTRIBUTES.filter((a) => !(a in kept)));
    }
    const base = {
      TableName: this.tableName,
      Key: { phone },
      UpdateExpression: `SET ${sets.join(", ")}${removes.length ? ` REMOVE ${removes.join(", ")}` : ""}`,
      ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
      ExpressionAttributeValues: values,
      ReturnValuesOnConditionCheckFailure: "ALL_OLD" as const,
    };
    // A 2FA reading moves the row in or out of `activeWithoutTwoFa` only when it changes on an active row. The
    // common case (no change) is one write held to "the count does not change"; otherwise the row as it was (from
    // the failed condition) is pinned by version and the counter changes with it in one transaction.
    const countUnchanged = !patch.twoFa
      ? ""
      : patch.twoFa.hasPassword
        ? " AND (#status <> :active OR attribute_not_exists(#twoFaPassword) OR #twoFaPassword <> :noTwoFa)"
        : " AND (#status <> :active OR #twoFaPassword = :noTwoFa)";
    let old: SessionItem | undefined;
    if (patch.restriction) {
      // A restriction reading (an owner's @SpamBot check, rare) may move the row in or out of the restricted
      // counters: the row is read, and its write pinned to that version with the counter's change.
      old = await this.getItem(phone);
      if (!old) throw new SessionNotFoundError(phone);
      if (old.version !== expectedVersion) throw new StaleVersionError(phone, expectedVersion, old.version);
    } else {
      try {
        const out = await this.doc.send(
          new UpdateCommand({
            ...base,
            ...(countUnchanged
              ? {
                  ExpressionAttributeNames: {
                    ...names,
                    "#status": "status",
                    "#twoFaPassword": "twoFaPassword",
                  },
                  ExpressionAttributeValues: { ...values, ":active": "active", ":noTwoFa": false },
                }
              : {}),
            ConditionExpression: `attribute_exists(phone) AND version = :v${countUnchanged}`,
            ReturnValues: "ALL_NEW",
          }),
        );
        return toSession(out.Attributes as SessionItem);
      } catch (err) {
        old = conditionFailureItem(err);
        if (!old) {
          if (err instanceof ConditionalCheckFailedException) throw new SessionNotFoundError(phone);
          throw err;
        }
        if (old.version !== expectedVersion || !countUnchanged)
          throw new StaleVersionError(phone, expectedVersion, old.version);
      }
    }
    const after: Record<string, unknown> = { ...old, ...attrs, version: old.version + 1 };
    if (patch.identity) {
      for (const [k, v] of Object.entries(identityAttributes(patch.identity))) after[k] ??= v;
    }
    for (const k of removes) delete after[k];
    try {
      await this.writeCounted(
        { Update: { ...base, ConditionExpression: "attribute_exists(phone) AND version = :v" } },
        counterDelta(old, after as unknown as SessionItem),
      );
    } catch (err2) {
      const current = conditionFailureItem(err2);
      if (current) throw new StaleVersionError(phone, expectedVersion, current.version);
      if (err2 instanceof ConditionalCheckFailedException || firstConditionFailed(err2))
        throw new SessionNotFoundError(phone);
      throw err2;
    }
    return toSession(after as unknown as SessionItem);
  }

  /**
   * The common path of every transition: read the current row when the caller did not say which version it saw,
   * check the transition, then write conditionally on both the version and the status.
   */
  private async applyEvent(
    phone: Phone,
    event: SessionEvent,
    expected: Expected | undefined,
    set: Record<string, unknown>,
    remove: string[] = [],
    alsoPut?: TransactPut,
    /** What `alsoPut`'s item adds to the fleet counter (a replaced key's item), counted with the row's change. */
    alsoCount: CounterDelta = {},
  ): Promise<Session> {
    const before = await this.rowBefore(phone, event, expected);
    const version = before.version;
    const target = transition(before.status, event);
    const now = this.now().toISOString();
    const names: Record<string, string> = { "#status": "status" };
    const values: Record<string, unknown> = {
      ":v": version,
      ":one": 1,
      ":now": now,
      ":from": before.status,
      ":to": target,
      ":paused": isPausedStatus(target),
    };
    const sets = ["#status = :to", "isPaused = :paused", "updatedAt = :now", "version = version + :one"];
    for (const [k, v] of Object.entries(set)) {
      sets.push(`#a_${k} = :a_${k}`);
      names[`#a_${k}`] = k;
      values[`:a_${k}`] = v;
    }
    // An attribute both set and removed (e.g. the account on relogin) is only set.
    const removes = remove.filter((k) => !(k in set));
    removes.forEach((k) => (names[`#r_${k}`] = k));
    const update = {
      TableName: this.tableName,
      Key: { phone },
      // Pinned to the row `before` is (its version), so the counter's change is exactly this row's.
      ConditionExpression: "attribute_exists(phone) AND version = :v AND #status = :from",
      UpdateExpression:
        `SET ${sets.join(", ")}` +
        (removes.length ? ` REMOVE ${removes.map((k) => `#r_${k}`).join(", ")}` : ""),
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
      ReturnValuesOnConditionCheckFailure: "ALL_OLD" as const,
    };
    const after: Record<string, unknown> = {
      ...before,
      ...set,
      status: target,
      isPaused: isPausedStatus(target),
      updatedAt: now,
      version: version + 1,
    };
    for (const k of removes) delete after[k];
    try {
      // With the audit entry (`alsoPut`): the change and the item that records it, together or not at all.
      const delta: Record<string, number> = { ...counterDelta(before, after as unknown as SessionItem) };
      addDelta(delta, alsoCount);
      for (const k of Object.keys(delta)) if (delta[k] === 0) delete delta[k];
      await this.writeCounted({ Update: update }, delta, alsoPut ? [{ Put: alsoPut }] : []);
    } catch (err) {
      const old = conditionFailureItem(err);
      if (old) {
        if (old.version !== version) throw new StaleVersionError(phone, version, old.version);
        if (old.status === "deleted" && event !== "delete") throw new SessionNotFoundError(phone);
        throw new IllegalTransitionError(old.status, event);
      }
      if (err instanceof ConditionalCheckFailedException || firstConditionFailed(err))
        throw new SessionNotFoundError(phone);
      throw err;
    }
    this.countsCache = undefined;
    const updated = toSession(after as unknown as SessionItem);
    this.logger?.info(EVENT_LOG_MESSAGE[event], {
      phone,
      status: updated.status,
      ...(event === "fail" ? { error: updated.lastError, code: updated.lastErrorCode } : {}),
    });
    return updated;
  }

  /**
   * The row a transition starts from: the one the caller's session was read as (no read), or the stored one (read,
   * and held to the version the caller saw). Fails as the write would: not found, stale, or not allowed.
   */
  private async rowBefore(
    phone: Phone,
    event: SessionEvent,
    expected: Expected | undefined,
  ): Promise<SessionItem> {
    const seen = typeof expected === "object" ? ROWS.get(expected) : undefined;
    const version = typeof expected === "object" ? expected.version : expected;
    const row = seen && seen.phone === phone && seen.version === version ? seen : await this.getItem(phone);
    if (!row) throw new SessionNotFoundError(phone);
    if (version !== undefined && row.version !== version)
      throw new StaleVersionError(phone, version, row.version);
    if (row.status === "deleted" && (event !== "delete" || version === undefined))
      throw new SessionNotFoundError(phone);
    transition(row.status, event); // fail early with the reason
    return row;
  }

  // ---------------------------------------------------------------- lease

  /**
   * Takes the session for one use, for `ttlMs`. Succeeds when nobody holds it or the holder's lease has expired
   * (a crashed job's lease is taken over). Telegram kills an auth key used on two connections at once
   * (AUTH_KEY_DUPLICATED), so every use of a session takes this lease first.
   */
  async acquireLease(phone: Phone, owner: string, ttlMs: number): Promise<Session> {
    const now = this.now();
    const until = new Date(now.getTime() + ttlMs).toISOString();
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { phone },
          ConditionExpression:
            // A deleted session is leased only while its key's logout is pending (the retry opens the key).
            "attribute_exists(phone) AND (#status <> :deleted OR revocationState = :pending) AND " +
            "(attribute_not_exists(leaseUntil) OR leaseUntil < :now OR leaseOwner = :owner)",
          UpdateExpression: "SET leaseOwner = :owner, leaseUntil = :until",
          ExpressionAttributeNames: { "#status": "status" },
          ExpressionAttributeValues: {
            ":owner": owner,
            ":until": until,
            ":now": now.toISOString(),
            ":deleted": "deleted",
            ":pending": "pending",
          },
          ReturnValues: "ALL_NEW",
          ReturnValuesOnConditionCheckFailure: "ALL_OLD",
        }),
      );
      return toSession(out.Attributes as SessionItem);
    } catch (err) {
      const old = conditionFailureItem(err);
      const leasable = old && (old.status !== "deleted" || old.revocationState === "pending");
      if (old && leasable && old.leaseOwner && old.leaseUntil) {
        throw new LeaseHeldError(phone, old.leaseOwner, old.leaseUntil);
      }
      if (err instanceof ConditionalCheckFailedException) throw new SessionNotFoundError(phone);
      throw err;
    }
  }

  /** Gives the lease back, if `owner` still holds it. Returns false when it had already passed to someone else. */
  async releaseLease(phone: Phone, owner: string): Promise<boolean> {
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { phone },
          ConditionExpression: "leaseOwner = :owner",
          UpdateExpression: "REMOVE leaseOwner, leaseUntil",
          ExpressionAttributeValues: { ":owner": owner },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }
}

const EVENT_LOG_MESSAGE: Record<SessionEvent, string> = {
  pause: "Session paused",
  resume: "Session resumed",
  fail: "Session marked error",
  relogin: "Session logged in again",
  delete: "Session deleted",
};

function accountAttributes(account: TelegramAccount): Partial<SessionItem> {
  return {
    userId: account.userId,
    ...(account.username ? { username: account.username } : {}),
    ...(account.firstName ? { firstName: account.firstName } : {}),
    ...(account.lastName ? { lastName: account.lastName } : {}),
  };
}

/** The item DynamoDB returned with a failed condition (ReturnValuesOnConditionCheckFailure), if it exists. */
/** A put written in one transaction with a row's change (an audit entry, a replaced key). */
type TransactPut = {
  TableName: string;
  Item: Record<string, unknown>;
  ConditionExpression?: string;
};

function conditionFailureItem(err: unknown): SessionItem | undefined {
  if (err instanceof ConditionalCheckFailedException && err.Item) {
    return unmarshall(err.Item as Record<string, AttributeValue>) as SessionItem;
  }
  // In a transaction, the first item's failed condition carries the old item in its cancellation reason.
  const reason = err instanceof TransactionCanceledException ? err.CancellationReasons?.[0] : undefined;
  if (reason?.Code === "ConditionalCheckFailed" && reason.Item) {
    return unmarshall(reason.Item) as SessionItem;
  }
  return undefined;
}
