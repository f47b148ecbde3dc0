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
import { localWebhookPath, maskWebhookUrl } from "../../infra/webhook-path";

const APP_ARN = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:AppSecret-AbCdEf";
const HOOK_ARN = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:WebhookSecret-AbCdEf";
const PATH_ARN = "arn:aws:secretsmanager:eu-central-1:123456789012:secret:WebhookPathSecret-AbCdEf";
/** The webhook path secret: the last segment of the real webhook URL. */
const PATH = "Pq7Rs9TuVw1XyZ2aBc3dEf4gHi5jKl6m";
const URL = "https://abc123.execute-api.eu-central-1.amazonaws.com/webhook";
const TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw1";
const SECRET_TOKEN = "k3yFromSecretsManagerK3yFromSecretsManagerAbcd";

const OUTPUTS = JSON.stringify({
  "SessionKeeper-Stateful": {
    AppSecretArn: APP_ARN,
    WebhookSecretArn: HOOK_ARN,
    WebhookPathSecretArn: PATH_ARN,
    SessionsTableName: "t",
  },
  "SessionKeeper-Service": { WebhookUrl: URL },
});

function fakes(
  overrides: Partial<Dependencies> & { appSecret?: string; pathSecret?: string; answer?: unknown } = {},
) {
  const calls: { url: string; body: Record<string, unknown> }[] = [];
  const lines: string[] = [];
  const deps: Dependencies = {
    env: {},
    readFile: () => OUTPUTS,
    getSecret: (arn) =>
      Promise.resolve(
        arn === APP_ARN
          ? (overrides.appSecret ?? JSON.stringify({ BOT_TOKEN: TOKEN }))
          : arn === PATH_ARN
            ? (overrides.pathSecret ?? PATH)
            : SECRET_TOKEN,
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
  it("registers the deployed URL under its secret path with the secret token and only the updates the bot handles", async () => {
    const { deps, calls, lines } = fakes();
    await setWebhook(deps, { dropPendingUpdates: false });
    expect(calls).toHaveLength(1);
    expect(calls[0]!.url).toBe(`https://api.telegram.org/bot${TOKEN}/setWebhook`);
    expect(calls[0]!.body).toEqual({
      url: `${URL}/${PATH}`,
      secret_token: SECRET_TOKEN,
      allowed_updates: ["message", "callback_query"],
      max_connections: 20,
      drop_pending_updates: false,
    });
    // The operator sees which URL, shortened to the path secret's first 4 characters; never the secrets.
    expect(lines.join("\n")).toContain(`${URL}/Pq7R…`);
    expect(lines.join("\n")).not.toContain(PATH);
    expect(lines.join("\n")).not.toContain(TOKEN);
    expect(lines.join("\n")).not.toContain(SECRET_TOKEN);
  });

  it("refuses a webhook path secret that cannot be the deployed route, and registers nothing", async () => {
    const { deps, calls } = fakes({ pathSecret: "   " });
    await expect(setWebhook(deps, { dropPendingUpdates: false })).rejects.toThrow(
      /webhook path secret .* does not hold 16-128 letters and digits/,
    );
    expect(calls).toHaveLength(0);
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
    expect(text).not.toContain(PATH);
  });

  it("recognises the deployed webhook and shows its URL without the path secret", async () => {
    const { deps, lines } = fakes({
      answer: { ok: true, result: { url: `${URL}/${PATH}`, pending_update_count: 0 } },
    });
    await showWebhookInfo(deps);
    const text = lines.join("\n");
    expect(text).toContain(`url:                  ${URL}/Pq7R…`);
    expect(text).not.toContain(PATH);
    expect(text).not.toContain("run npm run webhook:set");
  });
});

describe("finding the deployment", () => {
  it("reads cdk-outputs.json and takes the region from the secret's ARN", () => {
    expect(findDeployment(fakes().deps)).toEqual({
      webhookUrl: URL,
      appSecretArn: APP_ARN,
      webhookSecretArn: HOOK_ARN,
      webhookPathSecretArn: PATH_ARN,
      region: "eu-central-1",
    });
  });

  it("prefers environment variables, for a deployment made elsewhere", () => {
    const d = findDeployment({
      env: {
        WEBHOOK_URL: "https://x.example.com/webhook",
        APP_SECRET_ARN: "arn:aws:secretsmanager:us-west-2:1:secret:a",
        WEBHOOK_SECRET_ARN: "w",
        WEBHOOK_PATH_SECRET_ARN: "p",
      },
      readFile: () => undefined,
    });
    expect(d).toMatchObject({ webhookUrl: "https://x.example.com/webhook", region: "us-west-2" });
  });

  it("says to deploy first when there are no outputs", () => {
    expect(() => findDeployment({ env: {}, readFile: () => undefined })).toThrow(
      /Missing WEBHOOK_URL, APP_SECRET_ARN, WEBHOOK_SECRET_ARN, WEBHOOK_PATH_SECRET_ARN: .*cdk-outputs.json does not exist\. Run npm run deploy/,
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

describe("the webhook's path on one machine (npm run dev --webhook)", () => {
  it("is derived from WEBHOOK_SECRET: stable, 32 hex characters, different for another secret, not the secret", () => {
    const path = localWebhookPath(SECRET_TOKEN);
    expect(path).toMatch(/^\/webhook\/[0-9a-f]{32}$/);
    expect(localWebhookPath(SECRET_TOKEN)).toBe(path);
    expect(localWebhookPath(`${SECRET_TOKEN}x`)).not.toBe(path);
    expect(path).not.toContain(SECRET_TOKEN.slice(0, 8));
  });

  it("is shown shortened, so a terminal or log never holds the callable URL", () => {
    const url = `http://127.0.0.1:8787${localWebhookPath(SECRET_TOKEN)}`;
    const shown = maskWebhookUrl(url);
    expect(shown).toMatch(/^http:\/\/127\.0\.0\.1:8787\/webhook\/[0-9a-f]{4}…$/);
    expect(shown).not.toContain(url.slice(-28));
  });
});
