/**
 * The bot's own short-lived state in the bot-state table. Every item here carries `expiresAt` (epoch seconds) so
 * DynamoDB's TTL removes it; TTL deletion may lag by a day, so reads also compare a logical expiry themselves.
 *
 *   UPDATE#<bot id>#<update_id> / update   processed-once marker: IN_PROGRESS (lockedUntil) → COMPLETED, kept 24 h
 *   STRANGER#<user id> / refusal   "refused this stranger within the hour", kept 1 h
 *   PAGE#<id>          / page      a list page's start cursor, referenced by an 8-character id in callback data
 *                                  (read only: written by earlier versions, gone within a day by TTL)
 *   INPUT#<admin id>   / input     what this admin's next text message means (phone, code, password, QR, admin id);
 *                                  the keypad's digits entered so far, encrypted like a login flow (`digitsCiphertext`)
 *   BOTINFO            / me        the bot's own getMe, cached so no cold start calls getMe
 */
import {
  ConditionalCheckFailedException,
  TransactionCanceledException,
  type AttributeValue,
} from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from "@aws-sdk/lib-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import type { UserFromGetMe } from "grammy/types";
import type { Phone } from "../sessions/phone";
import type { SessionStatus } from "../sessions/session";
import type { EnvelopeCipher, SecretContext } from "../crypto/envelope";
import { BOT_STATE_ITEMS, itemKey } from "../tables";
import type { TransactionItem } from "./admins";

/** How long a crashed invocation's marker blocks a retry of the same update. */
export const UPDATE_LOCK_SECONDS = 60;
/** Telegram keeps undelivered updates for 24 h; after that no duplicate can arrive. */
export const UPDATE_KEEP_SECONDS = 24 * 3600;
export const STRANGER_QUIET_SECONDS = 3600;
export const PAGE_KEEP_SECONDS = 24 * 3600;
/** How long the bot waits for a phone number or an admin id before the step expires. */
export const INPUT_WAIT_SECONDS = 10 * 60;

/**
 * Update ids are unique per bot (and per Bot API server), not per table: a table that served another bot, or a local
 * Bot API server whose ids restart at 1, must not turn this bot's updates away as duplicates. The bot's id is the
 * numeric prefix of its token.
 */
export interface UpdateRef {
  readonly botId: number;
  readonly updateId: number;
}
const updateKey = ({ botId, updateId }: UpdateRef) => itemKey(BOT_STATE_ITEMS.update, `${botId}#${updateId}`);
const inputKey = (adminId: string) => itemKey(BOT_STATE_ITEMS.input, adminId);

export type UpdateClaim = "claimed" | "done" | "busy";
/** A claim that carried a check: the check failed (nothing was written), with the item it found, if any. */
export type CheckedClaim =
  UpdateClaim | { readonly checkFailed: true; readonly found?: Record<string, unknown> };

/** Two updates of one admin at once both check the admin's item: DynamoDB may cancel one; it is tried again. */
const CONFLICT_RETRIES = 3;

export interface StoredPage {
  readonly status: SessionStatus;
  /** The repository's cursor for the first item of this page. */
  readonly cursor: string;
  readonly page: number;
  /** The id of the previous page's item; absent when the previous page is the first. */
  readonly prev?: string;
}

/** What the admin's next text message means. */
export type PendingInput =
  | { readonly kind: "phone" }
  | {
      readonly kind: "code";
      readonly phone: Phone;
      /** How many digits Telegram's code has, when it said: the keypad shows that many dots. */
      readonly length?: number;
      /**
       * The digits entered on the keypad so far, as read (decrypted). A secret: never logged, never shown (the keypad
       * shows dots), stored only encrypted like a login flow (the item keeps them until a day after the step
       * expires, and backups keep the item), and gone on submit and cancel.
       */
      readonly digits?: string;
      /** Which write of the digits this read saw: `setCodeDigits` replaces them only if nothing wrote since. */
      readonly digitsRev?: number;
      /** Set by /cancel: the step is over, but a code typed after it must still be deleted from the chat. */
      readonly cancelled?: true;
    }
  | { readonly kind: "password"; readonly phone: Phone; readonly cancelled?: true }
  /** A QR code is shown; the login waits for the scan (the "I scanned it" button). */
  | { readonly kind: "qr" }
  /** The QR login was scanned and waits for the account's 2FA password (form or chat). */
  | { readonly kind: "qr-password"; readonly cancelled?: true }
  | { readonly kind: "admin-id" };

export type PendingRead =
  | { readonly state: "none" }
  | { readonly state: "expired"; readonly input: PendingInput }
  | { readonly state: "waiting"; readonly input: PendingInput };

export class ChatMemory {
  /** `cipher` encrypts the keypad's digits (a login secret), bound to the admin's item. */
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly cipher: EnvelopeCipher,
    private readonly now: () => Date = () => new Date(),
  ) {}

  /** The keypad digits' encryption context: a login's secret, bound to this admin's item. */
  private static digitsContext(adminId: string): SecretContext {
    return { purpose: "login", id: `keypad:${adminId}` };
  }

  private seconds(): number {
    return Math.floor(this.now().getTime() / 1000);
  }

  // ------------------------------------------------------------ processed-once updates

  /**
   * Claims an update for processing. `done`: already processed, skip it. `busy`: another invocation holds it (or
   * crashed less than `UPDATE_LOCK_SECONDS` ago): answer non-2xx so Telegram retries later. A claim whose lock
   * expired is taken over, so a crash never makes Telegram's retry skip the update forever.
   */
  async claimUpdate(update: UpdateRef): Promise<UpdateClaim>;
  /**
   * The same claim in one transaction with `check` (a condition on another item, e.g. "this admin is unchanged"):
   * claimed only if the check holds; if it does not, nothing is written and the item it found is returned.
   */
  async claimUpdate(update: UpdateRef, check: TransactionItem): Promise<CheckedClaim>;
  async claimUpdate(update: UpdateRef, check?: TransactionItem): Promise<CheckedClaim> {
    const now = this.seconds();
    const put = {
      TableName: this.tableName,
      Item: {
        pk: updateKey(update),
        sk: "update",
        state: "IN_PROGRESS",
        lockedUntil: now + UPDATE_LOCK_SECONDS,
        expiresAt: now + UPDATE_KEEP_SECONDS,
      },
      ConditionExpression: "attribute_not_exists(pk) OR (#state = :inProgress AND lockedUntil < :now)",
      ExpressionAttributeNames: { "#state": "state" },
      ExpressionAttributeValues: { ":inProgress": "IN_PROGRESS", ":now": now },
      ReturnValuesOnConditionCheckFailure: "ALL_OLD" as const,
    };
    const stateOf = (old: Record<string, AttributeValue> | undefined): UpdateClaim =>
      old && unmarshall(old).state === "COMPLETED" ? "done" : "busy";
    if (!check) {
      try {
        await this.doc.send(new PutCommand(put));
        return "claimed";
      } catch (err) {
        if (!(err instanceof ConditionalCheckFailedException)) throw err;
        return stateOf(err.Item as Record<string, AttributeValue> | undefined);
      }
    }
    for (let attempt = 1; ; attempt++) {
      try {
        await this.doc.send(new TransactWriteCommand({ TransactItems: [check, { Put: put }] }));
        return "claimed";
      } catch (err) {
        if (!(err instanceof TransactionCanceledException)) throw err;
        const [checked, claimed] = err.CancellationReasons ?? [];
        if (checked?.Code === "ConditionalCheckFailed") {
          const found = checked.Item as Record<string, AttributeValue> | undefined;
          return { checkFailed: true, ...(found ? { found: unmarshall(found) } : {}) };
        }
        if (claimed?.Code === "ConditionalCheckFailed") {
          return stateOf(claimed.Item as Record<string, AttributeValue> | undefined);
        }
        const conflict = err.CancellationReasons?.some((r) => r.Code === "TransactionConflict");
        if (!conflict || attempt >= CONFLICT_RETRIES) throw err;
        await new Promise((r) => setTimeout(r, 10 + Math.random() * 40 * attempt));
      }
    }
  }

  async completeUpdate(update: UpdateRef): Promise<void> {
    await this.doc.send(
      new UpdateCommand({
        TableName: this.tableName,
        Key: { pk: updateKey(update), sk: "update" },
        UpdateExpression: "SET #state = :done REMOVE lockedUntil",
        ExpressionAttributeNames: { "#state": "state" },
        ExpressionAttributeValues: { ":done": "COMPLETED" },
      }),
    );
  }

  /** Gives a claim back after a failure nobody was told about, so Telegram's retry runs it again at once. */
  async releaseUpdate(update: UpdateRef): Promise<void> {
    await this.doc.send(
      new DeleteCommand({
        TableName: this.tableName,
        Key: { pk: updateKey(update), sk: "update" },
        ConditionExpression: "#state = :inProgress",
        ExpressionAttributeNames: { "#state": "state" },
        ExpressionAttributeValues: { ":inProgress": "IN_PROGRESS" },
      }),
    );
  }

  // ------------------------------------------------------------ strangers

  /** True when this stranger has not been answered within the hour (and marks them now). */
  async markStrangerRefused(userId: string): Promise<boolean> {
    const now = this.seconds();
    try {
      await this.doc.send(
        new PutCommand({
          TableName: this.tableName,
          Item: {
            pk: itemKey(BOT_STATE_ITEMS.stranger, userId),
            sk: "refusal",
            expiresAt: now + STRANGER_QUIET_SECONDS,
          },
          ConditionExpression: "attribute_not_exists(pk) OR expiresAt < :now",
          ExpressionAttributeValues: { ":now": now },
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  // ------------------------------------------------------------ list pages

  /**
   * A list page's start cursor stored by an earlier version under the short id its `p:<id>` button carries (kept a
   * day). Pages carry their start in the button's data now (`P:…`): nothing writes these any more.
   */
  async getPage(id: string): Promise<StoredPage | undefined> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: itemKey(BOT_STATE_ITEMS.page, id), sk: "page" },
      }),
    );
    const item = out.Item as (StoredPage & { expiresAt: number }) | undefined;
    if (!item || item.expiresAt < this.seconds()) return undefined;
    return {
      status: item.status,
      cursor: item.cursor,
      page: item.page,
      ...(item.prev ? { prev: item.prev } : {}),
    };
  }

  // ------------------------------------------------------------ pending input

  /**
   * Waits for the admin's next text until `until` (default: `INPUT_WAIT_SECONDS` from now). Replaces the whole step:
   * digits entered for an earlier one are gone; digits given here are stored encrypted.
   */
  async setPending(adminId: string, given: PendingInput, until?: Date): Promise<void> {
    const untilSeconds = until ? Math.floor(until.getTime() / 1000) : this.seconds() + INPUT_WAIT_SECONDS;
    const { input, digits } = splitDigits(given);
    const digitsCiphertext = digits
      ? await this.cipher.encrypt(digits, ChatMemory.digitsContext(adminId))
      : undefined;
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        // Kept a day past its expiry so a late answer is told "expired" rather than "not understood".
        Item: {
          pk: inputKey(adminId),
          sk: "input",
          input,
          ...(digitsCiphertext ? { digitsCiphertext, digitsRev: 1 } : {}),
          until: untilSeconds,
          expiresAt: untilSeconds + 86_400,
        },
      }),
    );
  }

  async getPending(adminId: string): Promise<PendingRead> {
    const out = await this.doc.send(
      new GetCommand({
        TableName: this.tableName,
        Key: { pk: inputKey(adminId), sk: "input" },
        ConsistentRead: true,
      }),
    );
    const item = out.Item as
      { input: PendingInput; until: number; digitsCiphertext?: string; digitsRev?: number } | undefined;
    if (!item) return { state: "none" };
    let input = item.input;
    if (input.kind === "code" && item.digitsRev !== undefined) {
      const digits = item.digitsCiphertext
        ? await this.cipher.decrypt(item.digitsCiphertext, ChatMemory.digitsContext(adminId))
        : "";
      input = { ...input, ...(digits ? { digits } : {}), digitsRev: item.digitsRev };
    }
    return item.until < this.seconds() ? { state: "expired", input } : { state: "waiting", input };
  }

  /**
   * Replaces the keypad's digits of a pending code step (encrypted; "" removes them), only if nothing wrote them
   * since `read` (the step as `getPending` returned it): two presses handled at once must not lose a digit. False
   * when they changed, or the step is no longer a code step.
   */
  async setCodeDigits(
    adminId: string,
    read: { readonly digitsRev?: number },
    next: string,
  ): Promise<boolean> {
    const values: Record<string, unknown> = { ":code": "code", ":next": (read.digitsRev ?? 0) + 1 };
    if (read.digitsRev !== undefined) values[":rev"] = read.digitsRev;
    if (next) values[":digits"] = await this.cipher.encrypt(next, ChatMemory.digitsContext(adminId));
    try {
      await this.doc.send(
        new UpdateCommand({
          TableName: this.tableName,
          Key: { pk: inputKey(adminId), sk: "input" },
          UpdateExpression: next
            ? "SET digitsRev = :next, digitsCiphertext = :digits"
            : "SET digitsRev = :next REMOVE digitsCiphertext",
          ConditionExpression: `#input.#kind = :code AND ${
            read.digitsRev === undefined ? "attribute_not_exists(digitsRev)" : "digitsRev = :rev"
          }`,
          ExpressionAttributeNames: { "#input": "input", "#kind": "kind" },
          ExpressionAttributeValues: values,
        }),
      );
      return true;
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) return false;
      throw err;
    }
  }

  async clearPending(adminId: string): Promise<void> {
    await this.doc.send(
      new DeleteCommand({ TableName: this.tableName, Key: { pk: inputKey(adminId), sk: "input" } }),
    );
  }

  // ------------------------------------------------------------ bot info

  async getBotInfo(): Promise<UserFromGetMe | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: { pk: itemKey(BOT_STATE_ITEMS.botInfo), sk: "me" } }),
    );
    return (out.Item as { info: UserFromGetMe } | undefined)?.info;
  }

  async saveBotInfo(info: UserFromGetMe): Promise<void> {
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: { pk: itemKey(BOT_STATE_ITEMS.botInfo), sk: "me", info },
      }),
    );
  }
}

/** The step as stored (never with its digits, nor a read's revision) and the digits to encrypt beside it. */
function splitDigits(given: PendingInput): { input: PendingInput; digits?: string } {
  if (given.kind !== "code") return { input: given };
  const { digits, digitsRev: _rev, ...input } = given;
  return { input, ...(digits ? { digits } : {}) };
}
