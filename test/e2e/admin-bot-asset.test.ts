/**
 * The AdminBot's Lambda asset as Lambda runs it: built with `esbuildOptions` (infra/bundling.ts, what the template
 * deploys), loaded by `import()` in a fresh Node process, handling an admin's `/start` and the session list on
 * DynamoDB Local with the Bot API answered on loopback. V8's coverage lists every script that process compiled: none
 * of the asset's files that hold GramJS (`telegram`) or the QR image library (`qrcode`) may be among them. Those load
 * on first use only (a login step, a QR code, a check), so a cold start does not read them.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync } from "node:fs";
import { tmpdir } from "node:os";
import * as path from "node:path";
import { pathToFileURL } from "node:url";
import { build, type Metafile } from "esbuild";
import { afterAll, beforeAll, describe, expect, it } from "vitest";
import { startBotApiServer, type BotApiServer } from "../../bench/lib/bot-api-server";
import { esbuildOptions, handlerFile, PROJECT_ROOT } from "../../infra/bundling";
import { AdminRepository } from "../../lib/bot-state/admins";
import { ChatMemory } from "../../lib/bot-state/chat-memory";
import { cb } from "../../lib/bot/callback-data";
import { BOT_INFO, Updates } from "../support/bot-api";
import { BOT_TOKEN, WEBHOOK_SECRET } from "../support/bot-harness";
import { createTestStore, type TestStore } from "../support/dynamo";
import { apiGatewayEvent } from "../support/events";

const OWNER = { id: 4_320_001, is_bot: false, first_name: "Owner", language_code: "en" } as const;

// Inside the repository, so the asset finds the external @aws-sdk/* packages in node_modules as Lambda's runtime does.
const assetDir = path.join(PROJECT_ROOT, ".data", `test-asset-${randomBytes(4).toString("hex")}`);
let metafile: Metafile;
let store: TestStore;
let api: BotApiServer;

beforeAll(async () => {
  const [built, s, a] = await Promise.all([
    build({ ...esbuildOptions("adminBot", assetDir), metafile: true }),
    createTestStore(),
    startBotApiServer(BOT_INFO),
  ]);
  metafile = built.metafile;
  store = s;
  api = a;
  await new AdminRepository(store.doc, store.botStateTable).add({
    userId: String(OWNER.id),
    role: "owner",
    addedBy: "cli",
  });
  await new ChatMemory(store.doc, store.botStateTable, store.cipher).saveBotInfo(BOT_INFO);
}, 120_000);

afterAll(async () => {
  await api?.stop();
  rmSync(assetDir, { recursive: true, force: true });
});

/** The asset's code files whose sources include a file of `pkg` (from esbuild's own account of its output). */
function filesHolding(pkg: string): string[] {
  return Object.entries(metafile.outputs)
    .filter(
      ([f, out]) =>
        f.endsWith("js") && Object.keys(out.inputs).some((i) => i.includes(`node_modules/${pkg}/`)),
    )
    .map(([f]) => pathToFileURL(path.resolve(PROJECT_ROOT, f)).href);
}

const PROGRAM = `
const { pathToFileURL } = require("node:url");
(async () => {
  const { handler } = await import(pathToFileURL(process.env.ASSET_HANDLER).href);
  const statuses = [];
  for (const event of JSON.parse(process.env.ASSET_EVENTS)) statuses.push((await handler(event)).statusCode);
  process.stdout.write("\\nSTATUSES " + JSON.stringify(statuses) + "\\n");
})().catch((e) => { console.error(e); process.exit(1); });`;

/** Runs the asset's handler over `events` in a fresh process; returns the answers and every script URL V8 compiled. */
async function runAsset(events: unknown[]): Promise<{ statuses: number[]; scripts: Set<string> }> {
  const coverage = mkdtempSync(path.join(tmpdir(), "asset-coverage-"));
  try {
    const child = spawn(process.execPath, ["-e", PROGRAM], {
      cwd: PROJECT_ROOT,
      env: {
        ...process.env,
        ...store.env,
        BOT_TOKEN,
        WEBHOOK_SECRET,
        TELEGRAM_API_ROOT: api.apiRoot,
        LOG_LEVEL: "WARN",
        NODE_V8_COVERAGE: coverage,
        ASSET_HANDLER: path.join(assetDir, handlerFile("adminBot")),
        ASSET_EVENTS: JSON.stringify(events),
      },
      stdio: ["ignore", "pipe", "pipe"],
    });
    let out = "";
    child.stdout.on("data", (d: Buffer) => (out += d.toString()));
    child.stderr.on("data", (d: Buffer) => (out += d.toString()));
    const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
    const line = out.split("\n").find((l) => l.startsWith("STATUSES "));
    if (code !== 0 || !line) throw new Error(`the asset's handler failed (exit ${code}):\n${out}`);
    const scripts = new Set<string>();
    for (const f of readdirSync(coverage)) {
      const report = JSON.parse(readFileSync(path.join(coverage, f), "utf8")) as {
        result: { url: string }[];
      };
      for (const s of report.result) scripts.add(s.url);
    }
    return { statuses: JSON.parse(line.slice("STATUSES ".length)) as number[], scripts };
  } finally {
    rmSync(coverage, { recursive: true, force: true });
  }
}

describe("the AdminBot asset", () => {
  it(
    "answers /start and the session list without loading GramJS or the QR library",
    { timeout: 60_000 },
    async () => {
      const gramjs = filesHolding("telegram");
      const qrcode = filesHolding("qrcode");
      // Both are in the asset (a login step and a QR code need them)…
      expect(gramjs.length).toBeGreaterThan(0);
      expect(qrcode.length).toBeGreaterThan(0);
      const updates = new Updates();
      const { statuses, scripts } = await runAsset([
        apiGatewayEvent(updates.text(OWNER, "/start"), WEBHOOK_SECRET),
        apiGatewayEvent(updates.press(OWNER, cb.list("active")), WEBHOOK_SECRET),
      ]);
      expect(statuses).toEqual([200, 200]);
      // The admin got the menu and the (empty) list.
      expect(api.calls.get("sendMessage")).toBeGreaterThanOrEqual(1);
      expect(api.calls.get("editMessageText")).toBeGreaterThanOrEqual(1);
      const entry = pathToFileURL(path.join(assetDir, handlerFile("adminBot"))).href;
      expect(scripts.has(entry)).toBe(true);
      // …but not in what loaded for these two updates.
      expect([...scripts].filter((s) => gramjs.includes(s))).toEqual([]);
      expect([...scripts].filter((s) => qrcode.includes(s))).toEqual([]);
    },
  );

  it(
    "loads every chunk, GramJS's and the QR library's too, as ES modules in a fresh process",
    { timeout: 60_000 },
    async () => {
      const chunks = Object.keys(metafile.outputs)
        .filter((f) => f.endsWith(".mjs") && f.includes("/chunks/"))
        .map((f) => pathToFileURL(path.resolve(PROJECT_ROOT, f)).href);
      expect(chunks.length).toBeGreaterThanOrEqual(2);
      // Importing a chunk runs the top level of every module in it: GramJS's requires of Node's built-ins and its
      // __dirname reads go through the banner (infra/bundling.ts ESM_BANNER).
      const program = `Promise.all(${JSON.stringify(chunks)}.map((u) => import(u))).then(
      (mods) => console.log("LOADED " + mods.length),
      (e) => { console.error(e); process.exit(1); })`;
      const child = spawn(process.execPath, ["-e", program], {
        cwd: PROJECT_ROOT,
        stdio: ["ignore", "pipe", "pipe"],
      });
      let out = "";
      child.stdout.on("data", (d: Buffer) => (out += d.toString()));
      child.stderr.on("data", (d: Buffer) => (out += d.toString()));
      const code = await new Promise<number | null>((resolve) => child.once("exit", resolve));
      expect(out.trim(), out).toBe(`LOADED ${chunks.length}`);
      expect(code).toBe(0);
    },
  );
});
