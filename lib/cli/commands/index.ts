/**
 * The command table: each command's name, group and one line for `sessions --help`, and the `Command` its own
 * file exports.
 *
 * A command still being built has `comingWith` instead of `command`: it shows in `--help` and, when run, says
 * what to use meanwhile. To add one: write `commands/<name>.ts` exporting `command: Command`, import it here and
 * swap `comingWith` for `command`. A command that needs GramJS (add, import, check) loads `lib/telegram`'s
 * implementation inside `run`, never at the top of its file, so `sessions list` and `--help` stay quick.
 *
 * What a new command gets: strict argument parsing and `--help` from its `positionals`/`options` (main.ts);
 * `ctx.store()` (repositories, audit log), `ctx.actor` ("cli:<os user>") for the audit trail, `ctx.interactive`;
 * `confirm` and `readHidden` (prompt.ts: the 2FA password of `add`); `createProgress` (progress.ts: `check --all`,
 * `cleanup`); and `errors.ts`, which words any library error and picks the exit code, so `run` simply throws.
 */
import type { Command } from "../command";
import { add as addAdmin, list as listAdmins, remove as removeAdmin } from "./admins";
import { command as add } from "./add";
import { command as audit } from "./audit";
import { command as backup } from "./backup";
import { command as check } from "./check";
import { command as cleanup } from "./cleanup";
import { command as counts } from "./counts";
import { command as devices } from "./devices";
import { command as doctor } from "./doctor";
import { command as history } from "./history";
import { command as identity } from "./identity";
import { command as importSession } from "./import";
import { command as list } from "./list";
import { command as migrateEncryption } from "./migrate-encryption";
import { pause, resume } from "./pause-resume";
import { command as proxy } from "./proxy";
import { command as remove } from "./remove";
import { command as removeErrors } from "./remove-errors";
import { command as revokePending } from "./revoke-pending";
import { command as show } from "./show";
import { command as spambot } from "./spambot";
import { command as status } from "./status";
import { command as twoFa } from "./two-fa";

export type CommandGroup = "Sessions" | "Fleet" | "Admins" | "Emergency and upkeep";

export interface CommandEntry {
  readonly name: string;
  readonly group: CommandGroup;
  /** One line for the top-level `--help`. */
  readonly summary: string;
  readonly command?: Command;
  /** Not built yet: what to use meanwhile. */
  readonly comingWith?: string;
}

export const COMMANDS: readonly CommandEntry[] = [
  {
    name: "list",
    group: "Sessions",
    summary: "list sessions (all, or one status) with counts per status; --json for scripts",
    command: list,
  },
  {
    name: "show",
    group: "Sessions",
    summary: "show one session: account, status, last error, last check",
    command: show,
  },
  {
    name: "pause",
    group: "Sessions",
    summary: "pause an active session (it is no longer checked or used)",
    command: pause,
  },
  {
    name: "resume",
    group: "Sessions",
    summary: "resume a paused session",
    command: resume,
  },
  {
    name: "remove",
    group: "Sessions",
    summary: "log one session out at Telegram and delete it (asks first unless --yes)",
    command: remove,
  },
  {
    name: "add",
    group: "Sessions",
    summary: "log a phone in interactively (code, 2FA password), or by QR code with --qr",
    command: add,
  },
  {
    name: "import",
    group: "Sessions",
    summary: "store an existing session string read from standard input",
    command: importSession,
  },
  {
    name: "check",
    group: "Sessions",
    summary: "check one session (or --all active ones) with Telegram now",
    command: check,
  },
  {
    name: "proxy",
    group: "Sessions",
    summary: "set, clear or test the proxy one session connects through (SOCKS5 or MTProxy)",
    command: proxy,
  },
  {
    name: "identity",
    group: "Sessions",
    summary: "show or change the device one session presents to Telegram (audited)",
    command: identity,
  },
  {
    name: "devices",
    group: "Sessions",
    summary: "list every device logged into one account; end one login or all others (asks first)",
    command: devices,
  },
  {
    name: "2fa",
    group: "Sessions",
    summary: "set or change the 2FA password of one account (hidden input, asked twice; never stored)",
    command: twoFa,
  },
  {
    name: "spambot",
    group: "Sessions",
    summary: "ask @SpamBot whether Telegram limits one account (or --all, slowly); sends /start from it",
    command: spambot,
  },
  {
    name: "admins",
    group: "Admins",
    summary: "list the AdminBot's admins",
    command: listAdmins,
  },
  {
    name: "add-admin",
    group: "Admins",
    summary: "let a Telegram user use the AdminBot (--owner to let them manage admins)",
    command: addAdmin,
  },
  {
    name: "remove-admin",
    group: "Admins",
    summary: "take a user's AdminBot access away (never the last owner)",
    command: removeAdmin,
  },
  {
    name: "status",
    group: "Fleet",
    summary:
      "the fleet on one screen: counts, frozen, flood waits, the last and next health check and cleanup",
    command: status,
  },
  {
    name: "doctor",
    group: "Fleet",
    summary: "check this machine and the stack are ready: ✓/✗ per check, with the fix for each ✗",
    command: doctor,
  },
  {
    name: "history",
    group: "Fleet",
    summary: "the health check runs and cleanups, newest first, with a chart of the fleet",
    command: history,
  },
  {
    name: "audit",
    group: "Fleet",
    summary: "who did what to which session, when (--phone, --since, --actor)",
    command: audit,
  },
  {
    name: "backup",
    group: "Emergency and upkeep",
    summary: "back up both tables (AWS on-demand backup, or a JSON export locally)",
    command: backup,
  },
  {
    name: "remove-errors",
    group: "Emergency and upkeep",
    summary: "delete every session in error (optionally only older than N days)",
    command: removeErrors,
  },
  {
    name: "cleanup",
    group: "Emergency and upkeep",
    summary: "run the weekly cleanup now (--dry-run to see what it would delete)",
    command: cleanup,
  },
  {
    name: "revoke-pending",
    group: "Emergency and upkeep",
    summary: "retry the logout at Telegram of deleted sessions whose logout is not confirmed",
    command: revokePending,
  },
  {
    name: "migrate-encryption",
    group: "Emergency and upkeep",
    summary: "seal stored sessions of the old ciphertext format (skenc1) in the current one; resumable",
    command: migrateEncryption,
  },
  {
    name: "counts",
    group: "Emergency and upkeep",
    summary: "recount the fleet and compare with its counter item (--repair sets it, --json)",
    command: counts,
  },
];

export function findCommand(name: string): CommandEntry | undefined {
  return COMMANDS.find((c) => c.name === name);
}
