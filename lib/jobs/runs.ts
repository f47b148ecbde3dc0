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
 * Everything expires after `RUN_RETENTION_DAYS`.
 */
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import {
  GetCommand,
  QueryCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from "@aws-sdk/lib-dynamodb";
import type { Phone } from "../sessions/phone";
import { RUN_RETENTION_DAYS } from "./scale";
import type { FrozenSessionNote, RunCounts, RunOutcome, SessionNeedingAttention } from "./summary";
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
/** `pk = "RUNS"`, `sk = "<startedAt>#<runId>"`: every run, in the order they started. */
const RUNS_PK = itemKey(BOT_STATE_ITEMS.runList);
const runKey = (runId: string) => itemKey(BOT_STATE_ITEMS.run, runId);

export class HealthCheckRuns {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  private expiresAt(): number {
    return Math.floor(this.now().getTime() / 1000) + RUN_RETENTION_DAYS * 86_400;
  }

  /**
   * Opens a run. False when it already exists: the same schedule event was delivered twice. The run and its entry in
   * the list of runs are written in one transaction: a run opened without its list entry would never be closed by a
   * later dispatch, and the retried schedule event (seeing the run exists) would send nothing, so that day's run
   * would pass in silence.
   */
  async start(runId: string): Promise<boolean> {
    const startedAt = this.now().toISOString();
    try {
      await this.doc.send(
        new TransactWriteCommand({
          TransactItems: [
            {
              Put: {
                TableName: this.tableName,
                Item: {
                  pk: runKey(runId),
                  sk: RUN_SK,
                  runId,
                  startedAt,
                  queued: 0,
                  notQueuedFloodWait: 0,
                  notQueuedLeased: 0,
                  dispatchComplete: false,
                  processed: 0,
                  checked: 0,
                  healthy: 0,
                  failed: 0,
                  floodWaited: 0,
                  transient: 0,
                  frozen: 0,
                  skipped: 0,
                  gaveUp: 0,
                  expiresAt: this.expiresAt(),
                },
                ConditionExpression: "attribute_not_exists(pk)",
              },
            },
            {
              // The list of runs, newest last, so the next dispatch can find one that never ended.
              Put: {
                TableName: this.tableName,
                Item: {
                  pk: RUNS_PK,
                  sk: `${startedAt}#${runId}`,
                  runId,
                  startedAt,
                  expiresAt: this.expiresAt(),
                },
              },
            },
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
   * `note` is kept for the summary (newly failed, newly frozen, given up).
   */
  async count(
    runId: string,
    phone: Phone,
    outcome: RunOutcome,
    note?: SessionNeedingAttention,
  ): Promise<boolean> {
    const pk = runKey(runId);
    const at = this.now().toISOString();
    const expiresAt = this.expiresAt();
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

  /** Marks the run finished; `notified` says whether the admins were told (false when nothing needed them). */
  async finish(runId: string, notified: boolean): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: runKey(runId), sk: RUN_SK },
        UpdateExpression: "SET #finished = :now, #notified = :notified",
        ExpressionAttributeNames: { "#finished": "finishedAt", "#notified": "notified" },
        ExpressionAttributeValues: { ":now": this.now().toISOString(), ":notified": notified },
      }),
    );
  }

  /** The sessions the run noted for the admins, by outcome. */
  async notes(runId: string): Promise<{
    failed: SessionNeedingAttention[];
    gaveUp: SessionNeedingAttention[];
    frozen: FrozenSessionNote[];
  }> {
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
    return { failed, gaveUp, frozen };
  }
}
