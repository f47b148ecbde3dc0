/**
 * The audit trail: who did what to which session, when. Items live in the bot-state table under
 * `pk = "AUDIT#<yyyy-mm-dd>"`, `sk = <iso time>#<random>`, and expire after `AUDIT_RETENTION_DAYS`.
 */
import { randomBytes } from "node:crypto";
import { PutCommand, QueryCommand, type DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { BOT_STATE_ITEMS, itemKey } from "../tables";

export const AUDIT_RETENTION_DAYS = 365;

export type AuditAction =
  | "session.created"
  | "session.relogin"
  | "session.imported"
  | "session.paused"
  | "session.resumed"
  | "session.deleted"
  /**
   * A logout at Telegram of a deleted session's pending key, or of a replaced key (a phone logged in again or
   * imported over): settled, still pending, or given up.
   */
  | "session.logout"
  | "session.failed"
  | "session.checked"
  | "session.proxy-set"
  | "session.proxy-cleared"
  | "session.identity-changed"
  | "session.device-ended"
  | "session.devices-ended"
  | "session.2fa-set"
  | "session.2fa-set"
  | "cleanup.deleted"
  | "admin.added"
  | "admin.removed";

/**
 * Who did something, as the audit trail, a login flow's owner and a lease owner name them. Built only here, so the
 * bot, the Mini App and the CLI cannot drift apart on the spelling (a QR login started in the chat is continued from
 * the Mini App because both say `tg:<id>`).
 */
export function telegramActor(userId: string): string {
  return `tg:${userId}`;
}

/** The operator at a terminal, by their OS user name. */
export function cliActor(osUser: string): string {
  return `cli:${osUser}`;
}

export interface AuditEntry {
  readonly at: string;
  readonly action: AuditAction;
  /** `telegramActor` ("tg:<user id>"), `cliActor` ("cli:<os user>"), "schedule:<job>". */
  readonly actor: string;
  readonly phone?: string;
  readonly detail?: string;
}

/** A put of one audit item, as `TransactWriteItems` or `PutItem` takes it. */
export interface AuditPut {
  readonly TableName: string;
  readonly Item: Record<string, unknown>;
}

export class AuditLog {
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly now: () => Date = () => new Date(),
  ) {}

  async record(entry: Omit<AuditEntry, "at">): Promise<AuditEntry> {
    const { put, entry: full } = this.prepare(entry);
    await this.doc.send(new PutCommand(put));
    return full;
  }

  /**
   * The write `record` would make, without making it: for a caller that must write the entry in one transaction
   * with the change it describes (cleanup's delete), so neither can happen without the other.
   */
  prepare(entry: Omit<AuditEntry, "at">): { put: AuditPut; entry: AuditEntry } {
    const at = this.now();
    const full: AuditEntry = { at: at.toISOString(), ...entry };
    return {
      entry: full,
      put: {
        TableName: this.tableName,
        Item: {
          pk: itemKey(BOT_STATE_ITEMS.audit, full.at.slice(0, 10)),
          sk: `${full.at}#${randomBytes(4).toString("hex")}`,
          ...full,
          expiresAt: Math.floor(at.getTime() / 1000) + AUDIT_RETENTION_DAYS * 86_400,
        },
      },
    };
  }

  /** Entries of one UTC day, oldest first (every page: a busy day is more than one). */
  async day(date: string): Promise<AuditEntry[]> {
    const entries: AuditEntry[] = [];
    let start: Record<string, unknown> | undefined;
    do {
      const out = await this.doc.send(
        new QueryCommand({
          TableName: this.tableName,
          KeyConditionExpression: "pk = :pk",
          ExpressionAttributeValues: { ":pk": itemKey(BOT_STATE_ITEMS.audit, date) },
          ExclusiveStartKey: start,
        }),
      );
      for (const { at, action, actor, phone, detail } of (out.Items ?? []) as AuditEntry[])
        entries.push({ at, action, actor, ...(phone ? { phone } : {}), ...(detail ? { detail } : {}) });
      start = out.LastEvaluatedKey;
    } while (start);
    return entries;
  }

  /** Entries from `since` to now, newest first: one query per UTC day (the trail is kept by day), a few at a time. */
  async since(since: Date): Promise<AuditEntry[]> {
    const days: string[] = [];
    const today = this.now().toISOString().slice(0, 10);
    for (
      let d = new Date(`${since.toISOString().slice(0, 10)}T00:00:00Z`);
      ;
      d = new Date(d.getTime() + 86_400_000)
    ) {
      const day = d.toISOString().slice(0, 10);
      days.push(day);
      if (day >= today) break;
    }
    const perDay: AuditEntry[][] = [];
    for (let i = 0; i < days.length; i += 8)
      perDay.push(...(await Promise.all(days.slice(i, i + 8).map((day) => this.day(day)))));
    const from = since.toISOString();
    return perDay
      .flat()
      .filter((e) => e.at >= from)
      .reverse();
  }
}
