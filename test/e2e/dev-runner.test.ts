/**
 * `npm run dev` end to end, as a developer runs it: the dev runner as its own process (DynamoDB Local's JVM, the
 * tables, the AdminBot by long polling) against a Bot API emulator (telegram-test-api) in this process; the first
 * admin added with the `sessions` CLI; then `/start` → 📋 Sessions as that admin, and a stranger refused with their
 * id. Ctrl-C (SIGINT) then stops everything: exit 0, and the JVM is gone. A second run on the same data folder, against
 * a new emulator whose update ids start at 1 again, still answers the admin (no marker of the first run swallows it).
 */
import { spawn, type ChildProcess } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { pathToFileURL } from "node:url";
import TelegramServer from "telegram-test-api";
import { afterAll, beforeAll, describe, expect, it, vi } from "vitest";
import { freePort } from "../../infra/local/dynamodb-local";
import { cliEnv, runCli } from "../support/cli-run";

// The JVM, tsx and the bot start in a few seconds on a quiet machine, far longer on a busy shared one.
vi.setConfig({ testTimeout: 180_000, hookTimeout: 180_000 });

const ROOT = resolve(__dirname, "../..");
const TSX = pathToFileURL(join(ROOT, "node_modules/tsx/dist/loader.mjs")).href;
const BOT_TOKEN = "123456789:AAHdqTcvCH1vGWJxfSeofSAs0K5PALDsaw0";
const OWNER = 4242;
const STRANGER = 999_001;
/** Telegram tells the bot the user's app language; these users read English. */
const EN = { from: { language_code: "en" } } as never;

interface BotMessage {
  readonly messageId: number;
  readonly message: { chat_id: number | string; text: string; reply_markup?: unknown };
}

let server: InstanceType<typeof TelegramServer>;
let dev: ChildProcess | undefined;
let devExit: Promise<number | null>;
let output = "";
let jvmPid: number | undefined;
let env: NodeJS.ProcessEnv;

/** Resolves once `pattern` shows in the dev runner's output (or rejects when it exits first). */
function waitForOutput(pattern: RegExp): Promise<RegExpMatchArray> {
  return new Promise((resolveWait, reject) => {
    const check = () => {
      const m = pattern.exec(output);
      if (m) {
        dev?.stdout?.off("data", check);
        resolveWait(m);
      }
    };
    dev?.stdout?.on("data", check);
    void devExit.then((code) =>
      reject(new Error(`npm run dev exited (${code}) before ${pattern}:\n${output}`)),
    );
    check();
  });
}

/** The bot's messages in one chat as the emulator holds them now (edits applied). */
function chat(chatId: number): BotMessage[] {
  return (server.storage.botMessages as unknown as BotMessage[]).filter(
    (u) => String(u.message.chat_id) === String(chatId),
  );
}

/** Waits until the bot has a message in the chat whose text contains `text` (the bot answers asynchronously). */
async function botSays(chatId: number, text: string): Promise<BotMessage> {
  for (;;) {
    const found = chat(chatId).find((u) => u.message.text.includes(text));
    if (found) return found;
    if (dev?.exitCode !== null) throw new Error(`npm run dev is gone:\n${output}`);
    await new Promise((r) => setTimeout(r, 50));
  }
}

function alive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch {
    return false;
  }
}

let cwd: string;

/** Starts `npm run dev` (as its own process, in `cwd`, whose `.data` holds DynamoDB Local's files) and waits for the bot. */
async function startDev(): Promise<void> {
  output = "";
  dev = spawn(process.execPath, ["--import", TSX, join(ROOT, "infra/local/dev.ts")], {
    env,
    cwd,
    stdio: ["ignore", "pipe", "pipe"],
  });
  devExit = new Promise((done) => dev!.once("exit", (code) => done(code)));
  dev.stdout!.on("data", (d: Buffer) => (output += d.toString()));
  dev.stderr!.on("data", (d: Buffer) => (output += d.toString()));
  const up = await waitForOutput(/DynamoDB Local is up at \S+ \(pid (\d+)\)/);
  jvmPid = Number(up[1]);
  await waitForOutput(/\[dev\] Bot ready in [\d.]+s: @\w+ by long polling\./);
}

/** A fresh Bot API emulator: its update ids start at 1, as a new local Bot API server's do. */
async function startBotApi(): Promise<void> {
  server = new TelegramServer({ port: await freePort(), host: "127.0.0.1", storeTimeout: 600 });
  await server.start();
  env.TELEGRAM_API_ROOT = server.config.apiURL;
}

beforeAll(async () => {
  const dynamoPort = await freePort();
  env = cliEnv(undefined, {
    BOT_TOKEN,
    DYNAMODB_ENDPOINT: `http://127.0.0.1:${dynamoPort}`,
    LOG_LEVEL: "WARN",
  });
  delete env.API_ID;
  delete env.API_HASH;
  // Away from a developer's own .env.
  cwd = mkdtempSync(join(tmpdir(), "sk-dev-"));
  await startBotApi();
  await startDev();
});

afterAll(async () => {
  // Whatever happened above, nothing started here outlives the test.
  if (dev && dev.exitCode === null && dev.signalCode === null) {
    dev.kill("SIGKILL");
    await devExit;
  }
  if (jvmPid && alive(jvmPid)) process.kill(jvmPid, "SIGKILL");
  await server?.stop();
});

describe("npm run dev", () => {
  it("the first admin, added with the CLI, opens 📋 Sessions; a stranger is refused with their id", async () => {
    const added = await runCli(["add-admin", String(OWNER), "--owner"], { env });
    expect(added.stderr).toBe("");
    expect(added.code).toBe(0);

    const owner = server.getClient(BOT_TOKEN, { userId: OWNER, chatId: OWNER, firstName: "Owner" });
    await owner.sendCommand(owner.makeCommand("/start", EN));
    const menu = await botSays(OWNER, "Fleet: 🟢 0 active · ⏸ 0 paused · 🔴 0 error");
    expect(JSON.stringify(menu.message.reply_markup)).toContain("📋 Sessions");

    await owner.sendCallback(
      owner.makeCallbackQuery("s", {
        from: { language_code: "en" },
        message: { message_id: menu.messageId },
      } as never),
    );
    const sessions = await botSays(OWNER, "<b>📋 Sessions</b>\n🟢 active: 0\n⏸ paused: 0\n🔴 error: 0");
    expect(sessions.message.text).toContain("Pick a status to list its sessions.");

    const stranger = server.getClient(BOT_TOKEN, { userId: STRANGER, chatId: STRANGER, firstName: "Eve" });
    await stranger.sendCommand(stranger.makeCommand("/start", EN));
    const refusal = await botSays(STRANGER, "This bot is private.");
    expect(refusal.message.text).toContain(`Your Telegram user id is <code>${STRANGER}</code>`);
    expect(chat(STRANGER)).toHaveLength(1);
  });

  it("Ctrl-C stops everything it started: exit 0, DynamoDB Local's JVM gone", async () => {
    expect(jvmPid && alive(jvmPid)).toBe(true);
    dev!.kill("SIGINT");
    expect(await devExit).toBe(0);
    expect(output).toContain("[dev] DynamoDB Local stopped");
    expect(alive(jvmPid!)).toBe(false);
  });

  it("a second run on the same data folder, against a Bot API whose update ids start again at 1, answers /start", async () => {
    // The first run handled updates 1, 2 and 3; this emulator numbers its updates from 1 again.
    await server.stop();
    await startBotApi();
    await startDev();
    const owner = server.getClient(BOT_TOKEN, { userId: OWNER, chatId: OWNER, firstName: "Owner" });
    await owner.sendCommand(owner.makeCommand("/start", EN));
    const menu = await botSays(OWNER, "Fleet: 🟢 0 active · ⏸ 0 paused · 🔴 0 error");
    expect(JSON.stringify(menu.message.reply_markup)).toContain("📋 Sessions");
    dev!.kill("SIGINT");
    expect(await devExit).toBe(0);
  });
});
