/**
 * The two DynamoDB tables, described once. The CDK stateful stack, the local dev stack and the tests all build
 * their tables from these objects, so a key or index renamed here is renamed everywhere.
 *
 * This file imports nothing: `infra/` may read it without pulling run-time code into the CDK app.
 */

export interface KeyAttribute {
  readonly name: string;
  readonly type: "S" | "N";
}

export interface IndexDefinition {
  readonly indexName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey: KeyAttribute;
}

export interface TableDefinition {
  /** Logical name, used for construct ids and the default local table name. */
  readonly logicalName: string;
  readonly partitionKey: KeyAttribute;
  readonly sortKey?: KeyAttribute;
  readonly globalSecondaryIndexes: readonly IndexDefinition[];
  /** Attribute holding an epoch-seconds expiry; DynamoDB's TTL deletes the item some time after it. */
  readonly timeToLiveAttribute?: string;
}

/** GSI of the sessions table: every session by status, ordered by when it last changed. */
export const BY_STATUS_INDEX = "byStatus";

/**
 * GSI of the sessions table: deleted sessions whose key's logout at Telegram is still pending (`revocationState`
 * "pending"), by the date they are given up. Sparse: a settled logout removes `revocationGiveUpAt`, so only pending
 * tombstones are in it, and the cleanup's retry reads nothing else. The old keys of replaced sessions whose logout is
 * pending are in it too, under their own partition value (`pending-replaced`).
 */
export const BY_REVOCATION_INDEX = "byRevocation";

/**
 * Sessions: one item per Telegram account, keyed by the phone number in E.164, and the old keys of replaced sessions
 * whose logout at Telegram is pending (`SESSIONS_ITEMS`).
 * `expiresAt` is set only on tombstones of deleted sessions whose key is settled (logged out, or given up), so they
 * disappear on their own; a tombstone whose logout at Telegram is still pending has none until the retry settles it.
 */
export const SESSIONS_TABLE: TableDefinition = {
  logicalName: "Sessions",
  partitionKey: { name: "phone", type: "S" },
  globalSecondaryIndexes: [
    {
      indexName: BY_STATUS_INDEX,
      partitionKey: { name: "status", type: "S" },
      sortKey: { name: "updatedAt", type: "S" },
    },
    {
      indexName: BY_REVOCATION_INDEX,
      partitionKey: { name: "revocationState", type: "S" },
      sortKey: { name: "revocationGiveUpAt", type: "S" },
    },
  ],
  timeToLiveAttribute: "expiresAt",
};

/**
 * Bot state: everything the AdminBot, the logins and the jobs keep besides the sessions, told apart by the
 * partition key's prefix (`BOT_STATE_ITEMS` lists every one). Everything temporary carries `expiresAt`.
 */
export const BOT_STATE_TABLE: TableDefinition = {
  logicalName: "BotState",
  partitionKey: { name: "pk", type: "S" },
  sortKey: { name: "sk", type: "S" },
  globalSecondaryIndexes: [],
  timeToLiveAttribute: "expiresAt",
};

/**
 * One family of items in a table: the partition key value that marks it (the whole key, or its start), and the one
 * module that reads and writes it. Only the owner builds these keys (from `key` here); the test harness refuses any
 * item of a table whose key no family claims (test/support/item-families.ts), and the service stack derives each
 * function's `dynamodb:LeadingKeys` conditions from `leadingKeyPattern` (infra/access.ts).
 */
export interface ItemFamily {
  /** The partition key's value (`match: "exact"`), or how every such key starts (`match: "prefix"`). */
  readonly key: string;
  readonly match: "exact" | "prefix";
  /** The owner module, from the repository's root. */
  readonly owner: string;
  /** What the items are, and how their keys go on. */
  readonly holds: string;
}

/** Every item family of the sessions table. */
export const SESSIONS_ITEMS = {
  session: {
    key: "+",
    match: "prefix",
    owner: "lib/sessions/repository.ts",
    holds: "a session, keyed by its phone number in E.164 (`+<digits>`)",
  },
  replacedKey: {
    key: "REPLACED#+",
    match: "prefix",
    owner: "lib/sessions/repository.ts",
    holds:
      "the old key of a phone logged in again or imported over, kept only while its logout at Telegram is pending " +
      "(`REPLACED#<phone>#<replaced at>`; `revocationState` `pending-replaced` in the `byRevocation` index)",
  },
  fleetCounter: {
    key: "COUNTS#fleet",
    match: "exact",
    owner: "lib/sessions/repository.ts",
    holds:
      "the fleet's counts per status (and without 2FA, logouts pending, tombstones by expiry day), changed in the " +
      "same transaction as every row (lib/sessions/fleet-counter.ts)",
  },
} as const satisfies Record<string, ItemFamily>;

/** Every item family of the bot-state table. */
export const BOT_STATE_ITEMS = {
  admin: {
    key: "ADMIN",
    match: "exact",
    owner: "lib/bot-state/admins.ts",
    holds: "an admin of the AdminBot (`sk` = their Telegram user id)",
  },
  audit: {
    key: "AUDIT#",
    match: "prefix",
    owner: "lib/bot-state/audit.ts",
    holds: "the audit trail by UTC day (`AUDIT#<yyyy-mm-dd>`, `sk` = `<iso time>#<random>`)",
  },
  phoneLogin: {
    key: "LOGIN#+",
    match: "prefix",
    owner: "lib/bot-state/login-flows.ts",
    holds: "a phone login in progress, encrypted (`LOGIN#<phone>`, `sk` = `FLOW`)",
  },
  qrLogin: {
    key: "LOGIN#QR#",
    match: "prefix",
    owner: "lib/bot-state/login-flows.ts",
    holds: "a QR login in progress, encrypted (`LOGIN#QR#<owner>`, `sk` = `FLOW`)",
  },
  update: {
    key: "UPDATE#",
    match: "prefix",
    owner: "lib/bot-state/chat-memory.ts",
    holds: "a Telegram update processed once, per bot (`UPDATE#<bot id>#<update_id>`, `sk` = `update`)",
  },
  stranger: {
    key: "STRANGER#",
    match: "prefix",
    owner: "lib/bot-state/chat-memory.ts",
    holds: "a stranger answered within the hour (`STRANGER#<user id>`, `sk` = `refusal`)",
  },
  page: {
    key: "PAGE#",
    match: "prefix",
    owner: "lib/bot-state/chat-memory.ts",
    holds: "a session list page's cursor (`PAGE#<id>`, `sk` = `page`)",
  },
  input: {
    key: "INPUT#",
    match: "prefix",
    owner: "lib/bot-state/chat-memory.ts",
    holds: "what an admin's next message means (`INPUT#<admin id>`, `sk` = `input`)",
  },
  botInfo: {
    key: "BOTINFO",
    match: "exact",
    owner: "lib/bot-state/chat-memory.ts",
    holds: "the bot's own getMe, cached (`sk` = `me`)",
  },
  run: {
    key: "RUN#",
    match: "prefix",
    owner: "lib/jobs/runs.ts",
    holds:
      "a health check run's counters and marks (`RUN#<run id>`, `sk` = `RUN`, `CHECKED#<phone>`, `NOTE#<phone>`, `NOTE#<phone>#login#<hash>`)",
  },
  runList: {
    key: "RUNS",
    match: "exact",
    owner: "lib/jobs/runs.ts",
    holds: "every health check run by start (`sk` = `<startedAt>#<run id>`)",
  },
  cleanupList: {
    key: "CLEANUPS",
    match: "exact",
    owner: "lib/jobs/cleanup-log.ts",
    holds: "every cleanup that deleted, by start (`sk` = `<startedAt>#<random>`)",
  },
} as const satisfies Record<string, ItemFamily>;

/** The partition key of an item of `family`: its exact key, or its prefix followed by `rest`. */
export function itemKey(family: ItemFamily, rest = ""): string {
  if (family.match === "exact" && rest !== "") throw new Error(`${family.key} takes no key suffix`);
  return family.key + rest;
}

/** The family a partition key value belongs to, or undefined when no family claims it. */
export function familyOf(
  families: Readonly<Record<string, ItemFamily>>,
  key: string,
): ItemFamily | undefined {
  return Object.values(families).find((f) => (f.match === "exact" ? key === f.key : key.startsWith(f.key)));
}

/** The family's keys as an IAM `dynamodb:LeadingKeys` pattern (`ForAllValues:StringLike`): `ADMIN`, `AUDIT#*`. */
export function leadingKeyPattern(family: ItemFamily): string {
  return family.match === "exact" ? family.key : `${family.key}*`;
}

export const TABLES = [SESSIONS_TABLE, BOT_STATE_TABLE] as const;

/** Each table with its item families, by the table's logical name. */
export const TABLE_ITEMS = {
  [SESSIONS_TABLE.logicalName]: SESSIONS_ITEMS,
  [BOT_STATE_TABLE.logicalName]: BOT_STATE_ITEMS,
} as const;
