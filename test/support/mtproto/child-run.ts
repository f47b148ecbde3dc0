/**
 * Runs child-client.ts (a bare GramJS client) or child-check.ts (the userbot layer's health check) in its own Node
 * process against a loopback DC of this process, and watches whether that process exits on its own after
 * `client.destroy()`: the only honest proof that GramJS left no socket or ref'd timer behind (inside the test
 * worker, vitest's own handles would hide a leak).
 */
import { spawn } from "node:child_process";
import { resolve } from "node:path";
import type { ChildReport } from "./child-client";
import type { LoopbackDc } from "./loopback-dc";

export interface ChildRun<R = ChildReport> {
  readonly report: R;
  /** ms from the child's report (printed right after destroy()) to its exit, or "still running" at `exitWithinMs`. */
  readonly exitedAfterMs: number | "still running";
  /** TCP connections the DC accepted after the child had reported. */
  readonly connectionsAfterDestroy: number;
}

const SCRIPT = resolve(__dirname, "child-client.ts");

export async function runChildClient(
  dc: LoopbackDc,
  options: { sessionString: string; deadlineMs: number; exitWithinMs: number; guard?: boolean },
): Promise<ChildRun> {
  return runChildScript<ChildReport>(dc, SCRIPT, {
    env: {
      LOOPBACK_HOST: dc.host,
      LOOPBACK_DC_ID: String(dc.dcId),
      LOOPBACK_SESSION: options.sessionString,
      LOOPBACK_DEADLINE_MS: String(options.deadlineMs),
      LOOPBACK_GUARD: options.guard ? "1" : "0",
    },
    exitWithinMs: options.exitWithinMs,
  });
}

/**
 * Runs `script` (TypeScript, through tsx) in its own Node process with `env` added, waits for the first JSON line
 * it prints (its report), then up to `exitWithinMs` for it to exit on its own. A child still running then is killed.
 */
export async function runChildScript<R>(
  dc: LoopbackDc,
  script: string,
  options: { env: Record<string, string>; exitWithinMs: number },
): Promise<ChildRun<R>> {
  const child = spawn(process.execPath, ["--import", "tsx", script], {
    env: { ...process.env, ...options.env },
    stdio: ["ignore", "pipe", "pipe"],
  });
  const exited = new Promise<number>((done) => child.once("exit", () => done(Date.now())));
  let stdout = "";
  let stderr = "";
  child.stderr.on("data", (chunk: Buffer) => (stderr += chunk.toString()));
  const reported = new Promise<{ report: R; at: number; accepted: number }>((done, fail) => {
    child.stdout.on("data", (chunk: Buffer) => {
      stdout += chunk.toString();
      const line = stdout.split("\n").find((l) => l.startsWith("{"));
      if (line)
        done({
          report: JSON.parse(line) as R,
          at: Date.now(),
          accepted: dc.stats().connectionsAccepted,
        });
    });
    void exited.then(() => fail(new Error(`child exited without a report: ${stderr}`)));
  });
  try {
    const { report, at, accepted } = await reported;
    let timer: NodeJS.Timeout | undefined;
    const exitAt = await Promise.race([
      exited,
      new Promise<"still running">((done) => {
        timer = setTimeout(() => done("still running"), options.exitWithinMs);
      }),
    ]);
    clearTimeout(timer);
    return {
      report,
      exitedAfterMs: exitAt === "still running" ? exitAt : exitAt - at,
      connectionsAfterDestroy: dc.stats().connectionsAccepted - accepted,
    };
  } finally {
    // Only this child, by its own handle; a no-op when it already exited.
    if (child.exitCode === null && child.signalCode === null) child.kill("SIGKILL");
    await exited;
  }
}
