/**
 * Runs the real `sessions` CLI (bin/sessions.js) as a child process, the way an operator does, against a test
 * store; and seeds sessions the way the system would have left them (created, paused, failed, long ago).
 */
import { spawn } from "node:child_process";
import { mkdtempSync } from "node:fs";
import { tmpdir } from "node:os";
import { join, resolve } from "node:path";
import { normalizePhone, type Phone, type TelegramAccount } from "../../lib/sessions";
import type { TestStore } from "./dynamo";

export const BIN = resolve(__dirname, "../../bin/sessions.js");

export interface CliResult {
  readonly code: number | null;
  readonly stdout: string;
  readonly stderr: string;
}

/** Variables of the developer's own shell that would point the CLI somewhere else. */
const STRIPPED = [
  "SESSIONS_TABLE",
  "BOT_STATE_TABLE",
  "DYNAMODB_ENDPOINT",
  "KMS_KEY_ID",
  "SESSION_ENCRYPTION_KEY",
  "LOCAL_DATA_DIR",
  "AWS_PROFILE",
  "FORCE_COLOR",
  "NO_COLOR",
  "DEBUG",
];

/** The environment of a child CLI: the test store's variables, and a data folder of its own. */
export function cliEnv(store: TestStore | undefined, extra: Record<string, string> = {}): NodeJS.ProcessEnv {
  const env: NodeJS.ProcessEnv = { ...process.env };
  for (const name of STRIPPED) delete env[name];
  return {
    ...env,
    LOCAL_DATA_DIR: mkdtempSync(join(tmpdir(), "sk-cli-")),
    ...(store?.env ?? {}),
    ...extra,
  };
}

/**
 * Runs `sessions <args>` with stdin, stdout and stderr as pipes (no terminal, as in a script or cron).
 * `interruptAfter`: once stdout shows this text, press Ctrl-C (SIGINT) `interruptDelayMs` later.
 */
export function runCli(
  args: string[],
  options: {
    env: NodeJS.ProcessEnv;
    input?: string;
    interruptAfter?: string;
    interruptDelayMs?: number;
    /** Where it runs (the CLI reads `.env` there); a temp folder by default, away from a developer's own .env. */
    cwd?: string;
  },
): Promise<CliResult> {
  return new Promise((resolvePromise, reject) => {
    const child = spawn(process.execPath, [BIN, ...args], {
      env: options.env,
      cwd: options.cwd ?? tmpdir(),
      stdio: ["pipe", "pipe", "pipe"],
    });
    // Decoded as a whole stream: a chunk may end inside a multi-byte character (the QR's half blocks, "→").
    child.stdout.setEncoding("utf8");
    child.stderr.setEncoding("utf8");
    let stdout = "";
    let stderr = "";
    let interrupted = false;
    child.stdout.on("data", (d: string) => {
      stdout += d;
      if (options.interruptAfter && !interrupted && stdout.includes(options.interruptAfter)) {
        interrupted = true;
        setTimeout(() => child.kill("SIGINT"), options.interruptDelayMs ?? 0);
      }
    });
    child.stderr.on("data", (d: string) => (stderr += d));
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code, stdout, stderr }));
    child.stdin.end(options.input ?? "");
  });
}

export interface SeedSession {
  readonly phone: string;
  readonly status?: "active" | "paused" | "error" | "deleted";
  readonly account?: TelegramAccount;
  readonly lastError?: string;
  readonly code?: string;
  /** When it was created and last changed. */
  readonly at?: Date;
  /** The stored key (a loopback DC's, for commands that log keys out); default a fake-shaped string. */
  readonly sessionString?: string;
}

/** A session string shaped like GramJS's (base64, ~350 characters): it must never show up in CLI output. */
export function fakeSessionString(phone: string): string {
  return `1${Buffer.from(`${phone}:`.repeat(40)).toString("base64")}`;
}

/** Stores sessions through the real repository, moved to the wanted status at the wanted time. */
export async function seed(store: TestStore, sessions: readonly SeedSession[]): Promise<Phone[]> {
  const phones: Phone[] = [];
  for (const s of sessions) {
    const repo = store.sessions(s.at ? { now: () => s.at! } : {});
    const phone = normalizePhone(s.phone);
    await repo.create({
      phone,
      sessionString: s.sessionString ?? fakeSessionString(phone),
      account: s.account ?? { userId: String(1000 + phones.length) },
    });
    if (s.status === "paused") await repo.pause(phone);
    if (s.status === "error" || s.status === "deleted")
      await repo.markError(phone, {
        message: s.lastError ?? "AUTH_KEY_UNREGISTERED: session expired or revoked; log in again",
        code: s.code ?? "AUTH_KEY_UNREGISTERED",
      });
    if (s.status === "deleted") await repo.delete(phone);
    phones.push(phone);
  }
  return phones;
}

export const DAY = 86_400_000;
export const daysAgo = (n: number) => new Date(Date.now() - n * DAY);

const shellQuote = (s: string) => `'${s.replace(/'/g, `'\\''`)}'`;

/**
 * The CLI in a pseudo-terminal (util-linux `script`), as an operator runs it: stdin and stderr are TTYs. Output is
 * decoded as a whole stream: a chunk may end inside a multi-byte character (the QR's half blocks, "→").
 */
export function spawnInTerminal(args: string[], env: NodeJS.ProcessEnv) {
  const commandLine = [process.execPath, BIN, ...args].map(shellQuote).join(" ");
  const child = spawn("script", ["-qec", commandLine, "/dev/null"], {
    env: { ...env, SHELL: "/bin/sh", TERM: "dumb" },
    cwd: tmpdir(),
    stdio: ["pipe", "pipe", "pipe"],
  });
  child.stdout.setEncoding("utf8");
  child.stderr.setEncoding("utf8");
  return child;
}

/**
 * Runs `sessions <args>` in a real pseudo-terminal (util-linux `script`), as an operator at a keyboard: once
 * `prompt` shows, types `answer` and Enter. Output is what the terminal showed (stdout and stderr together).
 */
export function runCliInTerminal(
  args: string[],
  options: { env: NodeJS.ProcessEnv; prompt: string; answer: string },
): Promise<{ code: number | null; screen: string }> {
  return new Promise((resolvePromise, reject) => {
    const child = spawnInTerminal(args, options.env);
    let screen = "";
    let answered = false;
    child.stdout.on("data", (d: string) => {
      screen += d;
      if (!answered && screen.includes(options.prompt)) {
        answered = true;
        child.stdin.write(`${options.answer}\r`);
      }
    });
    child.stderr.on("data", (d: string) => (screen += d));
    child.on("error", reject);
    child.on("close", (code) => resolvePromise({ code, screen: screen.replace(/\r\n/g, "\n") }));
  });
}
