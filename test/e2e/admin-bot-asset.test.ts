/**
 * The AdminBot's Lambda asset as Lambda runs it: built with `esbuildOptions` (infra/bundling.ts, what the template
 * deploys), loaded by `import()` in a fresh Node process, handling an admin's `/start` and the session list on
 * DynamoDB Local with the Bot API answered on loopback. V8's coverage lists every script that process compiled: none
 * of the asset's files that hold GramJS (`telegram`), the QR image library (`qrcode`) or the fleet chart (ECharts and
 * resvg) may be among them. Those load on first use only (a login step, a QR code, a check, 📈 Fleet), so a cold
 * start does not read them. 📈 Fleet pressed in a fresh process draws its PNG from the asset alone: the WebAssembly
 * and the font ship in it.
 */
import { spawn } from "node:child_process";
import { randomBytes } from "node:crypto";
import { mkdtempSync, readdirSync, readFileSync, rmSync, statSync } from "node:fs";
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
import { FLEET_CHART_LAYOUT, STATUS_COLOURS, dayColumnX } from "../../lib/chart/fleet-chart";
import { FLEET_CHART_DAYS } from "../../lib/chart/fleet-history";
import { HealthCheckRuns } from "../../lib/jobs/runs";
import { BOT_INFO, Updates } from "../support/bot-api";
import { BOT_TOKEN, WEBHOOK_SECRET } from "../support/bot-harness";
import { createTestStore, type TestStore } from "../support/dynamo";
import { seedFleetRuns } from "../support/fleet-runs";
import { readPng } from "../support/png-inspect";
import { apiGatewayEvent } from "../support/events";

const OWNER = { id: 4_320_001, is_bot: false, first_name: "Owner", language_code: "en" } as const;

// Inside the repository, so the asset finds the external @aws-sdk/* packages in node_modules as Lambda's runtime does.
const assetDir = path.join(PROJECT_ROOT, ".data", `test-asset-${randomBytes(4).toString("hex")}`);
// One for the file: each update id is processed once per bot, and the table is the file's.
const updates = new Updates();
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
  await seedFleetRuns(new HealthCheckRuns(store.doc, store.botStateTable), new Date(), [
    { daysAgo: 3, active: 0, paused: 0, error: 12 },
    { daysAgo: 0, active: 20, paused: 2, error: 1, failed: 1 },
  ]);
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

/** The asset's code files whose sources include `file` (a path inside the repository, or a part of one). */
function filesWith(file: string): string[] {
  return Object.entries(metafile.outputs)
    .filter(([f, out]) => f.endsWith("js") && Object.keys(out.inputs).some((i) => i.includes(file)))
    .map(([f]) => pathToFileURL(path.resolve(PROJECT_ROOT, f)).href);
}

/**
 * Runs the asset's handler over `events` in a fresh process; returns the answers, every script URL V8 compiled and
 * what the process printed (its log lines).
 */
async function runAsset(
  events: unknown[],
  logLevel = "WARN",
): Promise<{ statuses: number[]; scripts: Set<string>; output: string }> {
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
        LOG_LEVEL: logLevel,
        // Sessions sealed under KMS, as deployed: answering these updates opens none, so the KMS client never loads.
        KMS_KEY_ID: "arn:aws:kms:eu-central-1:111122223333:key/00000000-0000-0000-0000-000000000000",
        AWS_REGION: "eu-central-1",
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
    return { statuses: JSON.parse(line.slice("STATUSES ".length)) as number[], scripts, output: out };
  } finally {
    rmSync(coverage, { recursive: true, force: true });
  }
}

describe("the AdminBot asset", () => {
  it(
    "answers /start and the session list without loading GramJS, the QR library, the fleet chart, the phone metadata or KMS",
    { timeout: 60_000 },
    async () => {
      const gramjs = filesHolding("telegram");
      const qrcode = filesHolding("qrcode");
      const phoneMetadata = filesHolding("libphonenumber-js");
      // (lib/chart/fleet-history.ts, a few lines that say whether there is anything to draw, is not the chart.)
      const chart = [
        ...filesHolding("echarts"),
        ...filesHolding("@resvg/resvg-wasm"),
        ...filesWith("lib/chart/fleet-chart.ts"),
        ...filesWith("lib/chart/png.ts"),
      ];
      // All are in the asset (a login step, a QR code and 📈 Fleet need them)…
      expect(gramjs.length).toBeGreaterThan(0);
      expect(qrcode.length).toBeGreaterThan(0);
      expect(filesHolding("echarts").length).toBeGreaterThan(0);
      expect(filesHolding("@resvg/resvg-wasm").length).toBeGreaterThan(0);
      expect(phoneMetadata.length).toBeGreaterThan(0);
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
      expect([...scripts].filter((s) => chart.includes(s))).toEqual([]);
      expect([...scripts].filter((s) => phoneMetadata.includes(s))).toEqual([]);
      // The KMS client (external, from node_modules as Lambda's runtime provides it) is not even loaded.
      expect([...scripts].filter((s) => s.includes("/node_modules/@aws-sdk/client-kms/"))).toEqual([]);
      expect([...scripts].some((s) => s.includes("/node_modules/@aws-sdk/client-dynamodb/"))).toBe(true);
    },
  );

  it(
    "draws 📈 Fleet's PNG in a fresh process from the asset alone: the WebAssembly and the font are in it",
    { timeout: 60_000 },
    async () => {
      const shipped = Object.keys(metafile.outputs).filter((f) => f.includes("/assets/"));
      expect(shipped.map((f) => path.extname(f)).sort()).toEqual([".ttf", ".wasm"]);
      const size = (f: string) => statSync(path.resolve(PROJECT_ROOT, f)).size;
      const chartChunks = Object.entries(metafile.outputs).filter(
        ([f, out]) =>
          f.endsWith(".mjs") &&
          Object.keys(out.inputs).some(
            (i) => i.includes("node_modules/echarts/") || i.includes("resvg-wasm"),
          ),
      );
      const entry = path.relative(PROJECT_ROOT, path.join(assetDir, handlerFile("adminBot")));
      console.log(
        `AdminBot asset: entry ${size(entry)} B; chart chunks ${chartChunks.map(([f]) => size(f)).join(" + ")} B; ` +
          shipped.map((f) => `${path.basename(f)} ${size(f)} B`).join(", "),
      );

      api.uploads.length = 0;
      const { statuses, output } = await runAsset(
        [apiGatewayEvent(updates.press(OWNER, cb.fleet), WEBHOOK_SECRET)],
        "INFO",
      );
      expect(statuses).toEqual([200]);
      const drawn =
        /"message":"Fleet chart drawn".*?"ms":(\d+)/.exec(output) ??
        /"ms":(\d+).*?Fleet chart drawn/.exec(output);
      console.log(
        `📈 Fleet in a fresh process: PNG drawn in ${drawn?.[1] ?? "?"} ms (cold: ECharts, resvg's WebAssembly and the font loaded)`,
      );
      const [upload, ...more] = api.uploads;
      expect(more).toEqual([]);
      expect(upload?.method, output).toBe("sendPhoto");
      const picture = readPng(pngOf(upload!));
      expect([picture.width, picture.height]).toEqual([FLEET_CHART_LAYOUT.width, FLEET_CHART_LAYOUT.height]);
      const { grid, height } = FLEET_CHART_LAYOUT;
      const x = dayColumnX(FLEET_CHART_DAYS - 1 - 3, FLEET_CHART_DAYS);
      expect(picture.countInColumn(x, grid.top, height - grid.bottom, STATUS_COLOURS.error)).toBeGreaterThan(
        50,
      );
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

/** The PNG file inside a multipart upload (the part whose bytes start with PNG's signature). */
function pngOf(upload: { contentType: string; body: Buffer }): Buffer {
  const signature = Buffer.from([0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
  const start = upload.body.indexOf(signature);
  if (start < 0) throw new Error("The upload holds no PNG.");
  const boundary = /boundary=(?:"([^"]+)"|([^;]+))/.exec(upload.contentType);
  const end = upload.body.indexOf(Buffer.from(`\r\n--${boundary?.[1] ?? boundary?.[2] ?? ""}`), start);
  return upload.body.subarray(start, end < 0 ? undefined : end);
}
