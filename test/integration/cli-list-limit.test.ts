/**
 * `sessions list` on a fleet bigger than a screen: a table stops at 50 rows and says how many more, --all and
 * --limit show more, filters (frozen, flood-waited) and sorts pick what to see, --json gives scripts every match.
 */
import { beforeAll, describe, expect, it, vi } from "vitest";
import type { Phone } from "../../lib/sessions";
import { cliEnv, runCli } from "../support/cli-run";
import { createTestStore, type TestStore } from "../support/dynamo";
import { newPhone } from "../support/fake-telegram-harness";

vi.setConfig({ testTimeout: 90_000 });

let store: TestStore;
let env: NodeJS.ProcessEnv;
const phones: Phone[] = [];
beforeAll(async () => {
  store = await createTestStore();
  env = cliEnv(store, { NO_COLOR: "1" });
  const repo = store.sessions();
  for (let i = 0; i < 55; i++) {
    const phone = newPhone();
    phones.push(phone);
    await repo.create({ phone, sessionString: `1${"B".repeat(300)}`, account: { userId: String(7000 + i) } });
  }
  for (const phone of phones.slice(0, 2)) {
    const s = await repo.require(phone);
    await repo.recordCheck(phone, s.version, { frozen: { detectedAt: new Date().toISOString() } });
  }
  const waiting = await repo.require(phones[2]!);
  await repo.recordCheck(waiting.phone, waiting.version, {
    floodWaitUntil: new Date(Date.now() + 3_600_000).toISOString(),
  });
});

const rows = (stdout: string) => stdout.split("\n").filter((l) => /^\+\d/.test(l));

describe("sessions list on a big fleet", () => {
  it("shows 50 rows by default and says how many more, with the way to see them", async () => {
    const r = await runCli(["list"], { env });
    expect(r.code).toBe(0);
    expect(rows(r.stdout)).toHaveLength(50);
    expect(r.stdout).toContain("5 more: --all, or --limit 55.");
    expect(r.stdout).toContain("55 total");
    const all = await runCli(["list", "--all"], { env });
    expect(rows(all.stdout)).toHaveLength(55);
    expect(all.stdout).not.toContain("more:");
  });

  it("gives scripts every match in JSON, or --limit of them with how many were left out", async () => {
    const json = JSON.parse((await runCli(["list", "--json"], { env })).stdout) as {
      sessions: unknown[];
      more: number;
    };
    expect(json.sessions).toHaveLength(55);
    expect(json.more).toBe(0);
    const three = JSON.parse((await runCli(["list", "--json", "--limit", "3"], { env })).stdout) as {
      sessions: unknown[];
      more: number;
    };
    expect(three.sessions).toHaveLength(3);
    expect(three.more).toBe(52);
  });

  it("filters frozen and flood-waited sessions, and sorts by phone", async () => {
    const frozen = await runCli(["list", "--frozen"], { env });
    expect(
      rows(frozen.stdout)
        .map((l) => l.split(/\s+/)[0])
        .sort(),
    ).toEqual(phones.slice(0, 2).sort());
    const waiting = await runCli(["list", "--flood-waited", "--json"], { env });
    expect(
      (JSON.parse(waiting.stdout) as { sessions: { phone: string }[] }).sessions.map((s) => s.phone),
    ).toEqual([phones[2]]);
    const none = await runCli(["list", "--frozen", "--status", "error"], { env });
    expect(none.stdout).toContain("No sessions match in status error.");
    const sorted = await runCli(["list", "--sort", "phone", "--limit", "5"], { env });
    expect(rows(sorted.stdout).map((l) => l.split(/\s+/)[0])).toEqual([...phones].sort().slice(0, 5));
  });

  it("refuses a sort it does not know, or --limit with --all: exit 2", async () => {
    const bad = await runCli(["list", "--sort", "size"], { env });
    expect(bad.code).toBe(2);
    expect(bad.stderr).toContain('Unknown sort "size".');
    const both = await runCli(["list", "--all", "--limit", "5"], { env });
    expect(both.code).toBe(2);
  });
});

describe("sessions list against a deployed stack", () => {
  /**
   * A deployed stack as the CLI sees one: table names and a region, no DYNAMODB_ENDPOINT (the AWS SDK is pointed at
   * DynamoDB Local through its own AWS_ENDPOINT_URL_DYNAMODB), and no KMS_KEY_ID.
   */
  const deployed = () => {
    const base = cliEnv(store, { NO_COLOR: "1" });
    delete base.DYNAMODB_ENDPOINT;
    delete base.SESSION_ENCRYPTION_KEY;
    return {
      ...base,
      AWS_ENDPOINT_URL_DYNAMODB: store.endpoint,
      AWS_REGION: "eu-central-1",
      AWS_ACCESS_KEY_ID: "local",
      AWS_SECRET_ACCESS_KEY: "local",
    };
  };

  it("lists without KMS_KEY_ID (it decrypts nothing); what needs the key says to set it", async () => {
    const env = deployed();
    const r = await runCli(["list", "--json"], { env });
    expect(r.stderr).toBe("");
    expect(r.code).toBe(0);
    expect((JSON.parse(r.stdout) as { sessions: unknown[] }).sessions).toHaveLength(55);
    const doctor = await runCli(["doctor", "--json"], { env });
    const key = (
      JSON.parse(doctor.stdout) as { checks: { name: string; state: string; detail: string }[] }
    ).checks.find((c) => c.name === "Encryption key")!;
    expect(key.state).toBe("fail");
    expect(key.detail).toContain("Missing KMS_KEY_ID");
  });
});
