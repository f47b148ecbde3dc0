/**
 * The record of each cleanup that deleted for real (a dry run changes nothing and leaves none), for
 * `sessions history` and `sessions status`. Items under `pk = "CLEANUPS"`, `sk = "<startedAt>#<random>"`, newest
 * read first; they expire with the health check's run records (`RUN_RETENTION_DAYS`).
 */
import { randomBytes } from "node:crypto";
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import type { SessionStatus } from "../sessions/session";
import { BOT_STATE_ITEMS, itemKey } from "../tables";
import { RUN_RETENTION_DAYS } from "./scale";

export interface CleanupRecord {
  readonly startedAt: string;
  readonly finishedAt: string;
  /** Who ran it: "schedule:cleanup", "cli:<user>", "dev:cleanup". */
  readonly actor: string;
  readonly olderThanDays: number;
  readonly deleted: number;
  /** Listed as old errors but changed before the delete: kept. */
  readonly kept: number;
  /** The fleet per status after the cleanup. */
  readonly fleet: Readonly<Record<SessionStatus, number>>;
}

const PK = itemKey(BOT_STATE_ITEMS.cleanupList);

export class CleanupLog {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async record(record: CleanupRecord): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: PK,
          sk: `${record.startedAt}#${randomBytes(3).toString("hex")}`,
          ...record,
          fleet: { ...record.fleet },
          expiresAt: Math.floor(this.now().getTime() / 1000) + RUN_RETENTION_DAYS * 86_400,
        },
      }),
    );
  }

  /** The cleanups started since `since` (all kept ones when absent), newest first, at most `limit`. */
  async recent(options: { limit: number; since?: Date }): Promise<CleanupRecord[]> {
    const out: CleanupRecord[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const page = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: options.since ? "pk = :pk AND sk >= :since" : "pk = :pk",
          ExpressionAttributeValues: {
            ":pk": PK,
            ...(options.since ? { ":since": options.since.toISOString() } : {}),
          },
          ScanIndexForward: false,
          Limit: Math.min(options.limit - out.length, 500),
          ExclusiveStartKey: start,
        }),
      );
      for (const item of page.Items ?? []) {
        const { pk: _pk, sk: _sk, expiresAt: _e, ...record } = item;
        out.push(record as CleanupRecord);
      }
      start = page.LastEvaluatedKey;
    } while (start && out.length < options.limit);
    return out;
  }
}
