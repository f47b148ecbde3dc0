/**
 * `npm run dev`: the whole system on one machine. DynamoDB Local (embedded, persisted in `.data/dynamodb`), the
 * tables, the AdminBot (long polling by default; `--webhook` serves the real Lambda handler of
 * functions/admin-bot.ts on a local HTTP endpoint), and the health check and cleanup on local timers in place of
 * EventBridge. Reads `.env`; only BOT_TOKEN is needed to start (API_ID/API_HASH are read when a login or a check
 * needs them). Ctrl-C stops everything it started, DynamoDB Local's JVM included, and exits 0.
 *
 * The pieces are the production ones: the dependencies built by lib/wiring.ts and the bot by `buildAdminBot`, as
 * for the webhook Lambda; the same `checkAll` (the in-process form of the dispatcher + workers) with the AdminBot's
 * notifier; the same `runCleanup`. This file only orchestrates: processes, tables, polling, timers.
 */
import { existsSync } from "node:fs";
import { join, resolve } from "node:path";
import { parseArgs } from "node:util";
import { Api, type Bot, type Transformer } from "grammy";
import { startDynamoDbLocal } from "./dynamodb-local";
import { createTable } from "./create-tables";
import { serveLambda } from "./lambda-http";
import { localWebhookPath, maskWebhookUrl } from "../webhook-path";
import { parseEnv } from "../../lib/config";
import { FLEET_DATA_PATH, FLEET_PATH, LOGIN_PATH, LOGIN_STEPS } from "../../lib/miniapp/routes";
import { cleanupEnvShape } from "../../lib/jobs/runtime";
import { createLogger } from "../../lib/log";
import { createSecretSource } from "../../lib/secrets";
import { BOT_STATE_TABLE, SESSIONS_TABLE } from "../../lib/tables";
import { setBotCommands } from "../../lib/bot";
import { buildAdminBot, lazyBotApi } from "../../lib/bot/build";
import { healthCheckNotifier } from "../../lib/bot/health-summary";
import { createNotifier, withNotifierRetries } from "../../lib/bot/notifier";
import { checkAll } from "../../lib/jobs/check-all";
import { runCleanup } from "../../lib/jobs/cleanup";
import { needsAttention } from "../../lib/jobs/summary";
import { noMetrics } from "../../lib/jobs/metrics";
import { createDependencies, type TelegramLoader } from "../../lib/wiring";

// Before any logger is built: Powertools pretty-prints (indented JSON) on a developer's terminal.
process.env.POWERTOOLS_DEV ??= "true";
process.env.AWS_SDK_JS_NODE_VERSION_SUPPORT_WARNING_DISABLED ??= "true";

const HELP = `Usage: npm run dev -- [options]

Runs Session Keeper on this machine: DynamoDB Local (data in LOCAL_DATA_DIR/dynamodb, default .data/dynamodb),
the tables, the AdminBot, and the health check and cleanup on timers. Reads .env (see .env.example); only
BOT_TOKEN is required. Ctrl-C stops everything.

Options:
  --webhook               serve the bot through the real webhook Lambda handler on a local HTTP endpoint
                          (needs WEBHOOK_SECRET) instead of long polling; it serves the Mini App login form
                          at /login too (set MINI_APP_URL to the https address a tunnel gives it)
  --webhook-port <n>      port of that endpoint on 127.0.0.1 (default 8787)
  --check-every <time>    health check period, e.g. 5m, 2h (default 24h)
  --cleanup-every <time>  cleanup period, e.g. 1h (default 7d); it deletes error sessions older than
                          CLEANUP_AFTER_DAYS (default 30)
  -h, --help              show this help

Environment (also from .env): BOT_TOKEN (required), API_ID and API_HASH (for logins and checks),
TELEGRAM_API_ROOT (a self-hosted Bot API server), DYNAMODB_ENDPOINT (default http://127.0.0.1:8000, where the
\`sessions\` CLI looks too), LOCAL_DATA_DIR, LOG_LEVEL.`;

/** "90s", "5m", "2h", "7d" → milliseconds. */
export function parseDuration(flag: string, raw: string): number {
  const m = /^(\d+)\s*(s|m|h|d)$/.exec(raw.trim());
  const unit = { s: 1_000, m: 60_000, h: 3_600_000, d: 86_400_000 } as const;
  const ms = m ? Number(m[1]) * unit[m[2] as keyof typeof unit] : NaN;
  if (!(ms >= 1_000) || ms > 2_147_483_647)
    throw new DevUsageError(`${flag} takes a period such as 30s, 5m, 2h or 7d (got "${raw}").`);
  return ms;
}

class DevUsageError extends Error {}

function say(line: string): void {
  process.stdout.write(`[dev] ${line}\n`);
}

function parseOptions(argv: string[]) {
  const { values } = parseArgs({
    args: argv,
    options: {
      webhook: { type: "boolean" },
      "webhook-port": { type: "string" },
      "check-every": { type: "string" },
      "cleanup-every": { type: "string" },
      help: { type: "boolean", short: "h" },
    },
    strict: true,
  });
  const webhookPort = Number(values["webhook-port"] ?? 8787);
  if (!Number.isInteger(webhookPort) || webhookPort < 1 || webhookPort > 65535)
    throw new DevUsageError(`--webhook-port takes a port number (got "${values["webhook-port"]}").`);
  return {
    help: values.help === true,
    webhook: values.webhook === true,
    webhookPort,
    checkEveryMs: parseDuration("--check-every", values["check-every"] ?? "24h"),
    cleanupEveryMs: parseDuration("--cleanup-every", values["cleanup-every"] ?? "7d"),
  };
}

/** The DynamoDB Local port: from DYNAMODB_ENDPOINT when it names this machine, else 8000 (the CLI's default). */
function localPort(env: NodeJS.ProcessEnv): number {
  if (!env.DYNAMODB_ENDPOINT) return 8000;
  const url = new URL(env.DYNAMODB_ENDPOINT);
  if (!["127.0.0.1", "localhost"].includes(url.hostname))
    throw new DevUsageError(
      `DYNAMODB_ENDPOINT must be on this machine for npm run dev (got ${env.DYNAMODB_ENDPOINT}).`,
    );
  return Number(url.port || 80);
}

async function main(): Promise<number> {
  if (existsSync(".env")) process.loadEnvFile(".env");
  const env = process.env;
  const options = parseOptions(process.argv.slice(2));
  if (options.help) {
    process.stdout.write(`${HELP}\n`);
    return 0;
  }
  if (!env.BOT_TOKEN) {
    process.stderr.write(
      "Missing BOT_TOKEN: create a bot with @BotFather in Telegram (/newbot) and put its token in .env as BOT_TOKEN=… (see .env.example).\n",
    );
    return 1;
  }
  if (options.webhook && !env.WEBHOOK_SECRET) {
    process.stderr.write(
      "Missing WEBHOOK_SECRET for --webhook: set it in .env to 16+ random letters/digits (openssl rand -hex 24).\n",
    );
    return 1;
  }

  // A malformed token or CLEANUP_AFTER_DAYS stops here with one line, before anything starts.
  await createSecretSource(env).botToken();
  const olderThanDays = parseEnv(cleanupEnvShape, env).CLEANUP_AFTER_DAYS;
  const started = Date.now();
  const logger = createLogger({ service: "dev" });
  const dataDir = resolve(env.LOCAL_DATA_DIR || ".data");
  const port = localPort(env);
  const apiRoot = env.TELEGRAM_API_ROOT || undefined;

  // --- Stopping: whatever was started so far, in reverse; the JVM last. ------------------------------------
  const stops: (() => Promise<void>)[] = [];
  let stopping: Promise<void> | undefined;
  const stopAll = () =>
    (stopping ??= (async () => {
      for (const stop of stops.reverse()) {
        try {
          await stop();
        } catch (err) {
          logger.warn("A part did not stop cleanly", { error: (err as Error).message });
        }
      }
    })());
  let signalled = false;
  const done = new Promise<void>((resolveDone) => {
    const onSignal = (signal: NodeJS.Signals) => {
      if (signalled) {
        say(`${signal} again: exiting at once.`);
        process.exit(1);
      }
      signalled = true;
      say(`${signal}: stopping…`);
      void stopAll().then(resolveDone);
    };
    process.on("SIGINT", onSignal);
    process.on("SIGTERM", onSignal);
  });

  try {
    say(`Starting DynamoDB Local on 127.0.0.1:${port} (data in ${join(dataDir, "dynamodb")})…`);
    const dynamo = await startDynamoDbLocal({
      dbPath: join(dataDir, "dynamodb"),
      pidFile: join(dataDir, "dynamodb.pid"),
      port,
    });
    stops.push(async () => {
      await dynamo.stop();
      say(`DynamoDB Local stopped (pid ${dynamo.pid}).`);
    });
    say(`DynamoDB Local is up at ${dynamo.endpoint} (pid ${dynamo.pid}).`);
    if (signalled) return await done.then(() => 0);

    env.DYNAMODB_ENDPOINT = dynamo.endpoint;
    env.LOCAL_DATA_DIR = dataDir;
    // Every client and repository from lib/wiring.ts, as the Lambdas and the CLI build theirs.
    const deps = createDependencies({ env, logger, telegram: importTelegramWithTestDc });
    stops.push(async () => deps.close());
    const { config: store, sessions, admins, audit, runs, cleanups, secrets, userbots } = deps;
    await createTable(deps.client, SESSIONS_TABLE, store.sessionsTable);
    await createTable(deps.client, BOT_STATE_TABLE, store.botStateTable);
    say(`Tables ready: ${store.sessionsTable}, ${store.botStateTable}.`);

    const token = await secrets.botToken();
    const telegramApi = lazyBotApi(secrets, apiRoot ? { apiRoot } : {});
    const botApi = withNotifierRetries(await telegramApi());
    const notifier = healthCheckNotifier(createNotifier(botApi, admins, logger), logger);

    // --- The AdminBot --------------------------------------------------------------------------------------
    let botName: string;
    if (options.webhook) {
      botName = await serveWebhook();
    } else {
      // Long polling: getUpdates' offset confirms each update handled, so no processed-once markers (an earlier run's,
      // or a Bot API server's whose ids start again at 1, would swallow this run's updates).
      const bot = await buildAdminBot(deps, { delivery: "polling", ...(apiRoot ? { apiRoot } : {}) });
      bot.catch((err) => logger.error("Update failed", { error: (err.error as Error)?.message }));
      await bot.api.deleteWebhook();
      await commands(bot.api);
      const polling = bot.start({ onStart: () => undefined });
      polling.catch((err: unknown) => {
        logger.error("Long polling stopped", { error: (err as Error).message });
        void stopAll().then(() => process.exit(1));
      });
      stops.push(async () => {
        await bot.stop();
        say("AdminBot stopped.");
      });
      botName = `@${bot.botInfo.username} by long polling`;
    }

    // --- The schedules ---------------------------------------------------------------------------------------
    let running: Promise<unknown> = Promise.resolve();
    const every = (name: string, ms: number, job: () => Promise<void>) => {
      let busy = false;
      const timer = setInterval(() => {
        if (busy || signalled) return;
        busy = true;
        running = job()
          .catch((err: unknown) => logger.error(`${name} failed`, { error: (err as Error).message }))
          .finally(() => (busy = false));
      }, ms);
      stops.push(async () => {
        clearInterval(timer);
        await running;
      });
    };
    every("Health check", options.checkEveryMs, async () => {
      try {
        await secrets.telegramApi();
      } catch (err) {
        logger.warn("Health check skipped: API_ID/API_HASH are not set", { error: (err as Error).message });
        return;
      }
      const summary = await checkAll(
        { sessions, userbots: (await userbots()).userbots, logger, now: () => new Date(), runs },
        { actor: "dev:health-check" },
      );
      if (needsAttention(summary)) await notifier(summary);
    });
    every("Cleanup", options.cleanupEveryMs, async () => {
      try {
        await secrets.telegramApi();
      } catch (err) {
        // Cleanup logs keys out at Telegram before destroying them: without the API credentials it cannot.
        logger.warn("Cleanup skipped: API_ID/API_HASH are not set", { error: (err as Error).message });
        return;
      }
      await runCleanup(
        {
          sessions,
          audit,
          userbots: (await userbots()).userbots,
          logger,
          metrics: noMetrics,
          now: () => new Date(),
          cleanups,
        },
        { olderThanDays, actor: "dev:cleanup" },
      );
    });

    const took = ((Date.now() - started) / 1000).toFixed(1);
    say(`Bot ready in ${took}s: ${botName}.`);
    say(
      `Health check every ${human(options.checkEveryMs)}, cleanup every ${human(options.cleanupEveryMs)} ` +
        `(error sessions older than ${olderThanDays} days).`,
    );
    say(
      `The sessions CLI works on this stack: npm run sessions -- list${port === 8000 ? "" : ` (with DYNAMODB_ENDPOINT=${dynamo.endpoint})`}. Ctrl-C stops everything.`,
    );
    await done;
    say("Stopped.");
    return 0;

    /** Sends a grammY Api's calls to TELEGRAM_API_ROOT when it is set (the webhook handler builds its own Api). */
    function redirect(api: Api): void {
      if (!apiRoot) return;
      const rooted = new Api(token, { apiRoot });
      // The same call, made by an Api built with the other root; grammY turns a failure into a GrammyError there.
      const toRoot: Transformer = async (_prev, method, payload) => {
        const call = rooted.raw[method] as (p?: unknown) => Promise<unknown>;
        // grammY's raw methods without parameters (getMe…) take no payload argument.
        const result = await (NO_PAYLOAD.has(method) ? call() : call(payload ?? {}));
        return { ok: true, result } as never;
      };
      api.config.use(toRoot);
    }

    /** The bot command menu; a Bot API emulator without setMyCommands must not stop the bot. */
    async function commands(api: Bot["api"]): Promise<void> {
      try {
        await setBotCommands(api);
      } catch (err) {
        logger.warn("Could not set the bot's command menu; carrying on", { error: (err as Error).message });
      }
    }

    async function serveWebhook(): Promise<string> {
      const { createHandler } = await import("../../functions/admin-bot.js");
      // Under a path only this machine's WEBHOOK_SECRET gives, like the deployed route.
      const webhookPath = localWebhookPath(env.WEBHOOK_SECRET!);
      const handler = createHandler({ env, configureApi: redirect });
      const server = await serveLambda(handler, {
        port: options.webhookPort,
        // The stack's routes: the webhook, the Mini App login form and fleet page (lib/miniapp/routes.ts).
        routes: (method, path) =>
          (method === "POST" && path === webhookPath) ||
          (method === "GET" && path === LOGIN_PATH) ||
          (method === "POST" && LOGIN_STEPS.some((step) => path === `${LOGIN_PATH}/${step}`)) ||
          (method === "GET" && path === FLEET_PATH) ||
          (method === "POST" && path === FLEET_DATA_PATH),
        onError: (err) => logger.error("Webhook request failed", { error: (err as Error).message }),
      });
      stops.push(() => server.close());
      const url = `http://127.0.0.1:${options.webhookPort}${webhookPath}`;
      say(
        `Webhook endpoint: POST ${maskWebhookUrl(url)} (the path ends in 32 hex characters of ` +
          "HMAC-SHA256(WEBHOOK_SECRET, 'session-keeper webhook path'), shortened here; " +
          "header X-Telegram-Bot-Api-Secret-Token: WEBHOOK_SECRET).",
      );
      const api = await telegramApi();
      if (apiRoot) {
        // A local Bot API server can reach this machine: register the endpoint with it.
        await api.setWebhook(url, { secret_token: env.WEBHOOK_SECRET! });
        say(`Webhook set at ${apiRoot}.`);
      } else {
        say(
          "Telegram cannot reach 127.0.0.1: expose it with a tunnel and call setWebhook with that URL and " +
            "secret_token=WEBHOOK_SECRET, or run without --webhook.",
        );
      }
      await commands(api);
      return `webhook handler at ${maskWebhookUrl(url)}`;
    }
  } catch (err) {
    await stopAll();
    throw err;
  }
}

/** lib/telegram loaded on first use, as in the Lambda, with the loopback-DC seam tests run `npm run dev` with. */
const importTelegramWithTestDc: TelegramLoader = {
  layer: () => import("../../lib/telegram/index.js"),
  testDc: () => import("../../lib/telegram/test-dc.js"),
};

const NO_PAYLOAD = new Set(["getMe", "getWebhookInfo", "logOut", "close"]);

function human(ms: number): string {
  for (const [unit, size] of [
    ["d", 86_400_000],
    ["h", 3_600_000],
    ["m", 60_000],
  ] as const)
    if (ms % size === 0 && (unit !== "d" || ms >= 2 * size)) return `${ms / size}${unit}`;
  return `${ms / 1000}s`;
}

if (require.main === module) {
  main().then(
    (code) => process.exit(code),
    (err: unknown) => {
      const message = err instanceof Error ? err.message : String(err);
      process.stderr.write(
        err instanceof DevUsageError
          ? `${message}\nRun \`npm run dev -- --help\`.\n`
          : `npm run dev stopped: ${message}\n`,
      );
      process.exit(err instanceof DevUsageError ? 2 : 1);
    },
  );
}
