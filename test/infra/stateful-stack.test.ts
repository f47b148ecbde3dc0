import { Match } from "aws-cdk-lib/assertions";
import { beforeAll, describe, expect, it } from "vitest";
import { BOT_STATE_TABLE, BY_REVOCATION_INDEX, BY_STATUS_INDEX, SESSIONS_TABLE } from "../../lib/tables";
import { resources, synthesize, type Synthesized } from "./synth";

let s: Synthesized;
beforeAll(() => {
  s = synthesize();
});

function tableWithKey(partitionKey: string) {
  const found = Object.values(resources(s.statefulTemplate, "AWS::DynamoDB::GlobalTable")).filter((t) =>
    JSON.stringify(t.Properties?.KeySchema).includes(`"AttributeName":"${partitionKey}"`),
  );
  expect(found).toHaveLength(1);
  return found[0]!;
}

describe("the stateful stack", () => {
  it("keys the sessions table by phone, with the byStatus index on status/updatedAt and the sparse byRevocation index", () => {
    s.statefulTemplate.hasResourceProperties("AWS::DynamoDB::GlobalTable", {
      KeySchema: [{ AttributeName: SESSIONS_TABLE.partitionKey.name, KeyType: "HASH" }],
      BillingMode: "PAY_PER_REQUEST",
      GlobalSecondaryIndexes: [
        {
          IndexName: BY_STATUS_INDEX,
          KeySchema: [
            { AttributeName: "status", KeyType: "HASH" },
            { AttributeName: "updatedAt", KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
        {
          IndexName: BY_REVOCATION_INDEX,
          KeySchema: [
            { AttributeName: "revocationState", KeyType: "HASH" },
            { AttributeName: "revocationGiveUpAt", KeyType: "RANGE" },
          ],
          Projection: { ProjectionType: "ALL" },
        },
      ],
      TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
    });
  });

  it("keys the bot-state table by pk/sk with TTL on expiresAt", () => {
    s.statefulTemplate.hasResourceProperties("AWS::DynamoDB::GlobalTable", {
      KeySchema: [
        { AttributeName: BOT_STATE_TABLE.partitionKey.name, KeyType: "HASH" },
        { AttributeName: BOT_STATE_TABLE.sortKey!.name, KeyType: "RANGE" },
      ],
      TimeToLiveSpecification: { AttributeName: "expiresAt", Enabled: true },
    });
  });

  it.each([
    ["sessions", "phone"],
    ["bot state", "pk"],
  ])(
    "protects the %s table: PITR, deletion protection, retained on delete, encrypted with the table key",
    (_name, key) => {
      const table = tableWithKey(key) as { Properties: Record<string, unknown>; DeletionPolicy?: string };
      const raw = s.statefulTemplate.toJSON() as { Resources: Record<string, Record<string, unknown>> };
      const entry = Object.values(raw.Resources).find((r) => r === table) as
        { DeletionPolicy?: string; UpdateReplacePolicy?: string } | undefined;
      expect(entry?.DeletionPolicy).toBe("Retain");
      expect(entry?.UpdateReplacePolicy).toBe("Retain");
      const replica = (table.Properties.Replicas as Record<string, unknown>[])[0]!;
      expect(replica.PointInTimeRecoverySpecification).toEqual({
        PointInTimeRecoveryEnabled: true,
        RecoveryPeriodInDays: 35,
      });
      expect(replica.DeletionProtectionEnabled).toBe(true);
      expect(JSON.stringify(replica.SSESpecification)).toContain("TableKey");
      expect(table.Properties.SSESpecification).toEqual({ SSEEnabled: true, SSEType: "KMS" });
    },
  );

  it("has two customer-managed keys, both rotating and kept on delete", () => {
    const keys = resources(s.statefulTemplate, "AWS::KMS::Key");
    expect(Object.keys(keys)).toHaveLength(2);
    s.statefulTemplate.allResources("AWS::KMS::Key", {
      DeletionPolicy: "Retain",
      Properties: Match.objectLike({ EnableKeyRotation: true, PendingWindowInDays: 30 }),
    });
  });

  it("refuses any use of the session key without the encryption context app=session-keeper, to anyone", () => {
    s.statefulTemplate.hasResourceProperties("AWS::KMS::Key", {
      KeyPolicy: {
        Statement: Match.arrayWith([
          {
            Sid: "RequireSessionKeeperEncryptionContext",
            Effect: "Deny",
            Principal: { AWS: "*" },
            Action: ["kms:Encrypt", "kms:Decrypt", "kms:ReEncrypt*", "kms:GenerateDataKey*"],
            Resource: "*",
            Condition: { StringNotEquals: { "kms:EncryptionContext:app": "session-keeper" } },
          },
        ]),
      },
    });
  });

  it("creates the app secret with empty placeholders only: no value is written in code", () => {
    const secret = Object.values(resources(s.statefulTemplate, "AWS::SecretsManager::Secret")).find(
      (r) => r.Properties?.SecretString !== undefined,
    );
    expect(JSON.parse(String(secret?.Properties?.SecretString))).toEqual({
      BOT_TOKEN: "",
      API_ID: "",
      API_HASH: "",
    });
  });

  it("generates the webhook secret from letters and digits only (Telegram's secret_token alphabet), 48 long", () => {
    s.statefulTemplate.hasResourceProperties("AWS::SecretsManager::Secret", {
      GenerateSecretString: { PasswordLength: 48, ExcludePunctuation: true, IncludeSpace: false },
    });
  });

  it("outputs what operators and the CLI need, by the names lib/config.ts tells them to look for", () => {
    const outputs = Object.keys(s.statefulTemplate.findOutputs("*"));
    expect(outputs).toEqual(
      expect.arrayContaining([
        "SessionsTableName",
        "BotStateTableName",
        "SessionKeyArn",
        "AppSecretArn",
        "WebhookSecretArn",
        "WebhookPathSecretArn",
        "OperatorRoleArn",
      ]),
    );
  });

  it("is protected against deletion, so `cdk destroy` cannot take the sessions with it", () => {
    expect(s.stateful.terminationProtection).toBe(true);
  });
});
