/**
 * `sessions spambot <phone>` and `sessions spambot --all [--pace 30s]`: asks @SpamBot whether Telegram limits the
 * account. It SENDS A MESSAGE (/start to @SpamBot) from the account, so it runs only when an owner asks, never as part
 * of the daily check; across the fleet it goes one session at a time at a slow pace. The reading (free, limited until
 * a date, limited for good, or an unknown reply kept verbatim) is stored with its date and shown by `show` and `list`.
 */
import { normalizePhone, type Phone, type RestrictionReading } from "../../sessions";
import { EXIT, UsageError, type Command } from "../command";
import type { CliContext } from "../context";
import { count, restrictionLabel } from "../format";
import { listAll } from "./list";
import { loadTelegramLayer, loadUserbots } from "../userbots";
import { PHONE_ARG } from "./show";

const HINT = "Run `sessions spambot --help`.";
export const DEFAULT_PACE_MS = 30_000;

/** "30s", "2m", "1500ms", or a number of seconds. At least one second. */
export function parsePace(raw: string | boolean | undefined): number {
  if (raw === undefined || typeof raw === "boolean") return DEFAULT_PACE_MS;
  const m = /^(\d+(?:\.\d+)?)\s*(ms|s|m)?$/.exec(raw.trim());
  const ms = m ? Number(m[1]) * (m[2] === "ms" ? 1 : m[2] === "m" ? 60_000 : 1_000) : NaN;
  if (!(ms >= 1_000 && ms <= 3_600_000))
    throw new UsageError(`--pace takes a time from 1s to 60m, e.g. 30s or 2m (got "${raw}").`, HINT);
  return ms;
}

type Tally = Record<RestrictionReading["state"] | "notChecked", number>;

async function askOne(ctx: CliContext, phone: Phone, tally: Tally): Promise<boolean> {
  const services = await loadUserbots(ctx);
  const telegram = loadTelegramLayer();
  try {
    const reading = await services.checkRestriction(phone, {
      deadlineMs: telegram.DEFAULT_SPAMBOT_DEADLINE_MS,
      actor: ctx.actor,
    });
    tally[reading.state] += 1;
    const text = restrictionLabel(reading);
    const { green, red, yellow } = ctx.colors;
    const mark =
      reading.state === "free"
        ? green("FREE")
        : reading.state === "unknown"
          ? yellow("UNKNOWN")
          : red("LIMITED");
    ctx.out(`${mark}  ${phone}: ${text}`);
    return true;
  } catch (err) {
    tally.notChecked += 1;
    const message =
      err instanceof telegram.UserbotFailedError
        ? err.failure.message
        : err instanceof Error
          ? err.message
          : String(err);
    ctx.out(`${ctx.colors.yellow("NOT ASKED")}  ${phone}: ${message}`);
    return false;
  }
}

function summary(tally: Tally, asked: number): string {
  return (
    `Asked @SpamBot for ${count(asked)} ${asked === 1 ? "session" : "sessions"}: ${count(tally.free)} free, ` +
    `${count(tally.limited)} limited until a date, ${count(tally["limited-forever"])} limited for good, ` +
    `${count(tally.unknown)} unknown, ${count(tally.notChecked)} not asked.`
  );
}

export const command: Command = {
  name: "spambot",
  description: [
    "Asks @SpamBot whether Telegram limits the account: sends it /start FROM THE ACCOUNT and reads its answer",
    "(free, limited until a date, limited for good, or an unknown reply kept as it was written). Stored with its",
    "date; `show` displays it and `list --restricted` lists the limited ones. Never part of the daily check:",
    "it sends a message, so it runs only when you ask. With --all, every active session, one at a time, waiting",
    "--pace between two (default 30s). Needs API_ID and API_HASH (my.telegram.org).",
  ].join("\n"),
  positionals: [{ ...PHONE_ARG, optional: true }],
  options: {
    all: { type: "boolean", help: "ask for every active session, one at a time" },
    pace: {
      type: "string",
      value: "TIME",
      help: "with --all: the wait between two sessions, e.g. 30s or 2m (default 30s, at least 1s)",
    },
  },
  examples: ["sessions spambot +998901234567", "sessions spambot --all --pace 1m"],
  async run(ctx, args) {
    const all = args.values.all === true;
    const phoneArg = args.positionals[0];
    if (all === (phoneArg !== undefined))
      throw new UsageError("Give either a phone or --all (every active session).", HINT);
    if (!all && args.values.pace !== undefined) throw new UsageError("--pace goes with --all.", HINT);
    const tally: Tally = { free: 0, limited: 0, "limited-forever": 0, unknown: 0, notChecked: 0 };
    if (!all) return (await askOne(ctx, normalizePhone(phoneArg!), tally)) ? EXIT.ok : EXIT.failed;

    const pace = parsePace(args.values.pace);
    const { sessions } = await ctx.store();
    const active = await listAll(sessions, "active");
    if (active.length === 0) {
      ctx.out("No active session to ask about. Nothing was sent.");
      return EXIT.ok;
    }
    ctx.err(`Asking @SpamBot for ${count(active.length)} active sessions, one every ${pace / 1000}s…`);
    for (const [i, s] of active.entries()) {
      if (i > 0) await new Promise((resolve) => setTimeout(resolve, pace));
      await askOne(ctx, s.phone, tally);
    }
    ctx.out();
    ctx.out(summary(tally, active.length));
    return tally.notChecked > 0 ? EXIT.failed : EXIT.ok;
  },
};
