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
 * tombstones are in it, and the cleanup's retry reads nothing else.
 */
export const BY_REVOCATION_INDEX = "byRevocation";

/**
 * Sessions: one item per Telegram account, keyed by the phone number in E.164.
 * `expiresAt` is set only on tombstones of deleted sessions, so they disappear on their own.
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
 * Bot state: admins, login flows in progress, processed update ids, rate-limit marks and the audit trail.
 * One table, items told apart by their partition key prefix (`ADMIN`, `LOGIN#…`, `UPDATE#…`, `AUDIT#…`).
 * Everything temporary carries `expiresAt`.
 */
export const BOT_STATE_TABLE: TableDefinition = {
  logicalName: "BotState",
  partitionKey: { name: "pk", type: "S" },
  sortKey: { name: "sk", type: "S" },
  globalSecondaryIndexes: [],
  timeToLiveAttribute: "expiresAt",
};

export const TABLES = [SESSIONS_TABLE, BOT_STATE_TABLE] as const;
