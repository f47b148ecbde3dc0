/**
 * What a command works with: the terminal (streams, colour, whether a person is there to answer), the environment,
 * who is acting (for the audit trail), and the store, built only when a command first needs it so `--help` and
 * usage errors never touch the network.
 */
import { userInfo } from "node:os";
import type { Env, StoreConfig } from "../config";
import { createLogger, type Logger, type LogLevel } from "../log";
import { cliActor } from "../bot-state/audit";
import type * as TelegramModule from "../telegram";
import type * as TestDcModule from "../telegram/test-dc";
import { createDependencies, type Dependencies, type TelegramLoader } from "../wiring";
import { colorsFor, type Colors } from "./format";
import { assertEndpointReachable } from "./reachable";

export interface Terminal {
  readonly stdout: NodeJS.WritableStream & { isTTY?: boolean; columns?: number };
  readonly stderr: NodeJS.WritableStream & { isTTY?: boolean };
  readonly stdin: NodeJS.ReadableStream & { isTTY?: boolean; setRawMode?: (raw: boolean) => unknown };
}

/** What lib/wiring.ts builds: the clients, the cipher, the repositories, and the userbot layer on first use. */
export type Store = Dependencies;

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
  /**
   * The same store, built without first asking whether DynamoDB Local answers (`sessions doctor` reports that
   * itself, and still checks the key and the bot token when it does not). Throws only when the configuration
   * does not parse.
   */
  dependencies(): Store;
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
 * The CLI's logger: silent by default (the command prints what happened in words), DEBUG with `DEBUG=1`, which then
 * shows the structured lines of the store and the userbot layer (secrets masked as everywhere).
 */
export function cliLogger(env: Env): Logger {
  const level: LogLevel = env.DEBUG ? "DEBUG" : "SILENT";
  return createLogger({ service: "cli", level });
}

/**
 * lib/telegram (GramJS) and the loopback-DC test seam, loaded on first use. The CLI runs as CommonJS through tsx's
 * require hook (bin/sessions.js), where an `import()` of our own TypeScript source does not resolve; a `require`
 * inside a function keeps the load as lazy.
 */
export const requireTelegram: TelegramLoader = {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  layer: () => Promise.resolve(require("../telegram") as typeof TelegramModule),
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  testDc: () => Promise.resolve(require("../telegram/test-dc") as typeof TestDcModule),
};

export function createContext(term: Terminal, env: Env): CliContext {
  let store: Store | undefined;
  /** Built, whether or not DynamoDB Local answered (closed by `close`). */
  let built: Store | undefined;
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
      const deps =
        built ??
        createDependencies({ env, logger: cliLogger(env), telegram: requireTelegram, keyWhenUsed: true });
      built = deps;
      loaded = deps.config;
      if (deps.config.target === "local" && deps.config.endpoint)
        await assertEndpointReachable(deps.config.endpoint);
      store = deps;
      return store;
    },
    dependencies() {
      built ??= createDependencies({
        env,
        logger: cliLogger(env),
        telegram: requireTelegram,
        keyWhenUsed: true,
      });
      loaded = built.config;
      return built;
    },
    loadedConfig: () => loaded,
    close() {
      built?.close();
    },
  };
}
