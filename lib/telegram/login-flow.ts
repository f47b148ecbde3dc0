/**
 * A login in progress, kept between the separate calls (separate Lambda invocations) of the login steps, in the
 * bot-state table under `pk = "LOGIN#<phone>"`, `sk = "FLOW"`, expiring with DynamoDB's TTL.
 *
 * The temporary session string holds an auth key that becomes the account's full credential once the login
 * completes, so it and the phoneCodeHash are stored only inside one encrypted blob (purpose "login", bound to the
 * phone). Every step first *claims* the flow (a conditional write on its id and version that marks it busy), so
 * two concurrent steps for one phone can never both sign in or overwrite each other's result, and a slow step of a
 * flow that was restarted meanwhile can never write into the new one.
 */
import { randomBytes } from "node:crypto";
import { ConditionalCheckFailedException } from "@aws-sdk/client-dynamodb";
import { DeleteCommand, GetCommand, PutCommand, UpdateCommand } from "@aws-sdk/lib-dynamodb";
import type { Phone } from "../sessions/phone";
import type { CodeDelivery, LoginFlowView } from "./contract";
import type { ResolvedDeps } from "./deps";

/** How long a login may take from the code being sent to the last step. */
export const FLOW_TTL_MS = 10 * 60_000;
/** Wrong codes (and wrong passwords) allowed before the flow ends. */
export const MAX_ATTEMPTS = 3;
/** How long a claimed step keeps others out if its process dies mid-step (longer than any step's deadline). */
export const STEP_CLAIM_MS = 60_000;

/** The secret part, encrypted as one JSON blob. */
export interface FlowSecret {
  readonly session: string;
  readonly phoneCodeHash: string;
}

/** Which flow (a new random id per `startLogin`) and which version of it a step read or holds. */
export interface FlowRef {
  readonly flowId: string;
  readonly version: number;
}

export interface StoredFlow extends FlowRef {
  readonly view: LoginFlowView;
  readonly secret: FlowSecret;
}

interface FlowItem {
  pk: string;
  sk: "FLOW";
  phone: string;
  flowId: string;
  version: number;
  step: "code" | "password";
  attemptsLeft: number;
  startedBy: string;
  replacesExisting: boolean;
  codeDelivery?: CodeDelivery;
  codeLength?: number;
  passwordHint?: string;
  flowSecretCiphertext: string;
  expiresAtIso: string;
  /** Epoch seconds, DynamoDB's TTL attribute. */
  expiresAt: number;
  busyUntil?: string;
}

/** Another step of this login is running right now. */
export class FlowBusyError extends Error {
  constructor(readonly phone: Phone) {
    super(`Another step of the login of ${phone} is running; try again in a moment.`);
    this.name = "FlowBusyError";
  }
}

export type NewFlow = Omit<LoginFlowView, "expiresAt" | "attemptsLeft" | "step">;

export class LoginFlowStore {
  constructor(private readonly deps: ResolvedDeps) {}

  private key(phone: Phone) {
    return { pk: `LOGIN#${phone}`, sk: "FLOW" };
  }

  /** Stores a new flow at the code step, replacing any earlier one for the phone. */
  async start(flow: NewFlow, secret: FlowSecret): Promise<LoginFlowView> {
    const now = this.deps.now();
    const expires = new Date(now.getTime() + FLOW_TTL_MS);
    const item: FlowItem = {
      ...this.key(flow.phone),
      sk: "FLOW",
      phone: flow.phone,
      flowId: randomBytes(8).toString("hex"),
      version: 1,
      step: "code",
      attemptsLeft: MAX_ATTEMPTS,
      startedBy: flow.startedBy,
      replacesExisting: flow.replacesExisting,
      ...(flow.codeDelivery ? { codeDelivery: flow.codeDelivery } : {}),
      ...(flow.codeLength ? { codeLength: flow.codeLength } : {}),
      flowSecretCiphertext: await this.deps.cipher.encrypt(JSON.stringify(secret), {
        purpose: "login",
        id: flow.phone,
      }),
      expiresAtIso: expires.toISOString(),
      expiresAt: Math.floor(expires.getTime() / 1000),
    };
    await this.deps.doc.send(new PutCommand({ TableName: this.deps.botStateTable, Item: item }));
    return toView(item);
  }

  /** The flow, or undefined when there is none or it has expired (TTL deletion lags by up to days). */
  async get(phone: Phone): Promise<StoredFlow | undefined> {
    const out = await this.deps.doc.send(
      new GetCommand({ TableName: this.deps.botStateTable, Key: this.key(phone), ConsistentRead: true }),
    );
    const item = out.Item as FlowItem | undefined;
    if (!item || item.expiresAtIso <= this.deps.now().toISOString()) return undefined;
    const secret = JSON.parse(
      await this.deps.cipher.decrypt(item.flowSecretCiphertext, { purpose: "login", id: phone }),
    ) as FlowSecret;
    return { view: toView(item), flowId: item.flowId, version: item.version, secret };
  }

  async view(phone: Phone): Promise<LoginFlowView | undefined> {
    const out = await this.deps.doc.send(
      new GetCommand({ TableName: this.deps.botStateTable, Key: this.key(phone), ConsistentRead: true }),
    );
    const item = out.Item as FlowItem | undefined;
    if (!item || item.expiresAtIso <= this.deps.now().toISOString()) return undefined;
    return toView(item);
  }

  /**
   * Marks the flow busy for one step. Returns the version the step must write back with; throws
   * `FlowBusyError` when another step holds it, or when the flow changed since `version` was read.
   */
  async claim(phone: Phone, read: FlowRef): Promise<FlowRef> {
    const { flowId, version } = read;
    const now = this.deps.now();
    try {
      await this.deps.doc.send(
        new UpdateCommand({
          TableName: this.deps.botStateTable,
          Key: this.key(phone),
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
      if (err instanceof ConditionalCheckFailedException) throw new FlowBusyError(phone);
      throw err;
    }
  }

  /** Ends the step: writes its changes (if any) and frees the flow, only if this step still holds it. */
  async release(
    phone: Phone,
    claimed: FlowRef,
    patch: Partial<Pick<FlowItem, "step" | "attemptsLeft" | "passwordHint">> & { extend?: boolean } = {},
  ): Promise<LoginFlowView | undefined> {
    const names: Record<string, string> = {};
    const values: Record<string, unknown> = {
      ":id": claimed.flowId,
      ":v": claimed.version,
      ":next": claimed.version + 1,
    };
    const sets = ["version = :next"];
    const { extend, ...fields } = patch;
    for (const [k, v] of Object.entries(fields)) {
      if (v === undefined) continue;
      sets.push(`#${k} = :${k}`);
      names[`#${k}`] = k;
      values[`:${k}`] = v;
    }
    if (extend) {
      const expires = new Date(this.deps.now().getTime() + FLOW_TTL_MS);
      sets.push("expiresAtIso = :iso", "expiresAt = :exp");
      values[":iso"] = expires.toISOString();
      values[":exp"] = Math.floor(expires.getTime() / 1000);
    }
    try {
      const out = await this.deps.doc.send(
        new UpdateCommand({
          TableName: this.deps.botStateTable,
          Key: this.key(phone),
          ConditionExpression: "flowId = :id AND version = :v",
          UpdateExpression: `SET ${sets.join(", ")} REMOVE busyUntil`,
          ...(Object.keys(names).length ? { ExpressionAttributeNames: names } : {}),
          ExpressionAttributeValues: values,
          ReturnValues: "ALL_NEW",
        }),
      );
      return toView(out.Attributes as FlowItem);
    } catch (err) {
      // Cancelled or restarted meanwhile: the newer flow wins.
      if (err instanceof ConditionalCheckFailedException) return undefined;
      throw err;
    }
  }

  /** Deletes the flow; with `claimed`, only if this step still holds it (a restarted login is left alone). */
  async delete(phone: Phone, claimed?: FlowRef): Promise<void> {
    try {
      await this.deps.doc.send(
        new DeleteCommand({
          TableName: this.deps.botStateTable,
          Key: this.key(phone),
          ...(claimed !== undefined
            ? {
                ConditionExpression: "flowId = :id AND version = :v",
                ExpressionAttributeValues: { ":id": claimed.flowId, ":v": claimed.version },
              }
            : {}),
        }),
      );
    } catch (err) {
      if (!(err instanceof ConditionalCheckFailedException)) throw err;
    }
  }
}

function toView(item: FlowItem): LoginFlowView {
  return {
    phone: item.phone as Phone,
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
