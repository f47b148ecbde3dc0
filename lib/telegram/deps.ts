/** What the userbot layer needs from the rest of the system, built once per process by its entry point. */
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { loadDefaultDeviceIdentity } from "../config";
import type { EnvelopeCipher } from "../crypto/envelope";
import type { Logger } from "../log";
import type { TelegramApiCredentials } from "../secrets";
import type { SessionIdentity, SessionRepository } from "../sessions/repository";
import type { AuditLog } from "../bot-state/audit";
import type { DeviceIdentity } from "../sessions/session";
import { createTelegramClient, type CreateClient } from "./client";
import type { ConnectionProfile } from "./connection";

export interface UserbotDeps {
  readonly sessions: SessionRepository;
  /** The bot-state table holds login flows in progress. */
  readonly doc: DynamoDBDocumentClient;
  readonly botStateTable: string;
  /** Encrypts the half-finished login (its temporary session holds an auth key). */
  readonly cipher: EnvelopeCipher;
  /** API id and hash, asked for only when Telegram is about to be called. */
  readonly credentials: () => Promise<TelegramApiCredentials>;
  readonly logger: Logger;
  readonly audit?: AuditLog;
  /** The client factory; the default is GramJS's `new TelegramClient`. */
  readonly createClient?: CreateClient;
  readonly now?: () => Date;
  /** Transient failures in a row that mark a session `error`. Default 3. */
  readonly failureThreshold?: number;
  /**
   * The device identity new sessions get at login or import (`loadDefaultDeviceIdentity`); each session keeps its
   * own afterwards. Default: the product's name and version.
   */
  readonly defaultIdentity?: DeviceIdentity;
}

export interface ResolvedDeps extends UserbotDeps {
  readonly createClient: CreateClient;
  readonly now: () => Date;
  readonly failureThreshold: number;
  readonly defaultIdentity: DeviceIdentity;
}

export const DEFAULT_FAILURE_THRESHOLD = 3;

export function resolveDeps(deps: UserbotDeps): ResolvedDeps {
  const failureThreshold = deps.failureThreshold ?? DEFAULT_FAILURE_THRESHOLD;
  if (!Number.isInteger(failureThreshold) || failureThreshold < 1) {
    throw new Error(`failureThreshold must be a whole number of 1 or more, not ${failureThreshold}.`);
  }
  return {
    ...deps,
    createClient: deps.createClient ?? createTelegramClient,
    now: deps.now ?? (() => new Date()),
    failureThreshold,
    defaultIdentity: deps.defaultIdentity ?? loadDefaultDeviceIdentity(),
  };
}

/** What a key made now is at Telegram: the default device, under the deployment's API id. */
export async function newKeyIdentity(deps: ResolvedDeps): Promise<SessionIdentity> {
  const credentials = await deps.credentials();
  return { device: deps.defaultIdentity, apiId: credentials.apiId };
}

/** How a connection of a key with `identity` presents itself (the API hash is the deployment's, for GramJS). */
export async function profileOf(
  deps: ResolvedDeps,
  identity: SessionIdentity,
  proxy?: ConnectionProfile["proxy"],
): Promise<ConnectionProfile> {
  const credentials = await deps.credentials();
  return {
    apiId: identity.apiId,
    apiHash: credentials.apiHash,
    device: identity.device,
    ...(identity.testServers ? { testServers: true } : {}),
    ...(proxy ? { proxy } : {}),
  };
}
