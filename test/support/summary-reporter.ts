/**
 * Ends the run with one plain line, "Tests: N passed, N failed", that CI reads whatever the runner's own output
 * looks like.
 */
import type { Reporter, TestModule } from "vitest/node" with { "resolution-mode": "import" };

export default class SummaryReporter implements Reporter {
  onTestRunEnd(testModules: ReadonlyArray<TestModule>): void {
    let passed = 0;
    let failed = 0;
    let skipped = 0;
    for (const module of testModules) {
      for (const test of module.children.allTests()) {
        const state = test.result().state;
        if (state === "passed") passed++;
        else if (state === "failed") failed++;
        else skipped++;
      }
      // A file that failed outside its tests (a failed import, or an afterAll check such as the item families'
      // one) counts as one failure, so the line never reads "0 failed" for a red run.
      const testFailed = [...module.children.allTests()].some((t) => t.result().state === "failed");
      if (module.state() === "failed" && !testFailed) failed++;
    }
    process.stdout.write(
      `\nTests: ${passed} passed, ${failed} failed${skipped ? `, ${skipped} skipped` : ""}\n`,
    );
  }
}
