/**
 * The webhook secret as it is in AWS: read from Secrets Manager (the real SDK client through Powertools Parameters,
 * against a stand-in for Secrets Manager's HTTP API), validated, and rotated under a warm function.
 *
 * Catches: a blank or malformed secret accepted (every update then refused, or one anyone can guess); a rotation that
 * leaves warm containers answering 401 until they are recycled; a forged caller making us read Secrets Manager on
 * every call.
 */
import { randomBytes } from "node:crypto";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { ConfigError } from "../../lib/config";
import { secretsManagerSource } from "../../lib/secrets";
import { SECRET_REREAD_SECONDS } from "../../lib/bot/webhook";
import { BOT_TOKEN, createBotHarness } from "../support/bot-harness";
import { captureOutput } from "../support/capture-logs";
import { startFakeSecretsManager, type FakeSecretsManager } from "../support/fake-secrets-manager";
import { API_HASH, API_ID } from "../support/fake-telegram-harness";

const OWNER = { id: 1001, is_bot: false, first_name: "Owner", language_code: "en" } as const;

let sm: FakeSecretsManager;
let n = 0;
/** A fresh pair of secret ARNs per test: Powertools caches values per name for the whole process. */
function arns() {
  n++;
  const base = `arn:aws:secretsmanager:eu-central-1:123456789012:secret:test-${process.pid}-${n}`;
  return { app: `${base}-app`, webhook: `${base}-webhook` };
}
const fresh = () => randomBytes(24).toString("hex");

beforeAll(async () => {
  sm = await startFakeSecretsManager();
  process.env.AWS_ENDPOINT_URL_SECRETS_MANAGER = sm.endpoint;
  process.env.AWS_ACCESS_KEY_ID = "test";
  process.env.AWS_SECRET_ACCESS_KEY = "test";
  process.env.AWS_REGION = "eu-central-1";
});
afterAll(async () => {
  await sm.close();
});

describe("the webhook secret from Secrets Manager is validated", () => {
  const bad: [string, string, RegExp][] = [
    ["blank", "   ", /is blank/],
    ["empty", "", /is blank/],
    ["too short", "abc123", /is 6 characters long; it needs at least 16/],
    ["too long", "a".repeat(257), /at most 256/],
    ["a space inside", "abcdefgh ijklmnopq", /A-Z a-z 0-9 _ -/],
    ["a newline at the end", `${"a".repeat(20)}\n`, /A-Z a-z 0-9 _ -/],
    ["a look-alike letter", `${"a".repeat(20)}е`, /A-Z a-z 0-9 _ -/],
  ];
  for (const [what, value, expected] of bad) {
    it(`refuses a secret that is ${what}, saying what is wrong and how to put a new one, without echoing it`, async () => {
      const arn = arns();
      sm.values.set(arn.webhook, value);
      const source = secretsManagerSource({ APP_SECRET_ARN: arn.app, WEBHOOK_SECRET_ARN: arn.webhook });
      const err = await source.webhookSecret().catch((e: unknown) => e);
      expect(err).toBeInstanceOf(ConfigError);
      const message = (err as Error).message;
      expect(message).toMatch(expected);
      expect(message).toContain(`The webhook secret in ${arn.webhook}`);
      expect(message).toContain("aws secretsmanager put-secret-value");
      expect(message).toContain("npm run webhook:set");
      if (value.trim().length >= 4) expect(message).not.toContain(value.trim());
    });
  }

  it("accepts 16–256 of A-Z a-z 0-9 _ -", async () => {
    for (const value of ["a".repeat(16), "A-z_0-9".repeat(3), "x".repeat(256)]) {
      const arn = arns();
      sm.values.set(arn.webhook, value);
      const source = secretsManagerSource({ APP_SECRET_ARN: arn.app, WEBHOOK_SECRET_ARN: arn.webhook });
      expect(await source.webhookSecret()).toBe(value);
    }
  });
});

describe("a rotated webhook secret under a warm function", () => {
  async function warmBot() {
    const arn = arns();
    const before = fresh();
    sm.values.set(arn.app, JSON.stringify({ BOT_TOKEN, API_ID: String(API_ID), API_HASH }));
    sm.values.set(arn.webhook, before);
    const h = await createBotHarness({
      owner: OWNER,
      env: { APP_SECRET_ARN: arn.app, WEBHOOK_SECRET_ARN: arn.webhook, SECRETS_MAX_AGE_SECONDS: "300" },
    });
    const reads = () => sm.reads.get(arn.webhook) ?? 0;
    expect((await h.post(h.updates.text(OWNER, "/start"), before)).statusCode).toBe(200);
    expect(reads()).toBe(1);
    return { h, arn, before, reads };
  }

  it("the first update with the new value is accepted at once; the old value is refused from then on", async () => {
    const { h, arn, before, reads } = await warmBot();
    const after = fresh();
    sm.values.set(arn.webhook, after);
    const replies = h.api.callsOf("sendMessage").length;

    // Within the cache's 5 minutes: the warm container reads the secret again once, and takes the update.
    expect((await h.post(h.updates.text(OWNER, "/start"), after)).statusCode).toBe(200);
    expect(reads()).toBe(2);
    expect(h.api.callsOf("sendMessage").length).toBe(replies + 1);

    // The old value is refused, and (within the re-read's rate limit) costs no read.
    expect((await h.post(h.updates.text(OWNER, "/start"), before)).statusCode).toBe(401);
    expect((await h.post(h.updates.text(OWNER, "/start"), after)).statusCode).toBe(200);
    expect(reads()).toBe(2);
  });

  it(`forged calls cost at most one Secrets Manager read per ${SECRET_REREAD_SECONDS} s`, async () => {
    const { h, reads } = await warmBot();
    const refused = await Promise.all(
      Array.from({ length: 50 }, () => h.post(h.updates.text(OWNER, "/start"), fresh())),
    );
    expect(refused.map((r) => r.statusCode)).toEqual(Array(50).fill(401));
    expect(reads()).toBe(2);
    h.advance(SECRET_REREAD_SECONDS - 1);
    expect((await h.post(h.updates.text(OWNER, "/start"), fresh())).statusCode).toBe(401);
    expect(reads()).toBe(2);
    h.advance(2);
    expect((await h.post(h.updates.text(OWNER, "/start"), fresh())).statusCode).toBe(401);
    expect(reads()).toBe(3);
    // A call without the header at all never reads.
    expect((await h.post(h.updates.text(OWNER, "/start"), null)).statusCode).toBe(401);
    expect(reads()).toBe(3);
  });

  it("a rotation to a malformed value keeps the valid one and says so in the log", async () => {
    const { h, arn, before, reads } = await warmBot();
    sm.values.set(arn.webhook, "   ");
    const { result, output } = await captureOutput(() => h.post(h.updates.text(OWNER, "/start"), fresh()));
    expect(result.statusCode).toBe(401);
    expect(reads()).toBe(2);
    expect(output).toContain("Webhook secret could not be read again; keeping the one this container has");
    expect(output).toContain("is blank");
    expect((await h.post(h.updates.text(OWNER, "/start"), before)).statusCode).toBe(200);
  });
});
