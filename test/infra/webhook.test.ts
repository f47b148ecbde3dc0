/**
 * `npm run webhook:set` / `webhook:info`, with AWS and Telegram replaced by recording fakes: what is sent to
 * Telegram, and what the operator reads when something is missing.
 */
import { describe, expect, it } from "vitest";
import {
  explainAwsError,
  findDeployment,
  setWebhook,
  showWebhookInfo,
  WebhookSetupError,
  type Dependencies,
} from "../../infra/webhook";

const APP_ARN = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:AppSecret-AbCdEf";
const HOOK_ARN = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:WebhookSecret-AbCdEf";
const URL = "https://abc123.execute-api.eu-central-1.amazonaws.com/webhook";
const TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1";
const SECRET_TOKEN = "k3yFromSecretsManagerK3yFromSecretsManagerAbcd";

const OUTPUTS = JSON.stringify({
  "SessionKeeper-Stateful": { AppSecretArn: APP_ARN, WebhookSecretArn: HOOK_ARN, SessionsTableName: "t" },
  "SessionKeeper-Service": { WebhookUrl: URL },
});

function fakes(overrides: Partial<Dependencies> & { appSecret?: string; answer?: unknown } = {}) {
  const calls: { url: string; body: Record<string, unknown> }[] = [];
  const lines: string[] = [];
  const deps: Dependencies = {
    env: {},
    readFile: () => OUTPUTS,
    getSecret: (arn) =>
      Promise.resolve(
        arn === APP_ARN ? (overrides.appSecret ?? JSON.stringify({ BOT_TOKEN: TOKEN })) : SECRET_TOKEN,
      ),
    fetch: (url, init) => {
      calls.push({ url, body: JSON.parse(init.body) as Record<string, unknown> });
      return Promise.resolve({ json: () => Promise.resolve(overrides.answer ?? { ok: true, result: true }) });
    },
    log: (line) => lines.push(line),
    ...overrides,
  };
  return { deps, calls, lines };
}

describe("webhook:set", () => {
  it("registers the deployed URL with the secret token and only the updates the bot handles", async () => {
    const { deps, calls, lines } = fakes();
    await setWebhook(deps, { dropPendingUpdates: false });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.url).toBe(`https://api.telegram.org/bot${TOKEN}/setWebhook`);
    expect(calls[0]!.body).toEqual({
      url: URL,
      secret_token: SECRET_TOKEN,
      allowed_updates: ["message", "callback_query"],
      max_connections: 20,
      drop_pending_updates: false,
    });
    expect(lines.join("\n")).toContain(URL);
    expect(lines.join("\n")).not.toContain(TOKEN);
    expect(lines.join("\n")).not.toContain(SECRET_TOKEN);
  });

  it("shows the Mini App login page's URL when the stack outputs have it", async () => {
    const miniAppUrl = "https://abc123.execute-api.eu-central-1.amazonaws.com/login";
    const outputs = JSON.parse(OUTPUTS) as Record<string, Record<string, string>>;
    outputs["SessionKeeper-Service"]!.MiniAppUrl = miniAppUrl;
    const { deps, calls, lines } = fakes({ readFile: () => JSON.stringify(outputs) });
    await setWebhook(deps, { dropPendingUpdates: false });
    expect(lines).toContain(`Mini App login page (the AdminBot's web_app button): ${miniAppUrl}`);
    expect(JSON.stringify(calls)).not.toContain("/login");
  });

  it("drops pending updates when asked", async () => {
    const { deps, calls } = fakes();
    await setWebhook(deps, { dropPendingUpdates: true });
    expect(calls[0]!.body.drop_pending_updates).toBe(true);
  });

  it("says how to put the bot token while the app secret still holds the deploy's empty placeholder", async () => {
    const { deps, calls } = fakes({ appSecret: JSON.stringify({ BOT_TOKEN: "", API_ID: "", API_HASH: "" }) });
    await expect(setWebhook(deps, { dropPendingUpdates: false })).rejects.toThrow(
      /no valid BOT_TOKEN yet[\s\S]*aws secretsmanager put-secret-value --region eu-central-1 --secret-id arn:aws:secretsmanager/,
    );
    expect(calls).toHaveLength(0);
  });

  it("reports Telegram's refusal, and never the token when Telegram cannot be reached", async () => {
    const refused = fakes({
      answer: { ok: false, description: "Bad Request: bad webhook: HTTPS url must be provided" },
    });
    await expect(setWebhook(refused.deps, { dropPendingUpdates: false })).rejects.toThrow(
      "Telegram refused setWebhook: Bad Request: bad webhook: HTTPS url must be provided.",
    );
    const offline = fakes({ fetch: (url) => Promise.reject(new Error(`connect ETIMEDOUT ${url}`)) });
    const err = await setWebhook(offline.deps, { dropPendingUpdates: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(WebhookSetupError);
    expect(String(err)).toContain("Could not reach Telegram");
    expect(String(err)).not.toContain(TOKEN);
  });
});

describe("webhook:info", () => {
  it("shows Telegram's view and flags a URL that is not the deployed one", async () => {
    const { deps, lines, calls } = fakes({
      answer: {
        ok: true,
        result: {
          url: "https://old.example.com/hook",
          pending_update_count: 7,
          last_error_date: 1_700_000_000,
          last_error_message: "Wrong response from the webhook: 401 Unauthorized",
          allowed_updates: ["message"],
        },
      },
    });
    await showWebhookInfo(deps);
    expect(calls[0]!.url).toMatch(/\/getWebhookInfo$/);
    const text = lines.join("\n");
    expect(text).toContain("pending updates:      7");
    expect(text).toContain("401 Unauthorized");
    expect(text).toContain("run npm run webhook:set");
  });
});

describe("finding the deployment", () => {
  it("reads cdk-outputs.json and takes the region from the secret's ARN", () => {
    expect(findDeployment(fakes().deps)).toEqual({
      webhookUrl: URL,
      appSecretArn: APP_ARN,
      webhookSecretArn: HOOK_ARN,
      region: "eu-central-1",
    });
  });

  it("prefers environment variables, for a deployment made elsewhere", () => {
    const d = findDeployment({
      env: {
        WEBHOOK_URL: "https://x.example.com/webhook",
        APP_SECRET_ARN: "arn:aws:secretsmanager:us-west-2:1:secret:a",
        WEBHOOK_SECRET_ARN: "w",
      },
      readFile: () => undefined,
    });
    expect(d).toMatchObject({ webhookUrl: "https://x.example.com/webhook", region: "us-west-2" });
  });

  it("says to deploy first when there are no outputs", () => {
    expect(() => findDeployment({ env: {}, readFile: () => undefined })).toThrow(
      /Missing WEBHOOK_URL, APP_SECRET_ARN, WEBHOOK_SECRET_ARN: .*cdk-outputs.json does not exist\. Run npm run deploy/,
    );
  });

  it("turns a missing AWS login into what to do", () => {
    const err = Object.assign(new Error("Could not load credentials from any providers"), {
      name: "CredentialsProviderError",
    });
    expect(explainAwsError(err, APP_ARN).message).toMatch(/^No AWS credentials found\. Sign in/);
    const denied = Object.assign(new Error("denied"), { name: "AccessDeniedException" });
    expect(explainAwsError(denied, APP_ARN).message).toContain("secretsmanager:GetSecretValue");
  });
});
