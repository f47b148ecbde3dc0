/**
 * Figure 2, warm latency: one warm Node process holds the admin-bot bundle and the reference handler side by side
 * and handles, interleaved, the same updates through both: `/start`, the Sessions list (first page of the active
 * sessions) and a session card, with 2,000 sessions stored. A few updates of each kind are handled first, unmeasured
 * (a warm container has run them before). The goal compares the worst p99 of the three with the reference's p99.
 */
import { writeFileSync } from "node:fs";
import * as path from "node:path";
import { cb } from "../lib/bot/callback-data";
import { normalizePhone, type Phone } from "../lib/sessions";
import { BENCH_DIR, type Bundle } from "./lib/bundles";
import { runNode } from "./lib/child";
import { commandUpdate, pressUpdate, webhookEvent } from "./lib/events";
import { pool, quantile, round } from "./lib/stats";
import type { BenchStore } from "./lib/store";

export const WARM_KINDS = ["start", "sessionsList", "sessionCard"] as const;
export type WarmKind = (typeof WARM_KINDS)[number];

const WARM_PROGRAM = `
const { performance } = require("node:perf_hooks");
const fs = require("node:fs");
const { pathToFileURL } = require("node:url");
const load = async (file) => {
  const m = await import(pathToFileURL(file).href);
  return m.handler ?? m.default.handler;
};
const ctx = { getRemainingTimeInMillis: () => 29000 };
const { warmup, measured } = JSON.parse(fs.readFileSync(process.env.BENCH_EVENTS, "utf8"));
(async () => {
  const bot = await load(process.env.BENCH_ADMIN_BOT);
  const ref = await load(process.env.BENCH_REFERENCE);
  for (const [, event] of warmup) { await bot(event, ctx); await ref(event, ctx); }
  const out = { bot: {}, ref: [] , failures: 0};
  for (const [kind, event] of measured) {
    let t = performance.now();
    const r = await bot(event, ctx);
    (out.bot[kind] ??= []).push(performance.now() - t);
    if (r.statusCode !== 200) out.failures++;
    t = performance.now();
    const r2 = await ref(event, ctx);
    out.ref.push(performance.now() - t);
    if (r2.statusCode !== 200) out.failures++;
  }
  out.rssMb = process.memoryUsage().rss / 1048576;
  process.stdout.write("\\nBENCH " + JSON.stringify(out) + "\\n");
  process.exit(0);
})().catch((e) => { console.error(e); process.exit(1); });`;

export interface WarmFigures {
  readonly updates: number;
  readonly sessionsStored: number;
  readonly adminBot: Record<WarmKind, { readonly p50Ms: number; readonly p99Ms: number }>;
  readonly reference: { readonly p50Ms: number; readonly p99Ms: number };
  /** The worst p99 of the three kinds over the reference's p99. */
  readonly ratio: number;
}

/** Stores `count` active sessions (through the repository: encrypted as a login stores them). */
export async function seedSessions(store: BenchStore, count: number): Promise<Phone[]> {
  const sessions = store.sessions();
  const phones = Array.from({ length: count }, (_, i) => normalizePhone(`+99890${String(1_000_000 + i)}`));
  await pool(phones, 16, async (phone, i) => {
    await sessions.create({
      phone,
      sessionString: `1BVtsOK4Bu${"x".repeat(340)}${i}`,
      account: { userId: String(800_000 + i), username: `user${i}`, firstName: `User ${i}` },
    });
  });
  return phones;
}

export async function measureWarm(options: {
  updates: number;
  phones: readonly Phone[];
  adminBot: Bundle;
  reference: Bundle;
  env: Record<string, string>;
  /** The first update id (default 2,000,000): each measurement on the same tables needs ids of its own. */
  firstUpdateId?: number;
}): Promise<WarmFigures> {
  let updateId = options.firstUpdateId ?? 2_000_000;
  const eventFor = (kind: WarmKind, i: number) => {
    const phone = options.phones[(i * 7919) % options.phones.length]!;
    const update =
      kind === "start"
        ? commandUpdate(updateId++, "/start")
        : pressUpdate(updateId++, kind === "sessionsList" ? cb.list("active") : cb.card(phone));
    return [kind, webhookEvent(update)] as const;
  };
  const warmup = Array.from({ length: 30 }, (_, i) => eventFor(WARM_KINDS[i % 3]!, i));
  const measured = Array.from({ length: options.updates }, (_, i) => eventFor(WARM_KINDS[i % 3]!, i + 30));
  const file = path.join(BENCH_DIR, "warm-events.json");
  writeFileSync(file, JSON.stringify({ warmup, measured }));
  const out = await runNode<{ bot: Record<WarmKind, number[]>; ref: number[]; failures: number }>(
    WARM_PROGRAM,
    {
      ...options.env,
      BENCH_ADMIN_BOT: options.adminBot.file,
      BENCH_REFERENCE: options.reference.file,
      BENCH_EVENTS: file,
    },
    { timeoutMs: 300_000 },
  );
  if (out.failures > 0) throw new Error(`${out.failures} warm updates were not answered 200`);
  const adminBot = Object.fromEntries(
    WARM_KINDS.map((k) => [
      k,
      { p50Ms: round(quantile(out.bot[k], 0.5), 1), p99Ms: round(quantile(out.bot[k], 0.99), 1) },
    ]),
  ) as WarmFigures["adminBot"];
  const reference = { p50Ms: round(quantile(out.ref, 0.5), 1), p99Ms: round(quantile(out.ref, 0.99), 1) };
  const worst = Math.max(...WARM_KINDS.map((k) => adminBot[k].p99Ms));
  return {
    updates: options.updates,
    sessionsStored: options.phones.length,
    adminBot,
    reference,
    ratio: round(worst / reference.p99Ms, 3),
  };
}
