/**
 * The bot's own short-lived state in the bot-state table. Every item here carries `expiresAt` (epoch seconds) so
 * DynamoDB's TTL removes it; TTL deletion may lag by a day, so reads also compare a logical expiry themselves.
 *
 *   UPDATE#<bot id>#<update_id> / update   processed-once marker: IN_PROGRESS (lockedUntil) → COMPLETED, kept 24 h
 *   STRANGER#<user id> / refusal   "refused this stranger within the hour", kept 1 h
 *   PAGE#<id>          / page      a list page's start cursor, referenced by an 8-character id in callback data
 *                                  (read only: written by earlier versions, gone within a day by TTL)
 *   INPUT#<admin id>   / input     what this admin's next text message means (phone, a phone login's step, QR, admin
 *                                  id): for a phone login only which login it answers (the flow keeps its progress);
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
  TransactGetCommand,
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
import { LoginFlowStore, type LoginFlowView } from "./login-flows";

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

/**
 * What the admin's next text message means, as stored. A phone login's code or password step is only a pointer:
 * "the next message answers login `flowId` of `phone`" (the flow, lib/bot-state/login-flows.ts, alone keeps the
 * login's progress: whether it waits for a code or a password, the code's length, the expiry, the tries), plus what
 * is the chat's own: the keypad's digits and whether the admin cancelled.
 */
export type PendingStep =
  | { readonly kind: "phone" }
  | {
      readonly kind: "login";
      readonly phone: Phone;
      /** The login this step answers; absent: whichever login of the phone is in progress. */
      readonly flowId?: string;
      /** Keypad digits to store with the step (encrypted). */
      readonly digits?: string;
      /** Set by /cancel: the step is over, but a code typed after it must still be deleted from the chat. */
      readonly cancelled?: true;
    }
  /** A QR code is shown; the login waits for the scan (the "I scanned it" button). */
  | { readonly kind: "qr" }
  /** The QR login was scanned and waits for the account's 2FA password (form or chat). */
  | { readonly kind: "qr-password"; readonly cancelled?: true }
  | { readonly kind: "admin-id" };

/**
 * What the admin's next text message means, as read: a phone login's step is resolved through its flow into the
 * code or password step it is at, with the flow itself (`flow`; absent when the login is over).
 */
export type PendingInput =
  | { readonly kind: "phone" }
  | {
      readonly kind: "code";
      readonly phone: Phone;
      /** The login as its flow says now (code length, expiry, tries); absent once the login is over. */
      readonly flow?: LoginFlowView;
      /**
       * The digits entered on the keypad so far, as read (decrypted). A secret: never logged, never shown (the keypad
       * shows dots), stored only encrypted like a login flow (the item keeps them until a day after the step
       * expires, and backups keep the item), and gone on submit and cancel.
       */
      readonly digits?: string;
      /** Which write of the digits this read saw: `setCodeDigits` replaces them only if nothing wrote since. */
      readonly digitsRev?: number;
      readonly cancelled?: true;
    }
  | {
      readonly kind: "password";
      readonly phone: Phone;
      readonly flow?: LoginFlowView;
      readonly cancelled?: true;
    }
  | { readonly kind: "qr" }
  | { readonly kind: "qr-password"; readonly cancelled?: true }
  | { readonly kind: "admin-id" };

/**
 * A login step as items written before the step became a pointer hold it (they live a day at most): its own copy of
 * the step, the code length and (on the item) the expiry.
 */
type LegacyLoginStep =
  | { readonly kind: "code"; readonly phone: Phone; readonly length?: number; readonly cancelled?: true }
  | { readonly kind: "password"; readonly phone: Phone; readonly cancelled?: true };

export type PendingRead =
  | { readonly state: "none" }
  | { readonly state: "expired"; readonly input: PendingInput }
  | { readonly state: "waiting"; readonly input: PendingInput };

interface InputItem {
  readonly input: PendingStep | LegacyLoginStep;
  /** Epoch seconds after which the step is over; on a phone login's step only in items from before the pointer. */
  readonly until?: number;
  readonly digitsCiphertext?: string;
  readonly digitsRev?: number;
}

export class ChatMemory {
  /** The phone logins' flows, read (never written) to resolve a login step: they live in the same table. */
  private readonly flows: LoginFlowStore;

  /** `cipher` encrypts the keypad's digits (a login secret), bound to the admin's item. */
  constructor(
    private readonly doc: DynamoDBDocumentClient,
    readonly tableName: string,
    private readonly cipher: EnvelopeCipher,
    private readonly now: () => Date = () => new Date(),
  ) {
    this.flows = new LoginFlowStore({ doc, botStateTable: tableName, cipher, now });
  }

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
   * Waits for the admin's next text. Replaces the whole step: digits entered for an earlier one are gone; digits
   * given here are stored encrypted. `until` (default: `INPUT_WAIT_SECONDS` from now) is when the step expires; for
   * a phone login's step the flow's expiry rules instead, and `until` only sets how long the item is kept (a day past
   * it, so a late answer is told "expired" rather than "not understood").
   */
  async setPending(adminId: string, given: PendingStep, until?: Date): Promise<void> {
    const untilSeconds = until ? Math.floor(until.getTime() / 1000) : this.seconds() + INPUT_WAIT_SECONDS;
    const { input, digits } = splitDigits(given);
    const digitsCiphertext = digits
      ? await this.cipher.encrypt(digits, ChatMemory.digitsContext(adminId))
      : undefined;
    await this.doc.send(
      new PutCommand({
        TableName: this.tableName,
        Item: {
          pk: inputKey(adminId),
          sk: "input",
          input,
          ...(digitsCiphertext ? { digitsCiphertext, digitsRev: 1 } : {}),
          ...(input.kind === "login" ? {} : { until: untilSeconds }),
          expiresAt: untilSeconds + 86_400,
        },
      }),
    );
  }

  /**
   * What the admin's next text means, and whether it is still awaited. A phone login's step is read with its flow:
   * waiting while the flow it points at is in progress (at the flow's step, with the flow); expired once the admin
   * cancelled it, or its flow expired or was replaced by another login (told as a code step: the admin is told the
   * same for either); still waiting, without a flow, when the flow is gone (ended elsewhere: the login steps say so).
   * `loginOf`: the phone whose login the step most likely answers (a keypad's button says it); the step and that
   * flow are then read in one call.
   */
  async getPending(adminId: string, loginOf?: Phone): Promise<PendingRead> {
    const { item, flow } = await this.readStep(adminId, loginOf);
    if (!item) return { state: "none" };
    const stored = item.input;
    if (stored.kind === "login" || stored.kind === "code" || stored.kind === "password") {
      return this.loginStep(adminId, item, stored, flow);
    }
    const until = item.until ?? 0;
    return until < this.seconds() ? { state: "expired", input: stored } : { state: "waiting", input: stored };
  }

  /** The INPUT item, and with `loginOf` that phone's flow item read in the same call (`flow` absent otherwise). */
  private async readStep(
    adminId: string,
    loginOf?: Phone,
  ): Promise<{ item?: InputItem; flow?: { phone: Phone; raw?: Record<string, unknown> } }> {
    const key = { pk: inputKey(adminId), sk: "input" };
    if (loginOf) {
      const flowKey = this.flows.key(loginOf);
      try {
        // A transactional read, not a batch: each item is authorised as a GetItem of its own family.
        const out = await this.doc.send(
          new TransactGetCommand({
            TransactItems: [
              { Get: { TableName: this.tableName, Key: key } },
              { Get: { TableName: this.tableName, Key: flowKey } },
            ],
          }),
        );
        const [step, flow] = out.Responses ?? [];
        return { item: step?.Item as InputItem | undefined, flow: { phone: loginOf, raw: flow?.Item } };
      } catch (err) {
        // A write to either item in flight cancels the read: then the step alone, as without a hint.
        if (!(err instanceof TransactionCanceledException)) throw err;
      }
    }
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: key, ConsistentRead: true }),
    );
    return { item: out.Item as InputItem | undefined };
  }

  private async loginStep(
    adminId: string,
    item: InputItem,
    stored: Extract<PendingStep, { kind: "login" }> | LegacyLoginStep,
    read?: { phone: Phone; raw?: Record<string, unknown> },
  ): Promise<PendingRead> {
    const phone = stored.phone;
    const cancelled = stored.cancelled ? { cancelled: true as const } : {};
    const digits = await this.digitsOf(adminId, item);
    const over = (kind: "code" | "password"): PendingRead => ({
      state: "expired",
      input: kind === "code" ? { kind, phone, ...cancelled, ...digits } : { kind, phone, ...cancelled },
    });
    const legacy = stored.kind === "login" ? undefined : stored.kind;
    // Over without asking the flow: cancelled, or (an item from before the pointer) past its own expiry.
    if (stored.cancelled || (legacy && (item.until ?? 0) < this.seconds())) return over(legacy ?? "code");
    const raw = read && read.phone === phone ? read.raw : await this.flowItem(phone);
    if (!raw) {
      // No flow at all: ended elsewhere (the CLI cancelled it, say). The step still waits, so what the admin sends
      // reaches the login steps, which say the login is no longer in progress.
      return { state: "waiting", input: { kind: legacy ?? "code", phone, ...digits } };
    }
    const flow = this.flows.viewOf(raw);
    const flowId = stored.kind === "login" ? stored.flowId : undefined;
    if (!flow || (flowId !== undefined && flow.flowId !== flowId)) return over(legacy ?? "code");
    return {
      state: "waiting",
      input:
        flow.step === "code" ? { kind: "code", phone, flow, ...digits } : { kind: "password", phone, flow },
    };
  }

  private async flowItem(phone: Phone): Promise<Record<string, unknown> | undefined> {
    const out = await this.doc.send(
      new GetCommand({ TableName: this.tableName, Key: this.flows.key(phone), ConsistentRead: true }),
    );
    return out.Item;
  }

  /** The keypad's digits on the item (decrypted) and the revision they were read at. */
  private async digitsOf(adminId: string, item: InputItem): Promise<{ digits?: string; digitsRev?: number }> {
    if (item.digitsRev === undefined) return {};
    const digits = item.digitsCiphertext
      ? await this.cipher.decrypt(item.digitsCiphertext, ChatMemory.digitsContext(adminId))
      : "";
    return { ...(digits ? { digits } : {}), digitsRev: item.digitsRev };
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
    const values: Record<string, unknown> = {
      ":login": "login",
      ":code": "code",
      ":next": (read.digitsRev ?? 0) + 1,
    };
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
          ConditionExpression: `#input.#kind IN (:login, :code) AND ${
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

/** The step as stored (never with its digits) and the digits to encrypt beside it. */
function splitDigits(given: PendingStep): { input: PendingStep; digits?: string } {
  if (given.kind !== "login") return { input: given };
  const { digits, ...input } = given;
  return { input, ...(digits ? { digits } : {}) };
}
