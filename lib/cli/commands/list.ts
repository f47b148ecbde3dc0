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
import { parseLimit } from "./history";
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
/** Rows a table shows unless asked for more: 10,000 sessions never scroll past unasked. */
const DEFAULT_LIMIT = 50;
const SORTS = ["status", "updated", "checked", "phone"] as const;
type Sort = (typeof SORTS)[number];

const byNewest = (a: string | undefined, b: string | undefined) => (b ?? "").localeCompare(a ?? "");
const SORTERS: Record<Exclude<Sort, "status">, (a: Session, b: Session) => number> = {
  updated: (a, b) => byNewest(a.updatedAt, b.updatedAt),
  // Never checked first: those are the ones to look at.
  checked: (a, b) => (a.lastCheckedAt ?? "").localeCompare(b.lastCheckedAt ?? ""),
  phone: (a, b) => a.phone.localeCompare(b.phone),
};

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
    `A table shows the first ${DEFAULT_LIMIT} rows (--limit N, or --all) and says how many more there are; --json`,
    "prints every match unless --limit is given. Filters combine with --status and with each other.",
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
    frozen: { type: "boolean", help: "only accounts Telegram froze" },
    "flood-waited": { type: "boolean", help: "only sessions in a flood wait now" },
    sort: {
      type: "string",
      value: "order",
      help: "status (grouped, newest change first: the default), updated, checked (longest unchecked first), phone",
    },
    limit: {
      type: "string",
      value: "N",
      help: `show at most N sessions (default ${DEFAULT_LIMIT} in a table)`,
    },
    all: { type: "boolean", help: "show every matching session" },
    json: { type: "boolean", help: "print JSON for scripts instead of a table (shape below)" },
  },
  examples: [
    "sessions list",
    "sessions list --status error",
    "sessions list --frozen --sort checked",
    "sessions list --all --sort phone",
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
    '      "authorizationTtlDays": 180 | null, "identity": { … } | null, "apiId": 123 | null, "testServers": false,',
    '      "proxy": { "kind", "host", "port" } | null,',
    '      "twoFa": { "hasPassword": true, "checkedAt": ISO } | null,',
    '      "revocation": { "state": "pending" | "logged-out" | "already-dead" | "unconfirmed", "pending": bool,',
    '        "attempts": 1, "at": ISO | null, "lastTriedAt": ISO | null, "giveUpAt": ISO | null,',
    '        "lastError": "…" | null } | null,',
    '      "restriction": { … } | null } ],',
    '    "counts": { "active": 0, "paused": 0, "error": 0, "deleted": 0 }, "pendingRevocations": 0,',
    '    "pendingReplacedKeys": 0, "more": 0 }',
    "  `twoFa`: the account's 2FA password as the last check read it (null: never read).",
    "  `revocation`: a deleted session's logout at Telegram (pending: its key may still work there).",
    "  `pendingRevocations`: keys whose logout at Telegram is pending, in the whole fleet: deleted sessions' keys",
    "  and the old keys of sessions logged in again or imported over (`pendingReplacedKeys`, counted in it too).",
    "  `more`: matching sessions left out by --limit.",
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
    const sortRaw = typeof args.values.sort === "string" ? args.values.sort.trim().toLowerCase() : "status";
    if (!(SORTS as readonly string[]).includes(sortRaw))
      throw new UsageError(`Unknown sort "${args.values.sort}".`, `Use one of: ${SORTS.join(", ")}.`);
    const sort = sortRaw as Sort;
    if (args.values.all === true && args.values.limit !== undefined)
      throw new UsageError("Give either --limit or --all, not both.", "Run `sessions list --help`.");
    const limit =
      args.values.all === true
        ? Infinity
        : args.values.limit !== undefined
          ? parseLimit(args.values.limit, DEFAULT_LIMIT, "list")
          : args.values.json
            ? Infinity
            : DEFAULT_LIMIT;
    const { sessions: repo } = await ctx.store();
    // Error first: in an emergency those are the rows the operator is looking for.
    const order: SessionStatus[] = only ? [only] : ["error", "active", "paused", "deleted"];
    const [lists, fleet] = await Promise.all([
      Promise.all(order.map((s) => listAll(repo, s))),
      repo.fleetCounts(),
    ]);
    const counts = { ...fleet.byStatus };
    const { pendingRevocations, pendingReplacedKeys } = fleet;
    const pendingDeleted = pendingRevocations - pendingReplacedKeys;
    const restricted = args.values.restricted === true;
    const now = new Date();
    const matching = lists
      .flat()
      .filter(
        (s) =>
          (!args.values.frozen || s.frozen !== undefined) &&
          (!args.values["flood-waited"] ||
            (s.floodWaitUntil !== undefined && Date.parse(s.floodWaitUntil) > now.getTime())) &&
          (!restricted || isRestricted(s.restriction, now)),
      );
    if (sort !== "status") matching.sort(SORTERS[sort]);
    const sessions = matching.slice(0, limit);
    const more = matching.length - sessions.length;
    const filtered = Boolean(args.values.frozen || args.values["flood-waited"] || args.values.restricted);

    if (args.values.json) {
      ctx.out(
        JSON.stringify(
          { sessions: sessions.map(sessionJson), counts, pendingRevocations, pendingReplacedKeys, more },
          null,
          2,
        ),
      );
      return 0;
    }
    if (sessions.length === 0) {
      ctx.out(
        restricted
          ? `No${only ? ` ${only}` : ""} session is restricted, as far as @SpamBot last said (\`sessions spambot --all\` asks it).`
          : filtered
            ? `No sessions match${only ? ` in status ${only}` : ""}.`
            : only
              ? `No sessions in status ${only}.`
              : "No sessions yet. Add one through the AdminBot: /start → ➕ Add Session.",
      );
    } else {
      const { colors } = ctx;
      // The last error gets what a terminal leaves after the other columns (about 80 wide); 40 in a pipe.
      const columns = ctx.term.stdout.isTTY ? ctx.term.stdout.columns : undefined;
      const errorWidth = columns ? Math.max(20, columns - 82) : 40;
      const rows = sessions.map((s) => [
        s.phone,
        truncate(accountLabel(s.account), 24),
        s.revocation?.state === "pending"
          ? `${statusLabel(s.status, colors)} ${colors.red("(logout pending)")}`
          : statusLabel(s.status, colors),
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
    if (more > 0) ctx.out(ctx.colors.dim(`${count(more)} more: --all, or --limit ${matching.length}.`));
    ctx.out();
    ctx.out(countsLine(counts, ctx.colors));
    if (pendingDeleted > 0)
      ctx.out(
        ctx.colors.red(
          `${count(pendingDeleted)} deleted ${pendingDeleted === 1 ? "session's key" : "sessions' keys"} ` +
            "may still work at Telegram: logout pending (`sessions revoke-pending` retries; " +
            "`sessions list --status deleted` shows them).",
        ),
      );
    if (pendingReplacedKeys > 0)
      ctx.out(
        ctx.colors.red(
          `${count(pendingReplacedKeys)} replaced ${pendingReplacedKeys === 1 ? "key" : "keys"} (the old key of a ` +
            "session logged in again or imported over) may still work at Telegram: logout pending " +
            "(`sessions revoke-pending` retries).",
        ),
      );
    const limited = lists.flat().filter((s) => s.status !== "deleted" && isRestricted(s.restriction)).length;
    if (limited > 0)
      ctx.out(
        `${count(limited)} restricted by Telegram as @SpamBot last said` +
          `${restricted ? "" : " (`sessions list --restricted` lists them)"}.`,
      );
    return 0;
  },
};
