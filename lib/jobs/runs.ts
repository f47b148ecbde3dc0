/**
 * The bookkeeping of one health check run, in the bot-state table, so one summary can be sent for a run spread over
 * many worker invocations.
 *
 * Why this design (and not a summary step scheduled later): the run's end is known exactly, without guessing a
 * delay. Items under `pk = "RUN#<runId>"`:
 *   - `sk = "RUN"`: counters. The dispatcher adds `queued` page by page and sets `dispatchComplete` at the end; each
 *     worker adds one outcome per session (`processed` + `healthy`/`failed`/…).
 *   - `sk = "CHECKED#<phone>"`: written in the same transaction as the counters, conditional on not existing, so a
 *     message delivered twice (SQS is at-least-once) is counted once and its second delivery is not even checked.
 *   - `sk = "NOTE#<phone>"`: a session the admins must hear about (newly failed, or given up), with the reason.
 * Whoever sees the run complete (`dispatchComplete` and `processed >= queued`: the worker batch that counted the
 * last message, or the dispatcher when the workers were faster) claims the summary with a conditional write on
 * `summaryClaimedAt`; only one claim can succeed, so the admins get exactly one summary. If sending it fails the
 * claim is released and the batch is retried, which tries again.
 * A run that never completes (the dispatcher died half-way, a message vanished) would never be summarised; so each
 * dispatch first closes the runs started more than `CLOSE_UNFINISHED_RUN_AFTER_MS` before it that are still open,
 * found through `pk = "RUNS"`, and the admins get that run's summary marked unfinished.
 * The run's record and its entry in the list expire after `RUN_RETENTION_DAYS` (90): `finish` writes the fleet per
 * status into it, so the records are the fleet's history (`sessions history`, the fleet chart). The per-session
 * marks expire after `RUN_MARK_RETENTION_DAYS`. A run done in one process (`checkAll`: `sessions check --all`, the
 * dev runner) is written whole at its end by `recordFinished`, so it shows in the history like a scheduled one.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  BatchGetCommand,
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from "@aws-sdk/lib-dynamodb";
import type { Phone } from "../sessions/phone";
import type { SessionStatus } from "../sessions/session";
import { RUN_MARK_RETENTION_DAYS, RUN_RETENTION_DAYS } from "./scale";
import {
  emptyCounts,
  type FrozenSessionNote,
  type NewLoginNote,
  type HealthCheckSummary,
  type RunCounts,
  type RunOutcome,
  type SessionNeedingAttention,
} from "./summary";
import { firstConditionFailed } from "../dynamo";
import { BOT_STATE_ITEMS, itemKey } from "../tables";

export interface RunRecord extends Omit<RunCounts, "frozen"> {
  /** Absent on a run started before frozen accounts were counted. */
  readonly frozen?: number;
  readonly runId: string;
  readonly startedAt: string;
  readonly queued: number;
  readonly notQueuedFloodWait: number;
  readonly notQueuedLeased: number;
  readonly dispatchComplete: boolean;
  readonly processed: number;
  readonly summaryClaimedAt?: string;
  readonly summarySentAt?: string;
  /** When the summary step ended (absent while the run is open). */
  readonly finishedAt?: string;
  /** Whether the admins were sent a summary. */
  readonly notified?: boolean;
  /** The fleet per status when the run ended; absent on runs finished before this was recorded. */
  readonly fleet?: Readonly<Record<SessionStatus, number>>;
  /** Where it ran: "schedule" (dispatcher and workers; also the default when absent) or "local" (`checkAll`). */
  readonly source?: "schedule" | "local";
}

export interface RunLookup {
  /** False when no such run exists (expired, or the message was not written by our dispatcher). */
  readonly known: boolean;
  /** True when this session's outcome is already counted in the run. */
  readonly counted: boolean;
  /** When the run started ("" for an unknown run). */
  readonly startedAt: string;
}

const RUN_SK = "RUN";
/** Records read in parallel by `recent({ read: "items" })`. */
const RECORDS_READ_AT_ONCE = 10;
/** `pk = "RUNS"`, `sk = "<startedAt>#<runId>"`: every run, in the order they started. */
const RUNS_PK = itemKey(BOT_STATE_ITEMS.runList);
const runKey = (runId: string) => itemKey(BOT_STATE_ITEMS.run, runId);

/** Where a run stands: the dispatcher's counters and the workers' outcomes. */
interface RunTally {
  readonly queued: number;
  readonly notQueued: { readonly floodWait: number; readonly leased: number };
  readonly dispatchComplete: boolean;
  readonly processed: number;
  readonly counts: RunCounts;
}

/**
 * The run's record item (`sk = "RUN"`), one shape for a run opened by `start` (all counters zero) and one written
 * whole by `recordFinished`; `extra` adds what a finished run has.
 */
function runItem(
  runId: string,
  startedAt: string,
  expiresAt: number,
  tally: RunTally,
  extra: Record<string, unknown> = {},
): Record<string, unknown> {
  const c = tally.counts;
  return {
    pk: runKey(runId),
    sk: RUN_SK,
    runId,
    startedAt,
    queued: tally.queued,
    notQueuedFloodWait: tally.notQueued.floodWait,
    notQueuedLeased: tally.notQueued.leased,
    dispatchComplete: tally.dispatchComplete,
    processed: tally.processed,
    checked: c.checked,
    healthy: c.healthy,
    failed: c.failed,
    floodWaited: c.floodWaited,
    transient: c.transient,
    frozen: c.frozen,
    skipped: c.skipped,
    gaveUp: c.gaveUp,
    ...extra,
    expiresAt,
  };
}

/** The run's entry in the list of runs (`pk = "RUNS"`), in the order they started. */
function runListItem(runId: string, startedAt: string, expiresAt: number): Record<string, unknown> {
  return { pk: RUNS_PK, sk: `${startedAt}#${runId}`, runId, startedAt, expiresAt };
}

/** What a finished run's record says: when, whether the admins were told, and the fleet as it ended (if known). */
function finishedFields(
  finishedAt: string,
  notified: boolean,
  fleet?: Readonly<Record<SessionStatus, number>>,
): Record<string, unknown> {
  return { finishedAt, notified, ...(fleet ? { fleet: { ...fleet } } : {}) };
}

export class HealthCheckRuns {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private expiresAt(days = RUN_RETENTION_DAYS): number {
    return Math.floor(this.now().getTime() / 1000) + days * 86_400;
  }

  /**
   * Opens a run. False when it already exists: the same schedule event was delivered twice. The run and its entry in
   * the list of runs are written in one transaction: a run opened without its list entry would never be closed by a
   * later dispatch, and the retried schedule event (seeing the run exists) would send nothing, so that day's run
   * would pass in silence.
   */
  async start(runId: string): Promise<boolean> {
    const startedAt = this.now().toISOString();
    const expiresAt = this.expiresAt();
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: runItem(runId, startedAt, expiresAt, {
                  queued: 0,
                  notQueued: { floodWait: 0, leased: 0 },
                  dispatchComplete: false,
                  processed: 0,
                  counts: emptyCounts(),
                }),
                ConditionExpression: "attribute_not_exists(pk)",
              },
            },
            // The list of runs, newest last, so the next dispatch can find one that never ended.
            { Put: { TableName: this.tableName, Item: runListItem(runId, startedAt, expiresAt) } },
          ],
        }),
      );
      return true;
    } catch (err) {
      if (firstConditionFailed(err)) {
        return false;
      }
      throw err;
    }
  }

  /** The runs started before `before`, newest first, at most `limit`. */
  async startedBefore(before: Date, limit: number): Promise<string[]> {
    const out = await this.doc.send(
      new QueryCommand({
        TableName: this.tableName,
        KeyConditionExpression: "pk = :pk AND sk < :before",
        ExpressionAttributeValues: { ":pk": RUNS_PK, ":before": before.toISOString() },
        ScanIndexForward: false,
        Limit: limit,
      }),
    );
    return (out.Items ?? []).map((item) => String(item.runId));
  }

  /** Adds one dispatched page. Called after its messages are on the queue, so `queued` never over-counts. */
  async addQueued(runId: string, page: { queued: number; floodWait: number; leased: number }): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: runKey(runId), sk: RUN_SK },
        UpdateExpression: "ADD #queued :q, #floodWait :f, #leased :l",
        ExpressionAttributeNames: {
          "#queued": "queued",
          "#floodWait": "notQueuedFloodWait",
          "#leased": "notQueuedLeased",
        },
        ExpressionAttributeValues: { ":q": page.queued, ":f": page.floodWait, ":l": page.leased },
        ConditionExpression: "attribute_exists(pk)",
      }),
    );
  }

  async completeDispatch(runId: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: runKey(runId), sk: RUN_SK },
        UpdateExpression: "SET #complete = :true, #at = :now",
        ExpressionAttributeNames: { "#complete": "dispatchComplete", "#at": "dispatchedAt" },
        ExpressionAttributeValues: { ":true": true, ":now": this.now().toISOString() },
        ConditionExpression: "attribute_exists(pk)",
      }),
    );
  }

  async get(runId: string): Promise<RunRecord | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: runKey(runId), sk: RUN_SK },
        ConsistentRead: true,
      }),
    );
    return out.Item as RunRecord | undefined;
  }

  async lookup(runId: string, phone: Phone): Promise<RunLookup> {
    const [run, marker] = await Promise.all([
      this.doc.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { pk: runKey(runId), sk: RUN_SK },
          ConsistentRead: true,
          ProjectionExpression: "pk, startedAt",
        }),
      ),
      this.doc.send(
        new GetCommand({
          TableName: this.tableName,
          Key: { pk: runKey(runId), sk: `CHECKED#${phone}` },
          ConsistentRead: true,
          ProjectionExpression: "pk",
        }),
      ),
    ]);
    return {
      known: run.Item !== undefined,
      counted: marker.Item !== undefined,
      startedAt: typeof run.Item?.startedAt === "string" ? run.Item.startedAt : "",
    };
  }

  /**
   * Counts one session's outcome, once. Returns false when it was already counted (a duplicate delivery).
   * `note` is kept for the summary (newly failed, newly frozen, given up), and so is each of `newLogins` (at most
   * a few per session: `NEW_LOGINS_PER_SESSION`), in the same transaction: counted once, told once.
   */
  async count(
    runId: string,
    phone: Phone,
    outcome: RunOutcome,
    note?: SessionNeedingAttention,
    newLogins: readonly NewLoginNote[] = [],
  ): Promise<boolean> {
    const pk = runKey(runId);
    const at = this.now().toISOString();
    const expiresAt = this.expiresAt(RUN_MARK_RETENTION_DAYS);
    const reachedTelegram = outcome !== "skipped" && outcome !== "gaveUp";
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: { pk, sk: `CHECKED#${phone}`, outcome, at, expiresAt },
                ConditionExpression: "attribute_not_exists(pk)",
              },
            },
            {
              Update: {
                TableName: this.tableName,
                Key: { pk, sk: RUN_SK },
                UpdateExpression: "ADD #processed :one, #outcome :one, #checked :reached",
                ExpressionAttributeNames: {
                  "#processed": "processed",
                  "#outcome": outcome,
                  "#checked": "checked",
                },
                ExpressionAttributeValues: { ":one": 1, ":reached": reachedTelegram ? 1 : 0 },
                ConditionExpression: "attribute_exists(pk)",
              },
            },
            ...(note
              ? [
                  {
                    Put: {
                      TableName: this.tableName,
                      Item: { pk, sk: `NOTE#${phone}`, outcome, ...note, at, expiresAt },
                    },
                  },
                ]
              : []),
            ...newLogins.map((login) => ({
              Put: {
                TableName: this.tableName,
                Item: {
                  pk,
                  sk: `NOTE#${phone}#login#${login.hash}`,
                  kind: "new-login",
                  ...login,
                  at,
                  expiresAt,
                },
              },
            })),
          ],
        }),
      );
      return true;
    } catch (err) {
      if (firstConditionFailed(err)) {
        return false;
      }
      throw err;
    }
  }

  /**
   * Takes the right to send the run's summary, if the run is complete and nobody took it. Returns the run's
   * counters to the one caller that got it; `undefined` to everyone else.
   */
  async claimSummary(runId: string, options: { unfinished?: boolean } = {}): Promise<RunRecord | undefined> {
    // `unfinished`: the run is closed as it stands (it never completed), so only "nobody claimed it" is required.
    const complete = options.unfinished ? "" : " AND #complete = :true AND #processed >= #queued";
    try {
      const out = await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: runKey(runId), sk: RUN_SK },
          UpdateExpression: "SET #claimed = :now",
          ConditionExpression: `attribute_exists(pk) AND attribute_not_exists(#claimed)${complete}`,
          ExpressionAttributeNames: {
            "#claimed": "summaryClaimedAt",
            ...(complete
              ? { "#complete": "dispatchComplete", "#processed": "processed", "#queued": "queued" }
              : {}),
          },
          ExpressionAttributeValues: {
            ":now": this.now().toISOString(),
            ...(complete ? { ":true": true } : {}),
          },
          ReturnValues: "ALL_NEW",
        }),
      );
      return out.Attributes as RunRecord;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return undefined;
      throw err;
    }
  }

  /** Gives the claim back after the summary could not be sent, so a retry can send it. */
  async releaseSummary(runId: string): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: runKey(runId), sk: RUN_SK },
        UpdateExpression: "REMOVE #claimed",
        ExpressionAttributeNames: { "#claimed": "summaryClaimedAt" },
      }),
    );
  }

  /**
   * Marks the run finished; `notified` says whether the admins were told (false when nothing needed them). `fleet`,
   * the sessions per status as the run ended, makes the record a point of the fleet's history.
   */
  async finish(
    runId: string,
    notified: boolean,
    fleet?: Readonly<Record<SessionStatus, number>>,
  ): Promise<void> {
    const fields = Object.entries(finishedFields(this.now().toISOString(), notified, fleet));
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: runKey(runId), sk: RUN_SK },
        UpdateExpression: `SET ${fields.map(([k]) => `#${k} = :${k}`).join(", ")}`,
        ExpressionAttributeNames: Object.fromEntries(fields.map(([k]) => [`#${k}`, k])),
        ExpressionAttributeValues: Object.fromEntries(fields.map(([k, v]) => [`:${k}`, v])),
      }),
    );
  }

  /**
   * Writes a run done in one process (`checkAll`) whole, after the fact: complete, its summary claimed (so no
   * dispatch ever closes it as unfinished), with the fleet as it ended. Same list, same record shape as a scheduled
   * run, so the history and the chart need not tell them apart.
   */
  async recordFinished(summary: HealthCheckSummary, notified = false): Promise<void> {
    const { runId, startedAt, finishedAt } = summary;
    const expiresAt = this.expiresAt();
    await this.doc.send(
      new TransactWriteCommand({
        TransactItems: [
          {
            Put: {
              TableName: this.tableName,
              Item: runItem(
                runId,
                startedAt,
                expiresAt,
                {
                  queued: summary.queued,
                  notQueued: summary.notQueued,
                  dispatchComplete: true,
                  processed: summary.queued,
                  counts: summary.counts,
                },
                {
                  summaryClaimedAt: finishedAt,
                  ...finishedFields(finishedAt, notified, summary.fleet),
                  source: "local",
                },
              ),
            },
          },
          { Put: { TableName: this.tableName, Item: runListItem(runId, startedAt, expiresAt) } },
        ],
      }),
    );
  }

  /**
   * The runs started since `since` (all kept ones when absent), newest first, at most `limit`: the list, then the
   * records in batches of 100. A listed run whose record is gone (expired a moment apart) is left out.
   * `read: "items"` reads each record with its own GetItem instead (a few at a time): for a role granted item reads
   * only (the AdminBot's 📈 Fleet; infra/constructs/table-access.ts grants no batches), at the same read units.
   */
  async recent(options: { limit: number; since?: Date; read?: "batch" | "items" }): Promise<RunRecord[]> {
    const ids: { runId: string; startedAt: string }[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: options.since ? "pk = :pk AND sk >= :since" : "pk = :pk",
          ExpressionAttributeValues: {
            ":pk": RUNS_PK,
            ...(options.since ? { ":since": options.since.toISOString() } : {}),
          },
          ScanIndexForward: false,
          Limit: Math.min(options.limit - ids.length, 500),
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? [])
        ids.push({ runId: String(item.runId), startedAt: String(item.startedAt) });
      start = out.LastEvaluatedKey;
    } while (start && ids.length < options.limit);
    const records = new Map<string, RunRecord>();
    if (options.read === "items") {
      for (let i = 0; i < ids.length; i += RECORDS_READ_AT_ONCE) {
        const items = await Promise.all(
          ids
            .slice(i, i + RECORDS_READ_AT_ONCE)
            .map(({ runId }) =>
              this.doc.send(
                new GetCommand({ TableName: this.tableName, Key: { pk: runKey(runId), sk: RUN_SK } }),
              ),
            ),
        );
        for (const { Item: item } of items) {
          if (!item) continue;
          const { pk: _pk, sk: _sk, expiresAt: _e, ...record } = item;
          records.set(String(item.runId), record as RunRecord);
        }
      }
    }
    for (let i = 0; options.read !== "items" && i < ids.length; i += 100) {
      let keys: Record<string, unknown>[] | undefined = ids
        .slice(i, i + 100)
        .map(({ runId }) => ({ pk: runKey(runId), sk: RUN_SK }));
      // Unprocessed keys (throttling) are asked again, a few times.
      for (let attempt = 0; keys && keys.length > 0 && attempt < 5; attempt++) {
        const out = await this.doc.send(
          new BatchGetCommand({ RequestItems: { [this.tableName]: { Keys: keys } } }),
        );
        for (const item of out.Responses?.[this.tableName] ?? []) {
          const { pk: _pk, sk: _sk, expiresAt: _e, ...record } = item;
          records.set(String(item.runId), record as RunRecord);
        }
        keys = out.UnprocessedKeys?.[this.tableName]?.Keys as Record<string, unknown>[] | undefined;
      }
    }
    return ids.flatMap(({ runId }) => {
      const r = records.get(runId);
      return r ? [r] : [];
    });
  }

  /** The sessions the run noted for the admins, by outcome. */
  async notes(runId: string): Promise<{
    failed: SessionNeedingAttention[];
    gaveUp: SessionNeedingAttention[];
    frozen: FrozenSessionNote[];
    newLogins: NewLoginNote[];
  }> {
    const newLogins: NewLoginNote[] = [];
    const failed: SessionNeedingAttention[] = [];
    const gaveUp: SessionNeedingAttention[] = [];
    const frozen: FrozenSessionNote[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "pk = :pk AND begins_with(sk, :note)",
          ExpressionAttributeValues: { ":pk": runKey(runId), ":note": "NOTE#" },
          ConsistentRead: true,
          ExclusiveStartKey: start,
        }),
      );
      for (const item of out.Items ?? []) {
        if (item.kind === "new-login") {
          newLogins.push({
            phone: item.phone as Phone,
            hash: String(item.hash),
            device: String(item.device),
            app: String(item.app),
            place: String(item.place),
            officialApp: item.officialApp === true,
            ...(typeof item.endPossibleFrom === "string" ? { endPossibleFrom: item.endPossibleFrom } : {}),
          });
          continue;
        }
        const note = { phone: item.phone as Phone, code: String(item.code), reason: String(item.reason) };
        if (item.outcome === "frozen") {
          frozen.push({
            ...note,
            ...(typeof item.until === "string" ? { until: item.until } : {}),
            ...(typeof item.appealUrl === "string" ? { appealUrl: item.appealUrl } : {}),
          });
        } else (item.outcome === "gaveUp" ? gaveUp : failed).push(note);
      }
      start = out.LastEvaluatedKey;
    } while (start);
    return { failed, gaveUp, frozen, newLogins };
  }
}
