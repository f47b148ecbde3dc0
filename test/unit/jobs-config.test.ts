import { describe, expect, it } from "vitest";
import { parseEnv } from "../../lib/config";
import { cleanupEnvShape, dispatchEnvShape, workerEnvShape } from "../../lib/jobs/runtime";

describe("the jobs' environment", () => {
  it("takes the designed defaults when the optional variables are unset or blank", () => {
    expect(parseEnv(workerEnvShape, { WORKER_CONCURRENCY: "" })).toMatchObject({
      WORKER_CONCURRENCY: 10,
      CHECK_DEADLINE_MS: 20_000,
      POWERTOOLS_METRICS_NAMESPACE: "SessionKeeper",
    });
    expect(parseEnv(cleanupEnvShape, {})).toMatchObject({ CLEANUP_AFTER_DAYS: 30 });
  });

  it.each([
    [
      workerEnvShape,
      { WORKER_CONCURRENCY: "0" },
      /^Invalid WORKER_CONCURRENCY \(.*\): set it to a whole number from 1 to 50/,
    ],
    [
      workerEnvShape,
      { CHECK_DEADLINE_MS: "fast" },
      /^Invalid CHECK_DEADLINE_MS \(.*\): set it to milliseconds/,
    ],
    [
      cleanupEnvShape,
      { CLEANUP_AFTER_DAYS: "-3" },
      /^Invalid CLEANUP_AFTER_DAYS \(.*\): set it to a whole number of days/,
    ],
    [dispatchEnvShape, {}, /^Missing HEALTH_CHECK_QUEUE_URL: set it to the health check queue URL/],
  ] as const)("refuses a bad value in one line that says how to fix it (%#)", (shape, env, message) => {
    expect(() => parseEnv(shape, env)).toThrow(message);
  });
});
