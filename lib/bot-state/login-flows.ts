/**
 * A login in progress, kept between the separate calls (separate Lambda invocations) of the login steps, in the
 * bot-state table under `sk = "FLOW"`, expiring with DynamoDB's TTL. Two kinds share one store (`FlowTable`):
 *
 *   - the phone login (`LoginFlowStore`): `pk = "LOGIN#<phone>"`, secret = temporary session + phoneCodeHash,
 *     encrypted bound to the phone;
 *   - the QR login (`QrFlowStore`): `pk = "LOGIN#QR#<owner>"` (no phone is known until the scan), secret =
 *     temporary session + the current login token, encrypted bound to "qr:<owner>" (never equal to a phone,
 *     which is "+digits").
 *
 * The temporary session string holds an auth key that becomes the account's full credential once the login
 * completes, so it is stored only inside one encrypted blob (purpose "login"). Every step first *claims* the flow
 * (a conditional write on its id and version that marks it busy), so two concurrent steps of one login can never
 * both sign in or overwrite each other's result, and a slow step of a flow that was restarted meanwhile can never
 * write into the new one.
 *
 * Once Telegram has accepted the code (or the 2FA password), the temporary key *is* the account's session and
 * cannot be signed in again. The step records that in the flow first (`markSignedIn`: the encrypted secret gains
 * `signedIn`, under the step's claim) and only then stores the session; the flow ends together with the audit entry
 * (`end`). A write that fails on the way leaves a signed-in flow that any later step of the login finishes storing,
 * without asking Telegram again.
 */
import { randomBytes } from "node:crypto";
import { ConditionalCheckFailedException, type AttributeValue } from "@aws-sdk/client-dynamodb";
import {
  DeleteCommand,
  GetCommand,
  PutCommand,
  TransactWriteCommand,
  UpdateCommand,
  type DynamoDBDocumentClient,
} from "@aws-sdk/lib-dynamodb";
import { unmarshall } from "@aws-sdk/util-dynamodb";
import type { EnvelopeCipher } from "../crypto/envelope";
import { firstConditionFailed } from "../dynamo";
import type { Phone } from "../sessions/phone";
import type { ProxySettings } from "../sessions/proxy";
import type { TelegramAccount } from "../sessions/session";
import type { AuditPut } from "./audit";
import { BOT_STATE_ITEMS, itemKey } from "../tables";

/** The login code type Telegram chose, so the prompt can say where to look. */
export type CodeDelivery = "app" | "sms" | "call" | "flash-call" | "email" | "other";

/** A login in progress, as the bot or CLI may show it (no secrets). */
export interface LoginFlowView {
  readonly phone: Phone;
  /** Which login of the phone this is (a new one per start or take-over): an admin's pending step points at it. */
  readonly flowId: string;
  readonly step: "code" | "password";
  readonly attemptsLeft: number;
  /** ISO time after which the flow is gone and the login must start again. */
  readonly expiresAt: string;
  readonly codeDelivery?: CodeDelivery;
  /** Length of the code Telegram sent, when it says. */
  readonly codeLength?: number;
  /** The account's 2FA password hint, at the password step. */
  readonly passwordHint?: string;
  /** Who started it: "tg:<admin id>" or "cli:<user>". */
  readonly startedBy: string;
  /** True when this phone already has a session, which the login will replace only if it succeeds. */
  readonly replacesExisting: boolean;
}

/**
 * A QR login in progress (no secrets): started from an empty session, owned by the admin who started it (no phone
 * is known until the account's own app scans the code and the login completes).
 */
export interface QrLoginView {
  /** Who started it and alone may continue it: "tg:<admin id>" or "cli:<user>". */
  readonly owner: string;
  readonly step: "scan" | "password";
  /** ISO time after which the flow is gone and the login must start again. */
  readonly expiresAt: string;
  /** Password tries left (at the password step). */
  readonly attemptsLeft: number;
  /** The account's 2FA password hint, at the password step. */
  readonly passwordHint?: string;
}

/** What the flow stores need: the bot-state table, and the cipher the half-finished login is encrypted with. */
export interface FlowStoreDeps {
  readonly doc: DynamoDBDocumentClient;
  readonly botStateTable: string;
  readonly cipher: EnvelopeCipher;
  readonly now: () => Date;
}

/** How long a login may take from the code being sent (or the QR code shown) to the last step. */
export const FLOW_TTL_MS = 10 * 60_000;
/** Wrong codes (and wrong passwords) allowed before the flow ends. */
export const MAX_ATTEMPTS = 3;
/** How long a claimed step keeps others out if its process dies mid-step (longer than any step's deadline). */
export const STEP_CLAIM_MS = 60_000;

/** The phone login's secret part, encrypted as one JSON blob. */
export interface FlowSecret {
  readonly session: string;
  readonly phoneCodeHash: string;
  /**
   * Set once Telegram has accepted the code or the password: `session` is then the signed-in key, and this the
   * account it is logged in as.
   */
  readonly signedIn?: SignedIn;
  /** The proxy every connection of this login goes through (its credentials encrypted with the rest). */
  readonly proxy?: ProxySettings;
}

/** A login Telegram has completed, whose session may not be stored yet. */
export interface SignedIn {
  readonly account: TelegramAccount;
}

/** The QR login's secret part: the temporary session, and the last login token shown (base64url) with its expiry. */
export interface QrFlowSecret {
  readonly session: string;
  readonly token: string;
  readonly tokenExpiresAt: string;
}

/** Which flow (a new random id per start) and which version of it a step read or holds. */
export interface FlowRef {
  readonly flowId: string;
  readonly version: number;
}

export interface Stored<View, Secret> extends FlowRef {
  readonly view: View;
  readonly secret: Secret;
  /** True while a step holds the flow (its claim has not expired). */
  readonly busy: boolean;
}

export type StoredFlow = Stored<LoginFlowView, FlowSecret>;
export type StoredQrFlow = Stored<QrLoginView, QrFlowSecret>;

/** What every flow item holds, whatever the kind of login. */
interface BaseItem {
  pk: string;
  sk: "FLOW";
  flowId: string;
  version: number;
  step: string;
  attemptsLeft: number;
  passwordHint?: string;
  flowSecretCiphertext: string;
  expiresAtIso: string;
  /** Epoch seconds, DynamoDB's TTL attribute. */
  expiresAt: number;
  busyUntil?: string;
}

interface PhoneItem extends BaseItem {
  phone: string;
  step: "code" | "password";
  startedBy: string;
  replacesExisting: boolean;
  codeDelivery?: CodeDelivery;
  codeLength?: number;
}

interface QrItem extends BaseItem {
  owner: string;
  step: "scan" | "password";
}

/** Another step of this login is running right now. */
export class FlowBusyError extends Error {
  constructor(readonly what: string) {
    super(`Another step of ${what} is running; try again in a moment.`);
    this.name = "FlowBusyError";
  }
}

/**
 * Another actor's login of this phone is still live: a new start (without taking it over) does not replace it.
 * `held` says whose it is and until when.
 */
export class FlowHeldError extends Error {
  constructor(readonly held: LoginFlowView) {
    super(`A login of ${held.phone} started by ${held.startedBy} is in progress until ${held.expiresAt}.`);
    this.name = "FlowHeldError";
  }
}

/** What a step may change when it releases its claim. */
export interface FlowPatch<Step extends string, Secret> {
  readonly step?: Step;
  readonly attemptsLeft?: number;
  readonly passwordHint?: string;
  /** A new secret (e.g. the session after a DC migration, a renewed token). */
  readonly secret?: Secret;
  /** Restart the flow's time to live from now: `FLOW_TTL_MS`, or this many milliseconds. */
  readonly extend?: boolean | number;
}

/** What tells kinds of login apart: the item key, the cipher binding, the public view. */
interface FlowKind<Id, View, Item extends BaseItem> {
  readonly pk: (id: Id) => string;
  readonly cipherId: (id: Id) => string;
  /** "the login of +998…", for the busy error. */
  readonly describe: (id: Id) => string;
  readonly toView: (item: Item) => View;
}

/** The claim/release/delete/expiry logic shared by every kind of login flow. */
class FlowTable<Id, View, Secret, Item extends BaseItem> {
  constructor(
    protected readonly deps: FlowStoreDeps,
    private readonly kind: FlowKind<Id, View, Item>,
  ) {}

  /** The flow's item key in the bot-state table (for a read batched with another item). */
  key(id: Id): { readonly pk: string; readonly sk: "FLOW" } {
    return { pk: this.kind.pk(id), sk: "FLOW" };
  }

  /** The view of an item read elsewhere (a batch), or undefined when there is none or it has expired. */
  viewOf(raw: Record<string, unknown> | undefined): View | undefined {
    const item = this.live(raw);
    return item && this.kind.toView(item);
  }

  // TTL deletion lags by up to days: an expired item is no flow.
  private live(raw: Record<string, unknown> | undefined): Item | undefined {
    const item = raw as Item | undefined;
    if (!item || item.expiresAtIso <= this.deps.now().toISOString()) return undefined;
    return item;
  }

  private encrypt(id: Id, secret: Secret): Promise<string> {
    return this.deps.cipher.encrypt(JSON.stringify(secret), { purpose: "login", id: this.kind.cipherId(id) });
  }

  /**
   * Stores a new flow, replacing any earlier one with the same key; with `only`, only when the earlier item meets
   * that condition (`:now` is bound to the current time), else DynamoDB's ConditionalCheckFailedException (with
   * the earlier item) is thrown.
   */
  protected async put(
    id: Id,
    fields: Omit<Item, keyof BaseItem> & { step: Item["step"] },
    secret: Secret,
    only?: { readonly condition: string; readonly values: Record<string, unknown> },
  ): Promise<View> {
    const expires = new Date(this.deps.now().getTime() + FLOW_TTL_MS);
    const item = {
      ...this.key(id),
      sk: "FLOW",
      ...fields,
      flowId: randomBytes(8).toString("hex"),
      version: 1,
      attemptsLeft: MAX_ATTEMPTS,
      flowSecretCiphertext: await this.encrypt(id, secret),
      expiresAtIso: expires.toISOString(),
      expiresAt: Math.floor(expires.getTime() / 1000),
    } as Item;
    await this.deps.doc.send(
      new PutCommand({
        TableName: this.deps.botStateTable,
        Item: item,
        ...(only
          ? {
              ConditionExpression: only.condition,
              ExpressionAttributeValues: { ...only.values, ":now": this.deps.now().toISOString() },
              ReturnValuesOnConditionCheckFailure: "ALL_OLD" as const,
            }
          : {}),
      }),
    );
    return this.kind.toView(item);
  }

  private async item(id: Id): Promise<Item | undefined> {
    const out = await this.deps.doc.send(
      new GetCommand({ TableName: this.deps.botStateTable, Key: this.key(id), ConsistentRead: true }),
    );
    return this.live(out.Item);
  }

  /** The flow, or undefined when there is none or it has expired. */
  async get(id: Id): Promise<Stored<View, Secret> | undefined> {
    const item = await this.item(id);
    if (!item) return undefined;
    const secret = JSON.parse(
      await this.deps.cipher.decrypt(item.flowSecretCiphertext, {
        purpose: "login",
        id: this.kind.cipherId(id),
      }),
    ) as Secret;
    const busy = item.busyUntil !== undefined && item.busyUntil >= this.deps.now().toISOString();
    return { view: this.kind.toView(item), flowId: item.flowId, version: item.version, secret, busy };
  }

  async view(id: Id): Promise<View | undefined> {
    const item = await this.item(id);
    return item ? this.kind.toView(item) : undefined;
  }

  /** `claim`, with "another step holds it" returned rather than thrown: each step answers it as "unavailable". */
  async tryClaim(id: Id, read: FlowRef): Promise<FlowRef | FlowBusyError> {
    try {
      return await this.claim(id, read);
    } catch (err) {
      if (err instanceof FlowBusyError) return err;
      throw err;
    }
  }

  /**
   * Marks the flow busy for one step. Returns the version the step must write back with; throws
   * `FlowBusyError` when another step holds it, or when the flow changed since `version` was read.
   */
  async claim(id: Id, read: FlowRef): Promise<FlowRef> {
    const { flowId, version } = read;
    const now = this.deps.now();
    try {
      await this.deps.doc.send(
        new UpdateCommand({
          TableName: this.deps.botStateTable,
          Key: this.key(id),
          ConditionExpression:
            "flowId = :id AND version = :v AND (attribute_not_exists(busyUntil) OR busyUntil < :now)",
          UpdateExpression: "SET version = :next, busyUntil = :until",
          ExpressionAttributeValues: {
            ":id": flowId,
            ":v": version,
            ":next": version + 1,
            ":now": now.toISOString(),
            ":until": new Date(now.getTime() + STEP_CLAIM_MS).toISOString(),
          },
        }),
      );
      return { flowId, version: version + 1 };
    } catch (err) {
      if (err instanceof ConditionalCheckFailedException) throw new FlowBusyError(this.kind.describe(id));
      throw err;
    }
  }

  /** Ends the step: writes its changes (if any) and frees the flow, only if this step still holds it. */
  async release(
    id: Id,
    claimed: FlowRef,
    patch: FlowPatch<Item["step"], Secret> = {},
  ): Promise<View | undefined> {
    const out = await this.update(id, claimed, patch, false);
    return out && this.kind.toView(out);
  }

  /**
   * Writes `patch` while keeping the claim (the step goes on): only if this step still holds the flow. Returns the
   * version the step now holds, or undefined when the flow was cancelled or replaced meanwhile.
   */
  async hold(id: Id, claimed: FlowRef, patch: FlowPatch<Item["step"], Secret>): Promise<FlowRef | undefined> {
    const out = await this.update(id, claimed, patch, true);
    return out && { flowId: out.flowId, version: out.version };
  }

  private async update(
    id: Id,
    claimed: FlowRef,
    patch: FlowPatch<Item["step"], Secret>,
    keepClaim: boolean,
  ): Promise<Item | undefined> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {
      ":id": claimed.flowId,
      ":v": claimed.version,
      ":next": claimed.version + 1,
    };
    const sets = ["version = :next"];
    const { extend, secret, ...fields } = patch;
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined) continue;
      sets.push(`#${k} = :${k}`);
      names[`#${k}`] = k;
      values[`:${k}`] = v;
    }
    if (secret !== undefined) {
      sets.push("flowSecretCiphertext = :secret");
      values[":secret"] = await this.encrypt(id, secret);
    }
    if (extend) {
      const expires = new Date(this.deps.now().getTime() + (extend === true ? FLOW_TTL_MS : extend));
      sets.push("expiresAtIso = :iso", "expiresAt = :exp");
      values[":iso"] = expires.toISOString();
      values[":exp"] = Math.floor(expires.getTime() / 1000);
    }
    try {
      const out = await this.deps.doc.send(
        new UpdateCommand({
          TableName: this.deps.botStateTable,
          Key: this.key(id),
          ConditionExpression: "flowId = :id AND version = :v",
          UpdateExpression: `SET ${sets.join(", ")}${keepClaim ? "" : " REMOVE busyUntil"}`,
          ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
          ExpressionAttributeValues: values,
          ReturnValues: "ALL_NEW",
        }),
      );
      return out.Attributes as Item;
    } catch (err) {
      // Cancelled or restarted meanwhile: the newer flow wins.
      if (err instanceof ConditionalCheckFailedException) return undefined;
      throw err;
    }
  }

  /**
   * Deletes the flow if `held` is still this step's, in one transaction with `alsoPut` (the audit entry of what the
   * step did) when given: both happen or neither. False when the flow was cancelled or replaced meanwhile (then
   * nothing was written).
   */
  async end(id: Id, held: FlowRef, alsoPut?: AuditPut): Promise<boolean> {
    const del = {
      TableName: this.deps.botStateTable,
      Key: this.key(id),
      ConditionExpression: "flowId = :id AND version = :v",
      ExpressionAttributeValues: { ":id": held.flowId, ":v": held.version },
    };
    if (!alsoPut) return this.delete(id, held);
    try {
      await this.deps.doc.send(
        new TransactWriteCommand({ TransactItems: [{ Delete: del }, { Put: alsoPut }] }),
      );
      return true;
    } catch (err) {
      // In a transaction a failed condition arrives as a cancellation whose first reason names it.
      if (err instanceof ConditionalCheckFailedException || firstConditionFailed(err)) return false;
      throw err;
    }
  }

  /**
   * Deletes the flow; with `claimed`, only if this step still holds it (a restarted or cancelled login is left
   * alone); with only a flow id, if it is still that login at whatever version. False when it did not: the flow was
   * cancelled, replaced or (with `claimed`) claimed meanwhile.
   */
  async delete(id: Id, claimed?: FlowRef | { readonly flowId: string }): Promise<boolean> {
    try {
      await this.deps.doc.send(
        new DeleteCommand({
          TableName: this.deps.botStateTable,
          Key: this.key(id),
          ...(claimed === undefined
            ? {}
            : "version" in claimed
              ? {
                  ConditionExpression: "flowId = :id AND version = :v",
                  ExpressionAttributeValues: { ":id": claimed.flowId, ":v": claimed.version },
                }
              : {
                  ConditionExpression: "flowId = :id",
                  ExpressionAttributeValues: { ":id": claimed.flowId },
                }),
        }),
      );
      return true;
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      return false;
    }
  }
}

export type NewFlow = Omit<LoginFlowView, "expiresAt" | "attemptsLeft" | "step" | "flowId">;

/** The phone login's flows: `pk = "LOGIN#<phone>"`. */
export class LoginFlowStore extends FlowTable<Phone, LoginFlowView, FlowSecret, PhoneItem> {
  constructor(deps: FlowStoreDeps) {
    super(deps, {
      // The family's key ends with the "+" every phone starts with.
      pk: (phone) => itemKey(BOT_STATE_ITEMS.phoneLogin, phone.slice(1)),
      cipherId: (phone) => phone,
      describe: (phone) => `the login of ${phone}`,
      toView: phoneView,
    });
  }

  /**
   * Stores a new flow at the code step, replacing an earlier one for the phone only when it is over (expired), the
   * same actor's, or the flow `takingOver` names (an owner's explicit take-over). Another actor's live flow is
   * left alone: `FlowHeldError` says whose it is and until when.
   */
  async start(flow: NewFlow, secret: FlowSecret, takingOver?: FlowRef): Promise<LoginFlowView> {
    try {
      return await this.startOnly(flow, secret, takingOver);
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
      const held = err.Item ? unmarshall(err.Item as Record<string, AttributeValue>) : undefined;
      if (held) throw new FlowHeldError(phoneView(held as PhoneItem));
      // Gone again between the write and its refusal: the next start finds the phone free.
      throw err;
    }
  }

  private startOnly(flow: NewFlow, secret: FlowSecret, takingOver?: FlowRef): Promise<LoginFlowView> {
    return this.put(
      flow.phone,
      {
        phone: flow.phone,
        step: "code",
        startedBy: flow.startedBy,
        replacesExisting: flow.replacesExisting,
        ...(flow.codeDelivery ? { codeDelivery: flow.codeDelivery } : {}),
        ...(flow.codeLength ? { codeLength: flow.codeLength } : {}),
      },
      secret,
      {
        condition: `attribute_not_exists(pk) OR expiresAtIso <= :now OR startedBy = :by${takingOver ? " OR flowId = :replaced" : ""}`,
        values: { ":by": flow.startedBy, ...(takingOver ? { ":replaced": takingOver.flowId } : {}) },
      },
    );
  }
}

/** The QR login's flows, one per owner: `pk = "LOGIN#QR#<owner>"`. */
export class QrFlowStore extends FlowTable<string, QrLoginView, QrFlowSecret, QrItem> {
  constructor(deps: FlowStoreDeps) {
    super(deps, {
      pk: (owner) => itemKey(BOT_STATE_ITEMS.qrLogin, owner),
      cipherId: (owner) => `qr:${owner}`,
      describe: () => "this QR login",
      toView: qrView,
    });
  }

  /** Stores a new flow at the scan step, replacing any earlier QR login of the owner. */
  start(owner: string, secret: QrFlowSecret): Promise<QrLoginView> {
    return this.put(owner, { owner, step: "scan" }, secret);
  }
}

function phoneView(item: PhoneItem): LoginFlowView {
  return {
    phone: item.phone as Phone,
    flowId: item.flowId,
    step: item.step,
    attemptsLeft: item.attemptsLeft,
    expiresAt: item.expiresAtIso,
    startedBy: item.startedBy,
    replacesExisting: item.replacesExisting,
    ...(item.codeDelivery ? { codeDelivery: item.codeDelivery } : {}),
    ...(item.codeLength ? { codeLength: item.codeLength } : {}),
    ...(item.passwordHint ? { passwordHint: item.passwordHint } : {}),
  };
}

function qrView(item: QrItem): QrLoginView {
  return {
    owner: item.owner,
    step: item.step,
    expiresAt: item.expiresAtIso,
    attemptsLeft: item.attemptsLeft,
    ...(item.passwordHint ? { passwordHint: item.passwordHint } : {}),
  };
}
