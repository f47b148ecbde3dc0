/**
 * The reliability suite's counters. Each test of test/reliability/ keeps its counts on its own task's metadata
 * (`task.meta.reliability`), which vitest hands to the reporters when the test ends; `reliability-reporter.ts` adds
 * them up over every file and prints the one summary line. Counts are what the tests really did, never constants.
 */
import type { TestContext } from "vitest";

export interface ReliabilityCounts {
  /** Outside inputs tried against a parser or entry point. */
  inputs: number;
  /** DynamoDB faults thrown into the code under test, plus deadlines hit. */
  faults: number;
  /** Webhook calls without the right secret or replaying an update, each refused. */
  forgedRefused: number;
  /** Sessions that existed before a fault and were missing (or lost their secret) after it settled. */
  itemsLost: number;
  /** Log lines scanned for the secrets used, and secrets found in them. */
  logLinesScanned: number;
  secretsInLogs: number;
  /** Secrets logged on purpose in a shape a mask must hold against (a token in a URL, a wrapped session string, a
   * Buffer, a 3-character password, …), each through the real logger and then scanned. */
  maskProbes: number;
}

declare module "vitest" {
  interface TaskMeta {
    reliability?: ReliabilityCounts;
  }
}

export function zeroCounts(): ReliabilityCounts {
  return {
    inputs: 0,
    faults: 0,
    forgedRefused: 0,
    itemsLost: 0,
    logLinesScanned: 0,
    secretsInLogs: 0,
    maskProbes: 0,
  };
}

/** This test's counters (created on first use); mutate them as the test goes. */
export function counters(ctx: Pick<TestContext, "task">): ReliabilityCounts {
  return (ctx.task.meta.reliability ??= zeroCounts());
}

export function addCounts(into: ReliabilityCounts, more: Partial<ReliabilityCounts>): void {
  for (const [k, v] of Object.entries(more) as [keyof ReliabilityCounts, number][]) into[k] += v;
}

export function formatSummary(c: ReliabilityCounts): string {
  const n = (x: number) => x.toLocaleString("en-US");
  return (
    `Reliability: ${n(c.inputs)} inputs tried, ${n(c.faults)} faults injected, ` +
    `${n(c.forgedRefused)} forged calls refused, ${n(c.itemsLost)} items lost, ` +
    `${n(c.secretsInLogs)} secrets in logs (${n(c.logLinesScanned)} log lines scanned, ${n(c.maskProbes)} mask probes)`
  );
}
