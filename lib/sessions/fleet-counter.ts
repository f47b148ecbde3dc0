/**
 * The fleet's counts as one item of the sessions table (`COUNTS#fleet`), so reading them is one GetItem whatever
 * the fleet's size, where counting the status index read every session.
 *
 * Each session row contributes to a few named counters (its status; `activeWithoutTwoFa`; `pendingRevocations`),
 * and each replaced key whose logout is pending (a `REPLACED#` item) to `pendingReplacedKeys`; every repository write that changes a row's contribution (a status change, a new row, a tombstone settled,
 * a 2FA reading) adds the difference to the counter item in the SAME DynamoDB transaction as the row's change
 * (`counterUpdate`), with the row's write pinned to the version whose contribution was subtracted. So the counter
 * moves exactly when the rows do, or not at all.
 *
 * Tombstones leave by DynamoDB's TTL, which no code of ours sees. So a tombstone is counted under the UTC day its
 * `expiresAt` falls on (`deleted@<yyyy-mm-dd>`), and the deleted count is the tombstones that never expire
 * (`deletedKept`: a logout still pending) plus the buckets of today and later. A tombstone is thus counted until the
 * day it expires, whenever TTL gets round to removing it; the recount (`sessions counts`) uses the same rule. Past
 * buckets are ignored when read and removed by the recount's repair.
 *
 * Restrictions read from @SpamBot end on their own too: an active session limited for good counts in
 * `restrictedForever`, one limited until a date under the UTC day that date falls on (`restricted@<yyyy-mm-dd>`), so
 * the restricted count is `restrictedForever` plus the buckets of today and later: a limit counts until the end of
 * the day it ends on (the recount uses the same rule; `countActiveRestricted` in the repository is exact to the
 * second, for the daily summary).
 *
 * This file is pure: the repository does the I/O.
 */
import type { SessionStatus } from "./session";

/** The counter item's partition key (lib/tables.ts lists it as the `fleetCounter` family). */
export const FLEET_COUNTER_KEY = "COUNTS#fleet";

/** Counters of tombstones that expire on a day are named `deleted@<yyyy-mm-dd>`. */
const DELETED_BUCKET = "deleted@";
/** Counters of active sessions limited until a day are named `restricted@<yyyy-mm-dd>`. */
const RESTRICTED_BUCKET = "restricted@";
const BUCKETS = [DELETED_BUCKET, RESTRICTED_BUCKET] as const;

/** The named counters besides the tombstone buckets. */
export const FLEET_COUNTERS = [
  "active",
  "paused",
  "error",
  "deletedKept",
  "activeWithoutTwoFa",
  "pendingRevocations",
  "pendingReplacedKeys",
  "restrictedForever",
] as const;

/** What one replaced key's item (`REPLACED#`, pending from its creation until its deletion) adds to the counters. */
export const REPLACED_KEY_CONTRIBUTION: CounterDelta = { pendingReplacedKeys: 1 };

/** Counter name → amount: a row's contribution, or a change of the counter item. */
export type CounterDelta = Readonly<Record<string, number>>;

/** What of a row decides its contribution: its status, the 2FA it was last seen with, its tombstone's fate. */
export interface CountedRow {
  readonly status: SessionStatus;
  /** False when the last check read no 2FA password; undefined when never read. */
  readonly twoFaPassword?: boolean;
  readonly revocationState?: string;
  /** Epoch seconds; a tombstone's expiry (DynamoDB TTL). */
  readonly expiresAt?: number;
  /** The last @SpamBot reading's state, and until when a `limited` one lasts (ISO). */
  readonly restrictionState?: string;
  readonly restrictionUntil?: string;
}

/** The fleet as the counter item (or a recount) says. */
export interface FleetCounts {
  readonly byStatus: Record<SessionStatus, number>;
  /** Active sessions whose last check read no 2FA password. */
  readonly activeWithoutTwoFa: number;
  /**
   * Keys whose logout at Telegram is not confirmed yet: deleted sessions' keys (pending tombstones) and the old keys
   * of sessions logged in again or imported over (`pendingReplacedKeys`, included here).
   */
  readonly pendingRevocations: number;
  /** Of `pendingRevocations`, the replaced keys (`REPLACED#` items). */
  readonly pendingReplacedKeys: number;
  /** Active sessions Telegram limits, as their last @SpamBot reading says (counted until the day a limit ends). */
  readonly activeRestricted: number;
}

function utcDay(epochSeconds: number): string {
  return new Date(epochSeconds * 1000).toISOString().slice(0, 10);
}

/** The counters one row adds to (each by 1); none for no row. */
export function contributionOf(row: CountedRow | undefined): CounterDelta {
  if (!row) return {};
  switch (row.status) {
    case "deleted":
      return {
        ...(row.expiresAt === undefined
          ? { deletedKept: 1 }
          : { [DELETED_BUCKET + utcDay(row.expiresAt)]: 1 }),
        ...(row.revocationState === "pending" ? { pendingRevocations: 1 } : {}),
      };
    case "active":
      return {
        active: 1,
        ...(row.twoFaPassword === false ? { activeWithoutTwoFa: 1 } : {}),
        ...restrictedContribution(row),
      };
    default:
      return { [row.status]: 1 };
  }
}

function restrictedContribution(row: CountedRow): CounterDelta {
  if (row.restrictionState === "limited-forever") return { restrictedForever: 1 };
  if (row.restrictionState !== "limited" || row.restrictionUntil === undefined) return {};
  const until = Date.parse(row.restrictionUntil);
  return Number.isNaN(until) ? {} : { [RESTRICTED_BUCKET + utcDay(until / 1000)]: 1 };
}

/** What the counters change by when a row goes from `before` to `after` (either absent); zeros left out. */
export function counterDelta(before: CountedRow | undefined, after: CountedRow | undefined): CounterDelta {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(contributionOf(after))) out[k] = (out[k] ?? 0) + v;
  for (const [k, v] of Object.entries(contributionOf(before))) out[k] = (out[k] ?? 0) - v;
  for (const k of Object.keys(out)) if (out[k] === 0) delete out[k];
  return out;
}

/** The opposite change (a contribution leaving). */
export function negated(delta: CounterDelta): CounterDelta {
  return Object.fromEntries(Object.entries(delta).map(([k, v]) => [k, -v]));
}

export function isEmptyDelta(delta: CounterDelta): boolean {
  return Object.keys(delta).length === 0;
}

/** Sums contributions (a recount). */
export function addDelta(into: Record<string, number>, delta: CounterDelta): void {
  for (const [k, v] of Object.entries(delta)) into[k] = (into[k] ?? 0) + v;
}

/** Counter names of tombstone buckets whose day is before `now`'s UTC day (ignored; removed by a repair). */
export function isPastBucket(name: string, now: Date): boolean {
  const bucket = BUCKETS.find((b) => name.startsWith(b));
  return bucket !== undefined && name.slice(bucket.length) < now.toISOString().slice(0, 10);
}

export function isCounterName(name: string): boolean {
  return (FLEET_COUNTERS as readonly string[]).includes(name) || BUCKETS.some((b) => name.startsWith(b));
}

/** The counters that come from a row's @SpamBot reading (what `recountRestricted` recounts). */
export function isRestrictedCounter(name: string): boolean {
  return name === "restrictedForever" || name.startsWith(RESTRICTED_BUCKET);
}

/** The counters that matter at `now` (past buckets dropped, zeros dropped): what a recount is compared with. */
export function liveCounters(item: Record<string, unknown> | undefined, now: Date): Record<string, number> {
  const out: Record<string, number> = {};
  for (const [k, v] of Object.entries(item ?? {})) {
    if (!isCounterName(k) || isPastBucket(k, now) || typeof v !== "number" || v === 0) continue;
    out[k] = v;
  }
  return out;
}

/** The counts an operator sees, from the counters. */
export function fleetCountsOf(counters: Record<string, number>, now: Date): FleetCounts {
  const n = (k: string) => counters[k] ?? 0;
  let deleted = n("deletedKept");
  let restricted = n("restrictedForever");
  for (const [k, v] of Object.entries(counters)) {
    if (isPastBucket(k, now)) continue;
    if (k.startsWith(DELETED_BUCKET)) deleted += v;
    if (k.startsWith(RESTRICTED_BUCKET)) restricted += v;
  }
  return {
    byStatus: { active: n("active"), paused: n("paused"), error: n("error"), deleted },
    activeWithoutTwoFa: n("activeWithoutTwoFa"),
    pendingRevocations: n("pendingRevocations") + n("pendingReplacedKeys"),
    pendingReplacedKeys: n("pendingReplacedKeys"),
    activeRestricted: restricted,
  };
}

/**
 * The transaction item that adds `delta` to the counter item (created on first use). Put it in the same
 * TransactWriteItems as the row's change, whose condition pins the version the delta was computed from.
 */
export function counterUpdate(
  tableName: string,
  delta: CounterDelta,
): {
  Update: {
    TableName: string;
    Key: Record<string, unknown>;
    UpdateExpression: string;
    ExpressionAttributeNames: Record<string, string>;
    ExpressionAttributeValues: Record<string, unknown>;
  };
} {
  const names: Record<string, string> = { "#rev": "revision" };
  const values: Record<string, unknown> = { ":one": 1 };
  const adds = ["#rev :one"];
  Object.entries(delta).forEach(([k, v], i) => {
    names[`#c${i}`] = k;
    values[`:c${i}`] = v;
    adds.push(`#c${i} :c${i}`);
  });
  return {
    Update: {
      TableName: tableName,
      Key: { phone: FLEET_COUNTER_KEY },
      // `revision` counts the changes, so a recount can tell whether the fleet moved while it read.
      UpdateExpression: `ADD ${adds.join(", ")}`,
      ExpressionAttributeNames: names,
      ExpressionAttributeValues: values,
    },
  };
}
