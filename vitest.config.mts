import { defineConfig } from "vitest/config";

export default defineConfig({
  test: {
    include: ["test/**/*.test.ts"],
    globalSetup: ["test/support/global-setup.ts"],
    // After each file: every item it left in its tables belongs to a family lib/tables.ts lists.
    setupFiles: ["test/support/check-item-families.ts"],
    pool: "forks",
    testTimeout: 30_000,
    hookTimeout: 90_000,
    // Two cores here and in CI: more workers only contend with the DynamoDB Local JVM.
    maxWorkers: 2,
    reporters: ["default", "./test/support/reliability-reporter.ts", "./test/support/summary-reporter.ts"],
    env: { LOG_LEVEL: "WARN", AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED: "true" },
  },
});
