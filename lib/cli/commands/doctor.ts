/**
 * `sessions doctor`: a preflight of this machine and the stack it points at, one line per check, ✓ / ✗ / –, with
 * the fix under each ✗. Exit 0 only when every required check passes. Changes nothing: the encryption probe is
 * sealed and opened in memory, and a missing local key file is reported, not created.
 */
import { spawnSync } from "node:child_process";
import { existsSync } from "node:fs";
import { join } from "node:path";
import { DescribeTableCommand, type DynamoDBClient } from "@aws-sdk/client-dynamodb";
import { Api, type Transformer } from "grammy";
import { ConfigError, type StoreConfig } from "../../config";
import { redactText } from "../../log";
import { SESSION_STATUSES } from "../../sessions";
import { createSecrets } from "../../wiring";
import { BOT_STATE_TABLE, SESSIONS_TABLE, type TableDefinition } from "../../tables";
import { EXIT, type Command } from "../command";
import type { CliContext, Store } from "../context";
import {
  eventBridgeSchedules,
  scheduleStates,
  stackOutputs,
  stackWebhookUrl,
  type SchedulePort,
} from "../deployed";
import { maskWebhookUrl } from "../../deployment";
import { formatDuration } from "../progress";
import { assertEndpointReachable } from "../reachable";

type Outcome =
  | { readonly state: "pass"; readonly detail: string }
  | { readonly state: "fail"; readonly detail: string; readonly fix: string }
  | { readonly state: "skip"; readonly detail: string };

interface CheckResult {
  readonly name: string;
  readonly required: boolean;
  readonly outcome: Outcome;
}

const pass = (detail: string): Outcome => ({ state: "pass", detail });
const fail = (detail: string, fix: string): Outcome => ({ state: "fail", detail, fix });
const skip = (detail: string): Outcome => ({ state: "skip", detail });
const message = (err: unknown) => redactText(err instanceof Error ? err.message : String(err));

const NODE_MIN = [20, 19] as const;
const JAVA_MIN = 17;

function nodeCheck(): Outcome {
  const [major, minor] = process.versions.node.split(".").map(Number) as [number, number];
  const ok = major > NODE_MIN[0] || (major === NODE_MIN[0] && minor >= NODE_MIN[1]);
  return ok
    ? pass(`Node.js ${process.versions.node}`)
    : fail(
        `Node.js ${process.versions.node} is too old (${NODE_MIN.join(".")}+ needed)`,
        "Install Node.js 20.19 or newer (nvm install 22), then run npm ci again.",
      );
}

function javaCheck(): Outcome {
  const r = spawnSync("java", ["-version"], { encoding: "utf8", timeout: 10_000 });
  if (r.error || r.status !== 0)
    return fail(
      "Java is not installed (DynamoDB Local, which npm run dev starts, needs it)",
      `Install a Java runtime ${JAVA_MIN}+ (Debian/Ubuntu: apt-get install openjdk-${JAVA_MIN}-jre-headless).`,
    );
  const raw = /version "([^"]+)"/.exec(`${r.stderr}${r.stdout}`)?.[1] ?? "";
  const major = raw.startsWith("1.") ? Number(raw.split(".")[1]) : Number.parseInt(raw, 10);
  return major >= JAVA_MIN
    ? pass(`Java ${raw}`)
    : fail(
        `Java ${raw || "of unknown version"} is too old (${JAVA_MIN}+ needed by DynamoDB Local)`,
        `Install a Java runtime ${JAVA_MIN}+ and put it first on PATH.`,
      );
}

async function tableCheck(
  client: DynamoDBClient,
  def: TableDefinition,
  name: string,
): Promise<string | undefined> {
  const out = await client.send(new DescribeTableCommand({ TableName: name }));
  const table = out.Table;
  if (table?.TableStatus !== "ACTIVE") return `table ${name} is ${table?.TableStatus ?? "missing"}`;
  for (const index of def.globalSecondaryIndexes) {
    const found = table.GlobalSecondaryIndexes?.find((i) => i.IndexName === index.indexName);
    if (!found) return `table ${name} has no index ${index.indexName}`;
    if (found.IndexStatus !== "ACTIVE") return `index ${index.indexName} of ${name} is ${found.IndexStatus}`;
  }
  return undefined;
}

const TABLE_FIX = {
  local: "Start the local stack with `npm run dev`: it creates both tables and their indexes.",
  aws: "Deploy the stateful stack (npm run deploy) and set SESSIONS_TABLE and BOT_STATE_TABLE to its outputs.",
};

/**
 * Every check, in order. The store is the CLI context's (lib/wiring.ts builds it, as for every command); a store that
 * cannot be built (the environment does not parse, DynamoDB Local is not running) is itself a finding.
 */
export interface DoctorOptions {
  /** The Bot API's transport (a grammY API transformer), for tests: the checks' calls go to it, not to Telegram. */
  readonly botApi?: Transformer;
  /** Reads the schedules' state (deployed); EventBridge Scheduler by default. */
  readonly schedules?: SchedulePort;
}

export async function runDoctor(
  ctx: Pick<CliContext, "env" | "dependencies">,
  options: DoctorOptions = {},
): Promise<CheckResult[]> {
  const { env } = ctx;
  const results: CheckResult[] = [];
  const add = (name: string, required: boolean, outcome: Outcome) =>
    results.push({ name, required, outcome });

  add("Node.js", true, nodeCheck());

  let store: Store | undefined;
  let storeFailure: unknown;
  try {
    store = ctx.dependencies();
  } catch (err) {
    storeFailure = err;
  }
  const config: StoreConfig | undefined = store?.config;
  if (config)
    add(
      "Environment",
      true,
      pass(
        config.target === "aws"
          ? `deployed stack: ${config.sessionsTable}, ${config.botStateTable}${config.region ? ` in ${config.region}` : ""}`
          : `local stack at ${config.endpoint}`,
      ),
    );
  else
    add(
      "Environment",
      true,
      fail(
        message(storeFailure),
        "Fix the variable named above in the shell or .env (see `sessions --help`).",
      ),
    );
  if (config?.target === "local") add("Java", true, javaCheck());
  else add("Java", false, skip(config ? "not needed for a deployed stack" : "environment did not parse"));

  // DynamoDB: reachable, both tables and every index active.
  let tablesOk = false;
  if (!config) add("DynamoDB", true, skip("environment did not parse"));
  else {
    try {
      if (config.target === "local" && config.endpoint) await assertEndpointReachable(config.endpoint);
      const problems = (
        await Promise.all([
          tableCheck(store!.client, SESSIONS_TABLE, config.sessionsTable),
          tableCheck(store!.client, BOT_STATE_TABLE, config.botStateTable),
        ])
      ).filter(Boolean);
      tablesOk = problems.length === 0;
      add(
        "DynamoDB",
        true,
        tablesOk
          ? pass(`both tables and their ${SESSIONS_TABLE.globalSecondaryIndexes.length} indexes are active`)
          : fail(problems.join("; "), TABLE_FIX[config.target]),
      );
    } catch (err) {
      const name = (err as { name?: string }).name;
      add(
        "DynamoDB",
        true,
        name === "ResourceNotFoundException"
          ? fail(`a table is missing: ${message(err)}`, TABLE_FIX[config.target])
          : config.target === "local"
            ? fail(
                `DynamoDB Local does not answer at ${config.endpoint}`,
                "Start it with `npm run dev` (or set DYNAMODB_ENDPOINT to where it runs).",
              )
            : fail(
                `DynamoDB did not answer: ${message(err)}`,
                "Check AWS credentials (aws sts get-caller-identity), AWS_REGION and the table names.",
              ),
      );
    }
  }

  // The encryption key: seals and opens a probe; opens a stored session, which proves it is the right key.
  if (!config || !store) add("Encryption key", true, skip("environment did not parse"));
  else {
    const enc = config.encryption;
    const keyFile =
      enc.kind === "local" && !enc.key ? join(enc.dataDir, "session-encryption.key") : undefined;
    if (keyFile && !existsSync(keyFile)) {
      add("Encryption key", false, skip(`no local key yet at ${keyFile} (created on the first login)`));
    } else {
      try {
        // The store's own cipher: its key is built on this first use (a missing key file was ruled out above, so
        // none is created), with the context key the store seals with.
        const { cipher, sessions: repo } = store;
        const probe = { purpose: "session", id: "doctor-probe" } as const;
        const opened = await cipher.decrypt(await cipher.encrypt("probe", probe), probe);
        if (opened !== "probe") throw new Error("the probe came back changed");
        let stored = "no stored session to try it on yet";
        if (tablesOk) {
          for (const status of SESSION_STATUSES.filter((s) => s !== "deleted")) {
            const one = (await repo.listByStatus(status, { limit: 20 })).items.find((s) => s.hasSecret);
            if (!one) continue;
            try {
              await repo.readSessionString(one.phone);
              stored = `opens the stored session of ${one.phone}`;
            } catch (err) {
              throw new WrongKeyError(one.phone, message(err));
            }
            break;
          }
        }
        add(
          "Encryption key",
          true,
          pass(`${enc.kind === "kms" ? "KMS key" : "local key"} seals and opens a probe; ${stored}`),
        );
      } catch (err) {
        add(
          "Encryption key",
          true,
          err instanceof WrongKeyError
            ? fail(
                `the key does not open the stored session of ${err.phone} (${err.reason}): it is not the key the sessions were sealed with`,
                enc.kind === "kms"
                  ? "Set KMS_KEY_ID to the stack output SessionKeyArn of this stack."
                  : "Use the key they were sealed with: restore .data/session-encryption.key (or SESSION_ENCRYPTION_KEY) from your backup.",
              )
            : fail(
                `the key cannot seal and open a probe: ${message(err)}`,
                enc.kind === "kms"
                  ? "Check KMS_KEY_ID (the stack output SessionKeyArn) and that your role may use it (kms:GenerateDataKey, kms:Decrypt)."
                  : "SESSION_ENCRYPTION_KEY must be 32 bytes in base64 (openssl rand -base64 32), or unset to use .data/session-encryption.key.",
              ),
        );
      }
    }
  }

  // Telegram's API id and hash (the userbots), and the bot token.
  // Read through the store's secrets; an environment that does not parse still gets the token checked.
  const secrets = store?.secrets ?? createSecrets(env);
  try {
    const api = await secrets.telegramApi();
    add("API_ID / API_HASH", true, pass(`API id ${api.apiId}, hash well formed`));
  } catch (err) {
    add(
      "API_ID / API_HASH",
      true,
      fail(
        message(err),
        err instanceof ConfigError
          ? "Get them at my.telegram.org → API development tools."
          : "Check the app secret.",
      ),
    );
  }
  let api: Api | undefined;
  try {
    const token = await secrets.botToken();
    api = new Api(token, env.TELEGRAM_API_ROOT ? { apiRoot: env.TELEGRAM_API_ROOT } : undefined);
    if (options.botApi) api.config.use(options.botApi);
    const me = await withTimeout(api.getMe(), 10_000);
    add("Bot token", true, pass(`getMe answers: @${me.username} (id ${me.id})`));
  } catch (err) {
    api = undefined;
    add(
      "Bot token",
      true,
      fail(
        `the bot token does not work: ${message(err)}`,
        "Set BOT_TOKEN to the token @BotFather gave (/mybots → API Token), or revoke and set a new one.",
      ),
    );
  }
  if (!api) add("Webhook", false, skip("needs a working bot token"));
  else add("Webhook", config?.target === "aws", await webhookCheck(api, config?.target === "aws", env));

  // The jobs' schedules (deployed): both enabled, or the health check or the cleanup silently never runs.
  if (config?.target !== "aws")
    add(
      "Schedules",
      false,
      skip(config ? "local stack: npm run dev runs the jobs on its timers" : "environment did not parse"),
    );
  else {
    const states = await scheduleStates(
      stackOutputs(env),
      options.schedules ?? eventBridgeSchedules(config.region),
    );
    const unreadable = states.filter((st) => st.error !== null);
    const disabled = states.filter((st) => st.error === null && st.state !== "ENABLED");
    add(
      "Schedules",
      true,
      unreadable.length
        ? fail(
            `could not read ${unreadable.map((st) => `the ${st.job} schedule`).join(" and ")}`,
            unreadable.map((st) => st.error).join(" "),
          )
        : disabled.length
          ? fail(
              disabled.map((st) => `the ${st.job} schedule ${st.name} is ${st.state}`).join("; ") +
                ": that job does not run",
              "Enable it: EventBridge Scheduler console → Schedules → select it → Enable (a deploy does not undo a change made outside CloudFormation).",
            )
          : pass(`${states.map((st) => st.job).join(" and ")} schedules enabled`),
    );
  }

  // At least one owner, or nobody can use the AdminBot.
  if (!store || !tablesOk) add("Owner", true, skip("needs DynamoDB"));
  else {
    try {
      const admins = await store.admins.list();
      const owners = admins.filter((a) => a.role === "owner");
      add(
        "Owner",
        true,
        owners.length > 0
          ? pass(
              `${owners.length} owner${owners.length === 1 ? "" : "s"}, ${admins.length} admin${admins.length === 1 ? "" : "s"} in all`,
            )
          : fail(
              "the AdminBot has no owner: nobody can use it",
              "Add yourself: sessions add-admin <your Telegram user id> --owner (ask @userinfobot for the id).",
            ),
      );
    } catch (err) {
      add("Owner", true, fail(`could not read the admins: ${message(err)}`, "Fix DynamoDB first."));
    }
  }
  return results;
}

const WEBHOOK_SET = "Register it at this stack's URL: npm run webhook:set.";

/**
 * Telegram's view of the webhook (getWebhookInfo). Deployed: registered at this stack's URL (the stack output
 * WebhookUrl + its secret segment; shown masked) with no failed delivery in the last 24 h. Local: none is needed
 * (`npm run dev` polls), but a recent error still fails.
 */
async function webhookCheck(api: Api, deployed: boolean, env: CliContext["env"]): Promise<Outcome> {
  let info;
  try {
    info = await withTimeout(api.getWebhookInfo(), 10_000);
  } catch (err) {
    return fail(`getWebhookInfo failed: ${message(err)}`, "Try again; then npm run webhook:info.");
  }
  if (!info.url)
    return deployed
      ? fail("no webhook is registered: Telegram delivers no updates", WEBHOOK_SET)
      : skip("none registered (npm run dev polls instead)");
  const at = maskWebhookUrl(info.url);
  if (deployed) {
    const stack = stackWebhookUrl(env);
    if (!stack.url)
      return fail(
        `registered at ${at}, but ${stack.missing!.replace(/^Cannot find /, "cannot find ")}`,
        WEBHOOK_SET,
      );
    if (!info.url.startsWith(`${stack.url}/`))
      return fail(
        `registered at ${at}, not at this stack's ${stack.url}/…: Telegram delivers the updates elsewhere`,
        WEBHOOK_SET,
      );
  }
  const errorAgeS = info.last_error_date !== undefined ? Date.now() / 1000 - info.last_error_date : undefined;
  if (errorAgeS !== undefined && errorAgeS < WEBHOOK_ERROR_WINDOW_S)
    return fail(
      `registered${deployed ? " at this stack's URL" : ` at ${at}`}, but Telegram's delivery failed ` +
        `${formatDuration(errorAgeS * 1000)} ago: ${redactText(info.last_error_message ?? "no message")}`,
      "Fix the cause (the AdminBot function's logs say it), then npm run webhook:set; npm run webhook:info shows Telegram's view.",
    );
  return pass(
    `registered${deployed ? " at this stack's URL" : ` at ${at}`}, ${info.pending_update_count} updates pending, ` +
      "no error in 24 h",
  );
}

/** A delivery error older than this is history, not a finding. */
const WEBHOOK_ERROR_WINDOW_S = 86_400;

class WrongKeyError extends Error {
  constructor(
    readonly phone: string,
    readonly reason: string,
  ) {
    super(reason);
  }
}

function withTimeout<T>(p: Promise<T>, ms: number): Promise<T> {
  let timer: NodeJS.Timeout | undefined;
  return Promise.race([
    p.finally(() => clearTimeout(timer)),
    new Promise<never>((_, reject) => {
      timer = setTimeout(() => reject(new Error(`no answer in ${ms / 1000} s`)), ms);
    }),
  ]);
}

export const command: Command = {
  name: "doctor",
  description: [
    "Checks that this machine and the stack it points at are ready, one line per check: ✓ passed, ✗ failed (with",
    "the fix on the next line), – not applicable. Node.js and Java (local), the environment, DynamoDB with both",
    "tables and their indexes, the encryption key (seals and opens a probe, and opens a stored session), API_ID and",
    "API_HASH, the bot token (getMe), the webhook (getWebhookInfo; deployed: registered at this stack's URL with no",
    "failed delivery in 24 h), at least one owner, and deployed, both schedules enabled. Changes nothing.",
    "Exit 0 only when every required check passes.",
  ].join("\n"),
  options: { json: { type: "boolean", help: "print JSON for scripts (shape below)" } },
  examples: ["sessions doctor", "sessions doctor --json | jq '.checks[] | select(.state == \"fail\")'"],
  notes: [
    "JSON shape (--json):",
    '  { "ok": true, "checks": [ { "name": "DynamoDB", "required": true, "state": "pass" | "fail" | "skip",',
    '      "detail": "…", "fix": "…" | null } ] }',
  ].join("\n"),
  async run(ctx, args) {
    const results = await runDoctor(ctx);
    const ok = results.every((r) => !r.required || r.outcome.state !== "fail");
    if (args.values.json) {
      ctx.out(
        JSON.stringify(
          {
            ok,
            checks: results.map((r) => ({
              name: r.name,
              required: r.required,
              state: r.outcome.state,
              detail: r.outcome.detail,
              fix: r.outcome.state === "fail" ? r.outcome.fix : null,
            })),
          },
          null,
          2,
        ),
      );
      if (!ok) ctx.err(failedLine(results));
      return ok ? EXIT.ok : EXIT.failed;
    }
    const { colors } = ctx;
    const width = Math.max(...results.map((r) => r.name.length));
    for (const r of results) {
      const mark =
        r.outcome.state === "pass"
          ? colors.green("✓")
          : r.outcome.state === "fail"
            ? colors.red("✗")
            : colors.dim("–");
      ctx.out(
        `${mark} ${r.name.padEnd(width)}  ${r.outcome.detail}${r.required ? "" : colors.dim(" (optional)")}`,
      );
      if (r.outcome.state === "fail")
        ctx.out(`  ${" ".repeat(width)}  ${colors.yellow("fix:")} ${r.outcome.fix}`);
    }
    ctx.out();
    // The verdict of a failed run goes to stderr, as every failing command's does, so a script sees why.
    if (ok) ctx.out("Ready.");
    else ctx.err(failedLine(results));
    return ok ? EXIT.ok : EXIT.failed;
  },
};

function failedLine(results: readonly { required: boolean; outcome: { state: string } }[]): string {
  const failed = results.filter((r) => r.required && r.outcome.state === "fail").length;
  return `${failed} required check${failed === 1 ? "" : "s"} failed: fix ${failed === 1 ? "it" : "them"} and run sessions doctor again.`;
}
