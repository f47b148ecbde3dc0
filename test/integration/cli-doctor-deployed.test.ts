/**
 * `sessions doctor` against a deployed stack (issue 18): the webhook registered at this stack's URL with no failed
 * delivery in the last 24 h (getWebhookInfo, answered by the project's Bot API stand-in, test/support/bot-api.ts, at
 * grammY's HTTP boundary), and both schedules enabled (EventBridge Scheduler, behind its port, faked here). The
 * stack's URL and schedule names come from the stack outputs file, as the deployed CLI reads them.
 */
import { mkdtempSync, writeFileSync } from "node:fs";
import { tmpdir } from "node:os";
import { join } from "node:path";
import { PassThrough } from "node:stream";
import { Api } from "grammy";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { runDoctor } from "../../lib/cli/commands/doctor";
import { createContext, type CliContext } from "../../lib/cli/context";
import type { SchedulePort } from "../../lib/cli/deployed";
import { FakeBotApi } from "../support/bot-api";
import { cliEnv } from "../support/cli-run";
import { createTestStore, type TestStore } from "../support/dynamo";

const TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsawX";
const STACK_URL = "https://a1b2c3d4e5.execute-api.eu-central-1.amazonaws.com/webhook";
const PATH_SECRET = "Zq7RkT2mWx9PbLc4Hs8NdVf3";
const OUTPUTS = {
  WebhookUrl: STACK_URL,
  HealthCheckScheduleName: "HealthCheckSchedule-0B6E8160",
  CleanupScheduleName: "CleanupSchedule-83931D49",
};

let store: TestStore;
const contexts: CliContext[] = [];
const SAVED = { ...process.env };

beforeAll(async () => {
  store = await createTestStore();
  // The AWS SDK (in this process) finds DynamoDB Local as a deployed CLI would find DynamoDB.
  process.env.AWS_ENDPOINT_URL_DYNAMODB = store.endpoint;
  process.env.AWS_ACCESS_KEY_ID = "local";
  process.env.AWS_SECRET_ACCESS_KEY = "local";
});
afterAll(() => {
  for (const ctx of contexts) ctx.close();
  process.env = SAVED;
});

function outputsFile(outputs: Record<string, string>): string {
  const file = join(mkdtempSync(join(tmpdir(), "sk-outputs-")), "cdk-outputs.json");
  writeFileSync(file, JSON.stringify({ "SessionKeeper-Service": outputs }));
  return file;
}

/** The deployed CLI's context: table names and a region, no DynamoDB endpoint; the Bot API token of the stand-in. */
function deployedContext(outputs: Record<string, string> = OUTPUTS): CliContext {
  const env = cliEnv(store, {
    BOT_TOKEN: TOKEN,
    API_ID: "12345",
    API_HASH: "0123456789abcdef0123456789abcdef",
    AWS_REGION: "eu-central-1",
    CDK_OUTPUTS_FILE: outputsFile(outputs),
  });
  delete env.DYNAMODB_ENDPOINT;
  const term = { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough() };
  const ctx = createContext(term, env);
  contexts.push(ctx);
  return ctx;
}

function schedules(states: Record<string, string | Error>): SchedulePort & { asked: string[] } {
  const asked: string[] = [];
  return {
    asked,
    state(name) {
      asked.push(name);
      const s = states[name] ?? "ENABLED";
      return s instanceof Error ? Promise.reject(s) : Promise.resolve(s);
    },
  };
}

async function check(name: string, api: FakeBotApi, port: SchedulePort, ctx = deployedContext()) {
  const results = await runDoctor(ctx, { botApi: api.transformer, schedules: port });
  const r = results.find((c) => c.name === name)!;
  return { required: r.required, ...r.outcome } as {
    required: boolean;
    state: string;
    detail: string;
    fix?: string;
  };
}

describe("sessions doctor on a deployed stack: the webhook", () => {
  it("registered at this stack's URL with no recent error: ✓ (required), the path secret never shown", async () => {
    const api = new FakeBotApi();
    api.webhook.url = `${STACK_URL}/${PATH_SECRET}`;
    api.webhook.pending_update_count = 2;
    // An error three days ago is history.
    api.webhook.last_error_date = Math.floor(Date.now() / 1000) - 3 * 86_400;
    api.webhook.last_error_message = "Wrong response from the webhook: 502 Bad Gateway";
    const r = await check("Webhook", api, schedules({}));
    expect(r).toEqual({
      required: true,
      state: "pass",
      detail: "registered at this stack's URL, 2 updates pending, no error in 24 h",
    });
    expect(api.callsOf("getWebhookInfo")).toHaveLength(1);
  });

  it("registered at another address: ✗ naming both (masked), fix npm run webhook:set", async () => {
    const api = new FakeBotApi();
    api.webhook.url = `https://old-stack.example.com/webhook/${PATH_SECRET}`;
    const r = await check("Webhook", api, schedules({}));
    expect(r.state).toBe("fail");
    expect(r.detail).toBe(
      `registered at https://old-stack.example.com/webhook/Zq7R…, not at this stack's ${STACK_URL}/…: ` +
        "Telegram delivers the updates elsewhere",
    );
    expect(r.fix).toBe("Register it at this stack's URL: npm run webhook:set.");
    expect(JSON.stringify(r)).not.toContain(PATH_SECRET);
  });

  it("a delivery failed 2 hours ago: ✗ with Telegram's error message and the fix", async () => {
    const api = new FakeBotApi();
    api.webhook.url = `${STACK_URL}/${PATH_SECRET}`;
    api.webhook.last_error_date = Math.floor(Date.now() / 1000) - 2 * 3600;
    api.webhook.last_error_message = "Wrong response from the webhook: 500 Internal Server Error";
    const r = await check("Webhook", api, schedules({}));
    expect(r.state).toBe("fail");
    expect(r.detail).toBe(
      "registered at this stack's URL, but Telegram's delivery failed 2h 0m ago: " +
        "Wrong response from the webhook: 500 Internal Server Error",
    );
    expect(r.fix).toContain("npm run webhook:set");
    // npm run webhook:set registers it again, which clears Telegram's last error: then it passes.
    const bot = new Api(TOKEN);
    bot.config.use(api.transformer);
    await bot.setWebhook(`${STACK_URL}/${PATH_SECRET}`);
    expect((await check("Webhook", api, schedules({}))).state).toBe("pass");
  });

  it("none registered: ✗ (Telegram delivers nothing); no outputs to compare with: ✗ saying where it looked", async () => {
    const none = await check("Webhook", new FakeBotApi(), schedules({}));
    expect(none).toMatchObject({
      state: "fail",
      fix: "Register it at this stack's URL: npm run webhook:set.",
    });
    const api = new FakeBotApi();
    api.webhook.url = `${STACK_URL}/${PATH_SECRET}`;
    const unknown = await check("Webhook", api, schedules({}), deployedContext({}));
    expect(unknown.state).toBe("fail");
    expect(unknown.detail).toContain(
      "registered at https://a1b2c3d4e5.execute-api.eu-central-1.amazonaws.com/webhook/Zq7R…",
    );
    expect(unknown.detail).toContain("cannot find this stack's webhook URL:");
    expect(unknown.detail).toContain("has no WebhookUrl");
  });
});

describe("sessions doctor on a deployed stack: the schedules", () => {
  it("both enabled: ✓, each asked by its name from the outputs", async () => {
    const port = schedules({});
    const r = await check("Schedules", new FakeBotApi(), port);
    expect(r).toEqual({
      required: true,
      state: "pass",
      detail: "health check and cleanup schedules enabled",
    });
    expect(port.asked.sort()).toEqual([OUTPUTS.CleanupScheduleName, OUTPUTS.HealthCheckScheduleName]);
  });

  it("one disabled: ✗ naming it, with how to enable it", async () => {
    const r = await check(
      "Schedules",
      new FakeBotApi(),
      schedules({ [OUTPUTS.CleanupScheduleName]: "DISABLED" }),
    );
    expect(r.state).toBe("fail");
    expect(r.detail).toBe(
      `the cleanup schedule ${OUTPUTS.CleanupScheduleName} is DISABLED: that job does not run`,
    );
    expect(r.fix).toContain("EventBridge Scheduler console");
  });

  it("the role may not read them, or one is gone: ✗ with what to do", async () => {
    const denied = Object.assign(new Error("not authorized to perform: scheduler:GetSchedule"), {
      name: "AccessDeniedException",
    });
    const gone = Object.assign(new Error("Schedule not found"), { name: "ResourceNotFoundException" });
    const r = await check(
      "Schedules",
      new FakeBotApi(),
      schedules({ [OUTPUTS.HealthCheckScheduleName]: denied, [OUTPUTS.CleanupScheduleName]: gone }),
    );
    expect(r.state).toBe("fail");
    expect(r.detail).toBe("could not read the health check schedule and the cleanup schedule");
    expect(r.fix).toContain(`AWS denied scheduler:GetSchedule on ${OUTPUTS.HealthCheckScheduleName}`);
    expect(r.fix).toContain(
      `the schedule ${OUTPUTS.CleanupScheduleName} does not exist: deploy the service stack`,
    );
  });

  it("a local stack has none: – (not required)", async () => {
    const term = { stdout: new PassThrough(), stderr: new PassThrough(), stdin: new PassThrough() };
    const ctx = createContext(term, cliEnv(store, { BOT_TOKEN: TOKEN }));
    contexts.push(ctx);
    const port = schedules({});
    const r = await check("Schedules", new FakeBotApi(), port, ctx);
    expect(r).toEqual({
      required: false,
      state: "skip",
      detail: "local stack: npm run dev runs the jobs on its timers",
    });
    expect(port.asked).toEqual([]);
  });
});
