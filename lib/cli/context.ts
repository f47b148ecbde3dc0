/**
 * What a command works with: the terminal (streams, colour, whether a person is there to answer), the environment,
 * who is acting (for the audit trail), and the store, built only when a command first needs it so `--help` and
 * usage errors never touch the network.
 */
import { userInfo } from "node:os";
import type { DynamoDBClient } from "@aws-sdk/client-dynamodb";
import type { DynamoDBDocumentClient } from "@aws-sdk/lib-dynamodb";
import { loadStoreConfig, type Env, type StoreConfig } from "../config";
import { createCipher, EnvelopeCipher, LocalKeyProvider, type KeyProvider } from "../crypto";
import { createDocumentClient, createDynamoClient } from "../dynamo";
import { SessionRepository } from "../sessions";
import { AdminRepository } from "../bot-state/admins";
import { AuditLog, cliActor } from "../bot-state/audit";
import { assertEndpointReachable } from "./reachable";
import { colorsFor, type Colors } from "./format";

export interface Terminal {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
}

export interface Store {
  readonly config: StoreConfig;
  readonly client: DynamoDBClient;
  readonly doc: DynamoDBDocumentClient;
  /** The session cipher (the userbot layer seals a half-finished login with it). */
  readonly cipher: EnvelopeCipher;
  readonly sessions: SessionRepository;
  readonly admins: AdminRepository;
  readonly audit: AuditLog;
}

export interface CliContext {
  readonly term: Terminal;
  readonly env: Env;
  /** Colours for stdout (none when NO_COLOR is set or stdout is not a terminal). */
  readonly colors: Colors;
  /** True when a person can answer a question: stdin and stderr are terminals. */
  readonly interactive: boolean;
  /** "cli:<os user>", for the audit trail. */
  readonly actor: string;
  out(line?: string): void;
  err(line?: string): void;
  /** Connects on first use; later calls return the same store. */
  store(): Promise<Store>;
  /** The store configuration, once `store()` has read it (to word errors about where the store is). */
  loadedConfig(): StoreConfig | undefined;
  /** Closes what `store()` opened. */
  close(): void;
}

function osUser(env: Env): string {
  try {
    return userInfo().username;
  } catch {
    return env.USER ?? env.USERNAME ?? "unknown";
  }
}

/**
 * A key provider that reads (or creates) the local key file only when a secret is actually sealed or opened:
 * listing or deleting sessions never needs it, and should not create `.data/session-encryption.key` as a side
 * effect on a machine that has none yet.
 */
function lazyLocalProvider(dataDir: string): KeyProvider {
  let provider: LocalKeyProvider | undefined;
  const get = () => (provider ??= LocalKeyProvider.fromDataDir(dataDir));
  return {
    name: "local",
    generateDataKey: (context) => get().generateDataKey(context),
    unwrapDataKey: (wrapped, context) => get().unwrapDataKey(wrapped, context),
  };
}

export function createContext(term: Terminal, env: Env): CliContext {
  let store: Store | undefined;
  let loaded: StoreConfig | undefined;
  const colors = colorsFor(term.stdout, env);
  return {
    term,
    env,
    colors,
    interactive: Boolean(term.stdin.isTTY && term.stderr.isTTY),
    actor: cliActor(osUser(env)),
    out: (line = "") => void term.stdout.write(`${line}\n`),
    err: (line = "") => void term.stderr.write(`${line}\n`),
    async store() {
      if (store) return store;
      const config = loadStoreConfig(env);
      loaded = config;
      if (config.target === "local" && config.endpoint) await assertEndpointReachable(config.endpoint);
      const client = createDynamoClient(config);
      const doc = createDocumentClient(client);
      const cipher =
        config.encryption.kind === "local" && !config.encryption.key
          ? new EnvelopeCipher(lazyLocalProvider(config.encryption.dataDir))
          : createCipher(config.encryption, config.region);
      store = {
        config,
        client,
        doc,
        cipher,
        sessions: new SessionRepository(doc, config.sessionsTable, cipher),
        admins: new AdminRepository(doc, config.botStateTable),
        audit: new AuditLog(doc, config.botStateTable),
      };
      return store;
    },
    loadedConfig: () => loaded,
    close() {
      store?.client.destroy();
    },
  };
}
