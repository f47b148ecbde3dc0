import { describe, expect, it } from "vitest";
import { ConfigError, loadStoreConfig } from "../../lib/config";

const KEY = Buffer.alloc(32, 7).toString("base64");

function errorOf(fn: () => unknown): ConfigError {
  try {
    fn();
  } catch (e) {
    if (e instanceof ConfigError) return e;
    throw e;
  }
  throw new Error("expected a ConfigError");
}

describe("store configuration", () => {
  it("defaults to the local stack with default table names and a generated local key", () => {
    const c = loadStoreConfig({});
    expect(c).toMatchObject({
      target: "local",
      sessionsTable: "session-keeper-sessions",
      botStateTable: "session-keeper-bot-state",
      endpoint: "http://127.0.0.1:8000",
      encryption: { kind: "local", dataDir: ".data" },
    });
  });

  it("targets AWS inside a Lambda and refuses to start without a KMS key, in one line naming it", () => {
    const e = errorOf(() =>
      loadStoreConfig({ AWS_LAMBDA_FUNCTION_NAME: "fn", SESSIONS_TABLE: "s", BOT_STATE_TABLE: "b" }),
    );
    expect(e.variable).toBe("KMS_KEY_ID");
    expect(e.message).toMatch(/^Missing KMS_KEY_ID: set it to the ARN or alias/);
    expect(e.message).not.toContain("\n");
  });

  it("says which table variable is missing in AWS", () => {
    const e = errorOf(() => loadStoreConfig({ AWS_LAMBDA_FUNCTION_NAME: "fn", KMS_KEY_ID: "k" }));
    expect(e.message).toBe(
      "Missing SESSIONS_TABLE: set it to the sessions table name (the stack output SessionsTableName).",
    );
  });

  it("uses KMS in AWS when everything is set", () => {
    const c = loadStoreConfig({
      SESSIONS_TABLE: "s",
      BOT_STATE_TABLE: "b",
      KMS_KEY_ID: "alias/k",
      AWS_REGION: "eu-central-1",
    });
    expect(c).toMatchObject({
      target: "aws",
      region: "eu-central-1",
      encryption: { kind: "kms", keyId: "alias/k" },
    });
    expect(c.endpoint).toBeUndefined();
  });

  it("rejects a malformed key or endpoint, naming the variable and the fix", () => {
    expect(errorOf(() => loadStoreConfig({ SESSION_ENCRYPTION_KEY: "short" })).message).toMatch(
      /^Invalid SESSION_ENCRYPTION_KEY \(must decode from base64 to exactly 32 bytes\): set it to 32 random bytes/,
    );
    expect(errorOf(() => loadStoreConfig({ DYNAMODB_ENDPOINT: "not a url" })).variable).toBe(
      "DYNAMODB_ENDPOINT",
    );
  });

  it("takes a key from SESSION_ENCRYPTION_KEY and tables plus endpoint for a local run", () => {
    const c = loadStoreConfig({
      SESSIONS_TABLE: "x",
      BOT_STATE_TABLE: "y",
      DYNAMODB_ENDPOINT: "http://127.0.0.1:9",
      SESSION_ENCRYPTION_KEY: KEY,
    });
    expect(c.target).toBe("local");
    expect(c.encryption).toMatchObject({ kind: "local" });
    expect(c.encryption.kind === "local" && c.encryption.key?.length).toBe(32);
  });
});
