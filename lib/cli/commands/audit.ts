/**
 * `sessions audit`: who did what to which session, and when, from the audit trail (kept a year): the bot's admins
 * (tg:<id>), operators at a terminal (cli:<user>), the schedules. Newest first.
 */
import { AUDIT_RETENTION_DAYS, type AuditEntry } from "../../bot-state/audit";
import { normalizePhone } from "../../sessions";
import type { Command } from "../command";
import { count, plural, renderTable, truncate } from "../format";
import { parseSince } from "../since";
import { parseLimit, shortTime } from "./history";

const DEFAULT_LIMIT = 100;

/** "cli" matches every "cli:<user>"; "tg:42" matches that admin only. */
function actorMatches(actor: string, wanted: string): boolean {
  return actor === wanted || actor.startsWith(`${wanted}:`);
}

export const command: Command = {
  name: "audit",
  description: [
    "The audit trail, newest first: when, who (tg:<Telegram id> for an admin in the bot or Mini App, cli:<user>",
    "for an operator here, schedule:<job> and health-check:<run> for the schedules), what, which session and the",
    "detail. Kept 365 days. Filters combine.",
  ].join("\n"),
  options: {
    phone: { type: "string", value: "phone", help: "only this session" },
    since: { type: "string", value: "time", help: "since then: 24h, 7d, 2w or a date (default 7d)" },
    actor: {
      type: "string",
      value: "actor",
      help: "only this actor: tg:42, cli:alice, or a kind (tg, cli, schedule)",
    },
    limit: { type: "string", value: "N", help: `show at most N entries (default ${DEFAULT_LIMIT})` },
    json: { type: "boolean", help: "print JSON for scripts (shape below)" },
  },
  examples: [
    "sessions audit",
    "sessions audit --phone +998901234567 --since 30d",
    "sessions audit --actor cli --since 2026-12-01",
    "sessions audit --since 24h --json | jq -r '.entries[] | [.at, .actor, .action] | @tsv'",
  ],
  notes: [
    "JSON shape (--json), newest first; `more` counts the matching entries left out by --limit:",
    '  { "entries": [ { "at": ISO, "actor": "cli:alice", "action": "session.deleted", "phone": "+998…" | null,',
    '      "detail": "…" | null } ], "more": 0, "since": ISO }',
  ].join("\n"),
  async run(ctx, args) {
    const now = new Date();
    const since = parseSince(typeof args.values.since === "string" ? args.values.since : "7d", now, "audit");
    const oldest = new Date(now.getTime() - AUDIT_RETENTION_DAYS * 86_400_000);
    const from = since < oldest ? oldest : since;
    const phone = typeof args.values.phone === "string" ? normalizePhone(args.values.phone) : undefined;
    const actor = typeof args.values.actor === "string" ? args.values.actor.trim() : undefined;
    const limit = parseLimit(args.values.limit, DEFAULT_LIMIT, "audit");
    const { audit } = await ctx.store();
    const matching = (await audit.since(from)).filter(
      (e: AuditEntry) => (!phone || e.phone === phone) && (!actor || actorMatches(e.actor, actor)),
    );
    const shown = matching.slice(0, limit);
    const more = matching.length - shown.length;
    if (args.values.json) {
      ctx.out(
        JSON.stringify(
          {
            entries: shown.map((e) => ({
              at: e.at,
              actor: e.actor,
              action: e.action,
              phone: e.phone ?? null,
              detail: e.detail ?? null,
            })),
            more,
            since: from.toISOString(),
          },
          null,
          2,
        ),
      );
      return 0;
    }
    const filters = [phone, actor && `by ${actor}`].filter(Boolean).join(", ");
    if (shown.length === 0) {
      ctx.out(
        `Nothing in the audit trail since ${shortTime(from.toISOString())} UTC${filters ? ` (${filters})` : ""}.`,
      );
      return 0;
    }
    const columns = ctx.term.stdout.isTTY ? ctx.term.stdout.columns : undefined;
    const detailWidth = columns ? Math.max(20, columns - 80) : 60;
    for (const line of renderTable(
      ["TIME (UTC)", "ACTOR", "ACTION", "PHONE", "DETAIL"],
      shown.map((e) => [
        `${shortTime(e.at)}:${e.at.slice(17, 19)}`,
        e.actor,
        e.action,
        e.phone ?? "—",
        e.detail ? truncate(e.detail, detailWidth) : "",
      ]),
      ctx.colors,
    ))
      ctx.out(line);
    ctx.out();
    ctx.out(
      `${plural(shown.length, "entry", "entries")} since ${shortTime(from.toISOString())} UTC${filters ? ` (${filters})` : ""}` +
        (more > 0 ? `; ${count(more)} more: --limit ${matching.length}, or a shorter --since.` : "."),
    );
    return 0;
  },
};
