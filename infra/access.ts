/**
 * Which function may do what to which items of the bot-state table.
 *
 * The table holds things of very different weight side by side: the admin list (who may drive the bot), the audit
 * trail, login flows (temporary auth keys), processed update ids, health-check run records. A function gets only the
 * families its code touches, each with only the actions that code performs, enforced by IAM on the partition key
 * (`dynamodb:LeadingKeys`). So a compromised worker (it parses MTProto replies from Telegram) can count its run and
 * read who to notify, but cannot make anyone an admin, read or change a login flow, or erase the audit trail.
 *
 * Nobody but the AdminBot may delete an admin (an owner's "remove admin"), and nobody may delete or read audit
 * entries from a function: the audit is appended to (PutItem; keys carry a random part no writer can read back, so
 * an entry cannot be aimed at) and read only by the operator's CLI.
 */
import { BOT_STATE_ITEMS, leadingKeyPattern, SESSIONS_ITEMS, type ItemFamily } from "../lib/tables";
import type { FunctionName } from "./bundling";
import type { ItemGrant } from "./constructs/table-access";

/**
 * The item families by partition-key pattern (IAM `StringLike`), derived from the one list of every family and its
 * owner module (`BOT_STATE_ITEMS` in lib/tables.ts), so a key renamed there is renamed in the policies too.
 */
const pattern = (...families: ItemFamily[]) => families.map(leadingKeyPattern);
const I = BOT_STATE_ITEMS;
export const BOT_STATE_FAMILIES = {
  admins: pattern(I.admin),
  audit: pattern(I.audit),
  /** Phone and QR logins in progress (encrypted temporary sessions). */
  loginFlows: pattern(I.phoneLogin, I.qrLogin),
  updates: pattern(I.update),
  strangers: pattern(I.stranger),
  pages: pattern(I.page),
  input: pattern(I.input),
  botInfo: pattern(I.botInfo),
  runs: pattern(I.run),
  runList: pattern(I.runList),
  cleanups: pattern(I.cleanupList),
} as const satisfies Record<string, readonly string[]>;

export type BotStateFamily = keyof typeof BOT_STATE_FAMILIES;

export interface FamilyAccess {
  readonly family: BotStateFamily;
  readonly actions: ItemGrant["actions"];
}

const ALL = ["read", "put", "update", "delete"] as const;

/** The matrix: function × item family × actions. Anything not listed is refused. */
export const BOT_STATE_ACCESS: Record<FunctionName, readonly FamilyAccess[]> = {
  adminBot: [
    // Reads admins on every update; adds, promotes, sets the language, and removes (an owner's action).
    { family: "admins", actions: ALL },
    { family: "audit", actions: ["put"] },
    { family: "loginFlows", actions: ALL },
    { family: "updates", actions: ALL },
    // A conditional put, never read back.
    { family: "strangers", actions: ["put"] },
    { family: "pages", actions: ["read", "put"] },
    { family: "input", actions: ALL },
    { family: "botInfo", actions: ["read", "put"] },
    // 📈 Fleet draws the last 30 days from the health-check run records: the list of runs, then each record.
    { family: "runs", actions: ["read"] },
    { family: "runList", actions: ["read"] },
  ],
  healthCheckDispatch: [
    // Opens a run, adds what it queued, closes runs that never ended.
    { family: "runs", actions: ["read", "put", "update"] },
    { family: "runList", actions: ["read", "put"] },
    // Whom to send a summary.
    { family: "admins", actions: ["read"] },
  ],
  healthCheckWorker: [
    // Counts each checked session in its run (CHECKED#/NOTE# items, the counters), claims the summary.
    { family: "runs", actions: ["read", "put", "update"] },
    { family: "admins", actions: ["read"] },
    // "session.failed" entries.
    { family: "audit", actions: ["put"] },
  ],
  cleanup: [
    // Each deletion, and each retried logout, is recorded in the same transaction.
    { family: "audit", actions: ["put"] },
    // One record per cleanup, for the history.
    { family: "cleanups", actions: ["put"] },
  ],
};

/** The grants of one function, as `grantTableAccess` takes them. */
export function botStateGrants(name: FunctionName): ItemGrant[] {
  return BOT_STATE_ACCESS[name].map(({ family, actions }) => ({
    keys: BOT_STATE_FAMILIES[family],
    actions,
  }));
}

/**
 * The sessions table's two families: the session rows (`+<digits>`) and the fleet counter (`COUNTS#fleet`). Every
 * function that changes a row's status changes the counter in the same transaction, so it may update the counter;
 * none may put or delete it (only the operator's `sessions counts --repair` sets it whole).
 */
export const SESSIONS_FAMILIES = {
  sessions: pattern(SESSIONS_ITEMS.session),
  fleetCounter: pattern(SESSIONS_ITEMS.fleetCounter),
  /** Old keys moved aside by a login again, kept while their logout is pending. */
  replacedKeys: pattern(SESSIONS_ITEMS.replacedKey),
} as const satisfies Record<string, readonly string[]>;

export const SESSIONS_ACCESS: Record<
  FunctionName,
  readonly { readonly family: keyof typeof SESSIONS_FAMILIES; readonly actions: ItemGrant["actions"] }[]
> = {
  // Logins store and replace sessions; pause, resume, delete and "check now" change them; menus read the counts.
  adminBot: [
    { family: "sessions", actions: ALL },
    { family: "fleetCounter", actions: ["read", "update"] },
    { family: "replacedKeys", actions: ALL },
  ],
  // Reads the active sessions to queue them; the summary of a run it closes reads the counts.
  healthCheckDispatch: [
    { family: "sessions", actions: ["read"] },
    { family: "fleetCounter", actions: ["read"] },
  ],
  // Leases, check bookkeeping, and marking a session in error (which moves the counter).
  healthCheckWorker: [
    { family: "sessions", actions: ["read", "update"] },
    { family: "fleetCounter", actions: ["read", "update"] },
    { family: "replacedKeys", actions: ALL },
  ],
  // Leases, deletes, settled logouts (each moves the counter), and the fleet's counts for its report.
  cleanup: [
    { family: "sessions", actions: ["read", "update"] },
    { family: "fleetCounter", actions: ["read", "update"] },
    { family: "replacedKeys", actions: ALL },
  ],
};

/** The grants of one function on the sessions table, as `grantTableAccess` takes them. */
export function sessionsGrants(name: FunctionName): ItemGrant[] {
  return SESSIONS_ACCESS[name].map(({ family, actions }) => ({ keys: SESSIONS_FAMILIES[family], actions }));
}

/** Who holds the session key's two uses. The operator role is the CLI's break-glass (README: Deploy). */
export type KeyUser = FunctionName | "operator";

export const SESSION_KEY_USE: { readonly store: readonly KeyUser[]; readonly open: readonly KeyUser[] } = {
  // Logs in new sessions (seals them); the CLI's add, import and restore.
  store: ["adminBot", "operator"],
  // "Check now", logins and 🗑️ Delete (AdminBot), the daily check (worker), and the cleanup: a key is logged out at
  // Telegram (auth.logOut with that key) before its ciphertext is destroyed, so whatever deletes a session opens it.
  open: ["adminBot", "healthCheckWorker", "cleanup", "operator"],
};

/**
 * The name of a Session Keeper role: fixed, so the session key's policy (stateful stack) can name a function's role
 * before the service stack creates it. IAM names are account-wide: the region keeps two regions' deployments apart.
 */
export function roleName(stackPrefix: string, region: string, user: KeyUser): string {
  const name = `${stackPrefix}-${user}-${region}`;
  if (name.length > 64 || !/^[\w+=,.@-]+$/.test(name))
    throw new Error(
      `Role name ${name} is not a valid IAM role name (at most 64 letters, digits and +=,.@_-): ` +
        "choose a shorter stackPrefix of letters and digits.",
    );
  return name;
}
