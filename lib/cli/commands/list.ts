/** `sessions list`: the seed's listSessions.js, as a table for people or JSON for scripts. */
import {
  SESSION_STATUSES,
  isRestricted,
  isSessionStatus,
  type Session,
  type SessionRepository,
  type SessionStatus,
} from "../../sessions";
import { UsageError, type Command } from "../command";
import {
  accountLabel,
  count,
  relativeTime,
  renderTable,
  sessionJson,
  statusLabel,
  truncate,
  type Colors,
} from "../format";

const PAGE = 100;

/** Every session in `status`, newest change first, page by page through the byStatus index (never a scan). */
export async function listAll(repo: SessionRepository, status: SessionStatus): Promise<Session[]> {
  const all: Session[] = [];
  let cursor: string | undefined;
  do {
    const page = await repo.listByStatus(status, { limit: PAGE, ...(cursor ? { cursor } : {}) });
    all.push(...page.items);
    cursor = page.cursor;
  } while (cursor);
  return all;
}

export function countsLine(counts: Record<SessionStatus, number>, colors: Colors): string {
  const total = SESSION_STATUSES.reduce((n, s) => n + counts[s], 0);
  return `${colors.bold(`${count(total)} total`)}: ${SESSION_STATUSES.map((s) => `${count(counts[s])} ${statusLabel(s, colors)}`).join(" · ")}`;
}

export const command: Command = {
  name: "list",
  description: [
    "Without --status: every session, grouped by status (error first, the ones that need you), newest change",
    "first. The last line counts the sessions in each status. Reads the status index page by page; never scans.",
  ].join("\n"),
  options: {
    restricted: {
      type: "boolean",
      help: "only sessions @SpamBot last said are limited (until a date not yet passed, or for good)",
    },
    status: {
      type: "string",
      value: "status",
      help: "only sessions in this status: active, paused, error or deleted",
    },
    json: { type: "boolean", help: "print JSON for scripts instead of a table (shape below)" },
  },
  examples: [
    "sessions list",
    "sessions list --status error",
    "sessions list --status error --json | jq -r '.sessions[].phone'",
  ],
  notes: [
    "JSON shape (--json); every key is always present, null when unknown:",
    '  { "sessions": [ { "phone": "+998901234567", "status": "error", "isPaused": true,',
    '      "account": { "userId": "42", "username": "x" | null, "firstName": … | null, "lastName": … | null } | null,',
    '      "lastError": "…" | null, "lastErrorCode": "AUTH_KEY_UNREGISTERED" | null, "lastCheckedAt": ISO | null,',
    '      "consecutiveFailures": 0, "floodWaitUntil": ISO | null, "createdAt": ISO, "updatedAt": ISO,',
    '      "deletedAt": ISO | null, "hasSessionString": true,',
    '      "frozen": { "detectedAt": ISO, "since": ISO | null, "until": ISO | null, "appealUrl": "…" | null } | null,',
    '      "authorizationTtlDays": 180 | null } ],',
    '    "counts": { "active": 0, "paused": 0, "error": 0, "deleted": 0 } }',
  ].join("\n"),
  async run(ctx, args) {
    const raw = args.values.status;
    if (typeof raw === "string" && !isSessionStatus(raw.trim().toLowerCase())) {
      throw new UsageError(
        `Unknown status "${raw}".`,
        `Use one of: ${SESSION_STATUSES.join(", ")}; or leave --status out to list all.`,
      );
    }
    const only = typeof raw === "string" ? (raw.trim().toLowerCase() as SessionStatus) : undefined;
    const { sessions: repo } = await ctx.store();
    // Error first: in an emergency those are the rows the operator is looking for.
    const order: SessionStatus[] = only ? [only] : ["error", "active", "paused", "deleted"];
    const [lists, counts] = await Promise.all([
      Promise.all(order.map((s) => listAll(repo, s))),
      repo.countByStatus(),
    ]);
    const restricted = args.values.restricted === true;
    // --restricted: what @SpamBot last said limits the account now (read by `sessions spambot`, never the daily check).
    const sessions = lists.flat().filter((s) => !restricted || isRestricted(s.restriction));

    if (args.values.json) {
      ctx.out(JSON.stringify({ sessions: sessions.map(sessionJson), counts }, null, 2));
      return 0;
    }
    if (sessions.length === 0) {
      ctx.out(
        restricted
          ? `No${only ? ` ${only}` : ""} session is restricted, as far as @SpamBot last said (\`sessions spambot --all\` asks it).`
          : only
            ? `No sessions in status ${only}.`
            : "No sessions yet. Add one through the AdminBot: /start → ➕ Add Session.",
      );
    } else {
      const now = new Date();
      const { colors } = ctx;
      // The last error gets what a terminal leaves after the other columns (about 80 wide); 40 in a pipe.
      const columns = ctx.term.stdout.isTTY ? ctx.term.stdout.columns : undefined;
      const errorWidth = columns ? Math.max(20, columns - 82) : 40;
      const rows = sessions.map((s) => [
        s.phone,
        truncate(accountLabel(s.account), 24),
        statusLabel(s.status, colors),
        s.isPaused ? "yes" : "no",
        s.lastError || s.lastErrorCode ? truncate(s.lastError ?? s.lastErrorCode ?? "", errorWidth) : "—",
        relativeTime(s.lastCheckedAt, now),
        relativeTime(s.updatedAt, now),
      ]);
      for (const line of renderTable(
        ["PHONE", "ACCOUNT", "STATUS", "PAUSED", "LAST ERROR", "LAST CHECK", "UPDATED"],
        rows,
        colors,
      ))
        ctx.out(line);
    }
    ctx.out();
    ctx.out(countsLine(counts, ctx.colors));
    const limited = lists.flat().filter((s) => s.status !== "deleted" && isRestricted(s.restriction)).length;
    if (limited > 0)
      ctx.out(
        `${count(limited)} restricted by Telegram as @SpamBot last said` +
          `${restricted ? "" : " (`sessions list --restricted` lists them)"}.`,
      );
    return 0;
  },
};
