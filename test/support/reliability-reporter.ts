/**
 * Prints the reliability suite's one summary line at the end of the run (to stdout, so CI's output has it), adding
 * up the counters each test of test/reliability/ kept on its metadata. Silent when no such test ran.
 */
import type { Reporter, TestModule } from "vitest/node" with { "resolution-mode": "import" };
import { addCounts, formatSummary, zeroCounts } from "./reliability-counters";

export default class ReliabilityReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    const total = zeroCounts();
    let seen = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const counts = test.meta().reliability;
        if (!counts) continue;
        seen++;
        addCounts(total, counts);
      }
    }
    if (seen > 0) process.stdout.write(`\n${formatSummary(total)}\n`);
  }
}
