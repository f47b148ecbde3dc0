import { ResourceNotFoundException } from "@aws-sdk/client-dynamodb";
import { describe, expect, it } from "vitest";
import { CliError, UsageError } from "../../lib/cli/command";
import { describeFailure } from "../../lib/cli/errors";
import { loadStoreConfig } from "../../lib/config";
import { IllegalTransitionError, InvalidPhoneError } from "../../lib/sessions";

const local = loadStoreConfig({ LOCAL_DATA_DIR: "/tmp/none" });
const aws = loadStoreConfig({
  SESSIONS_TABLE: "prod-sessions",
  BOT_STATE_TABLE: "prod-state",
  KMS_KEY_ID: "alias/sk",
  AWS_REGION: "eu-central-1",
});

describe("what the operator is told, and the exit code", () => {
  it("a wrong command line is exit 2 with its hint; a refused action exit 1", () => {
    expect(describeFailure(new UsageError("Unknown command", "Run `sessions --help`."))).toEqual({
      message: "Unknown command",
      hint: "Run `sessions --help`.",
      exitCode: 2,
    });
    expect(describeFailure(new InvalidPhoneError("12")).exitCode).toBe(2);
    expect(describeFailure(new IllegalTransitionError("error", "pause"))).toEqual({
      message: "Cannot pause a session that is error: only an active session can be paused.",
      exitCode: 1,
    });
    expect(describeFailure(new CliError("Not deleted: you did not confirm.")).exitCode).toBe(1);
  });

  it("a KMS refusal of the session key says to run as the operator role; other refusals get no such hint", () => {
    const kms = Object.assign(
      new Error(
        "User: arn:aws:sts::123456789012:assumed-role/Admin/alice is not authorized to perform: kms:Decrypt on resource: arn:aws:kms:eu-central-1:123456789012:key/1 because no resource-based policy allows the kms:Decrypt action",
      ),
      { name: "AccessDeniedException" },
    );
    const failure = describeFailure(kms, aws);
    expect(failure.message).toContain("AWS denied the request");
    expect(failure.hint).toContain("operator role");
    const dynamo = Object.assign(new Error("not authorized to perform: dynamodb:GetItem"), {
      name: "AccessDeniedException",
    });
    expect(describeFailure(dynamo, aws).hint).toBeUndefined();
  });

  it("a missing table says where it looked and what creates it", () => {
    const err = new ResourceNotFoundException({ message: "Requested resource not found", $metadata: {} });
    const onLocal = describeFailure(err, local);
    expect(onLocal.message).toBe(
      "A table is missing on DynamoDB Local at http://127.0.0.1:8000 (session-keeper-sessions / session-keeper-bot-state).",
    );
    expect(onLocal.hint).toContain("`npm run dev` creates the local tables");
    const onAws = describeFailure(err, aws);
    expect(onAws.message).toContain("AWS (eu-central-1) (prod-sessions / prod-state)");
    expect(onAws.hint).toContain("SESSIONS_TABLE, BOT_STATE_TABLE and AWS_REGION");
  });

  it("missing AWS credentials say how to log in", () => {
    const err = Object.assign(new Error("Could not load credentials from any providers"), {
      name: "CredentialsProviderError",
    });
    expect(describeFailure(err, aws)).toMatchObject({
      message: "AWS refused or found no credentials (CredentialsProviderError).",
      exitCode: 1,
    });
  });

  it("a refused connection to DynamoDB Local says to start it", () => {
    const err = Object.assign(new Error("connect ECONNREFUSED 127.0.0.1:8000"), { code: "ECONNREFUSED" });
    expect(describeFailure(err, local).message).toContain(
      "DynamoDB Local is not running at http://127.0.0.1:8000",
    );
  });

  it("never prints a secret that an unexpected error happens to quote", () => {
    const token = "123456789:AAHfakeFAKEfakeFAKEfakeFAKEfake_abcdEF";
    const failure = describeFailure(new Error(`bot ${token} refused`), local);
    expect(failure.message).toBe("Unexpected error: bot [REDACTED] refused");
    expect(failure.hint).toContain("DEBUG=1");
  });
});
