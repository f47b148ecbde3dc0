import { spawn } from "node:child_process";
import { join } from "node:path";
import { describe, expect, it } from "vitest";

interface ChildReport {
  readonly outcome: string;
  readonly jobMs: number;
  readonly resources: string[];
  readonly exitCode: number | null;
  /** From the report line to the process's exit. */
  readonly exitAfterMs: number;
}

/** Runs one userbot job in a fresh Node process and waits for that process to end by itself. */
function runChild(scenario: string): Promise<ChildReport> {
  const child = spawn(
    process.execPath,
    ["--import", "tsx", join(__dirname, "../support/fake-telegram-exit-child.ts"), scenario],
    {
      stdio: ["ignore", "pipe", "pipe"],
    },
  );
  let out = "";
  let err = "";
  let reportedAt = 0;
  child.stdout.on("data", (chunk: Buffer) => {
    out += chunk.toString("utf8");
    if (!reportedAt && out.includes("\n")) reportedAt = Date.now();
  });
  child.stderr.on("data", (chunk: Buffer) => (err += chunk.toString("utf8")));
  return new Promise((resolve, reject) => {
    child.on("error", reject);
    child.on("exit", (exitCode) => {
      const line = out.split("\n").find((l) => l.startsWith("{"));
      if (!line) return reject(new Error(`the child reported nothing; stderr: ${err}`));
      const report = JSON.parse(line) as Omit<ChildReport, "exitCode" | "exitAfterMs">;
      resolve({ ...report, exitCode, exitAfterMs: Date.now() - reportedAt });
    });
  });
}

/**
 * What would carry into a Lambda's next invocation: timers and network handles. (stdio pipes are the test's own,
 * file reads are tsx compiling.)
 */
function leftovers(resources: string[]): string[] {
  return resources.filter((r) => /Timeout|Immediate|TCP|TLS|UDP|GetAddrInfo|Pipe(?!Wrap$)/.test(r));
}

describe("a userbot job leaves nothing running behind it", () => {
  it.each([
    ["a job that succeeds", "job", "ok"],
    ["a job stopped at its deadline", "deadline", "TIMEOUT"],
    ["GramJS's real client failing to connect (connect() → false)", "refused", "CONNECT_FAILED"],
  ])("%s: no timer or socket is left, and the process exits by itself", async (_what, scenario, outcome) => {
    const report = await runChild(scenario);
    console.log(
      `exit check ${scenario}: job ${report.jobMs} ms, exit ${report.exitAfterMs} ms after, left ${JSON.stringify(report.resources)}`,
    );
    expect(report.outcome).toBe(outcome);
    expect(leftovers(report.resources)).toEqual([]);
    expect(report.exitCode).toBe(0);
  });
});
