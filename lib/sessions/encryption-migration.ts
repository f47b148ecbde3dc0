/**
 * The encryption migration: every stored secret of the sessions table (session strings, proxy credentials) sealed
 * in the current ciphertext format (`skenc2`: the row named in the KMS context by a keyed hash), from the format
 * before it (`skenc1`: an unsalted SHA-256 of the phone, readable in CloudTrail).
 *
 * It walks the status index, status by status (the pending-revocation tombstones, which keep their ciphertext, are
 * `deleted` rows and walked with them), and rewraps each old row on a write conditioned on the exact old ciphertext
 * (`SessionRepository.rewrapSecrets`). Nothing is ever lost: a row is only replaced by its own secret sealed anew,
 * a row changed meanwhile is left as it is and read again, and an interrupted or failed run leaves every row either
 * as it was or migrated, so running it again does only what is left.
 *
 * Then the replaced keys whose logout is pending (`REPLACED#` items, the old keys of phones logged in again or
 * imported over, kept up to the give-up days), through their partition of the `byRevocation` index, by the same
 * rules: the write conditioned on the exact old ciphertext and on the item still pending.
 *
 * Not here: the bot-state table's secrets (half-finished logins, keypad digits). They live for minutes (a login flow
 * expires after 10, the keypad with its step), both formats open, and every new one is sealed in the current
 * format, so they migrate themselves by expiring.
 */
import { DecryptionError } from "../crypto/envelope";
import type { Phone } from "./phone";
import type { SessionRepository, StoredSecrets } from "./repository";
import { SESSION_STATUSES } from "./session";

export interface MigrationOptions {
  /** Open what would be rewrapped (finding rows that do not open) and write nothing. */
  readonly dryRun?: boolean;
  /** Rows in flight at once. Default 8. */
  readonly parallel?: number;
  /** Times a row that changed meanwhile is read again and retried before it is reported. Default 3. */
  readonly retries?: number;
  /** Called once with the number of rows to look at, before the first. */
  readonly onTotal?: (rows: number) => void;
  /** Called after each row. */
  readonly onRow?: () => void;
  /** Asked before each row: true stops starting new ones (the rows in flight finish). */
  readonly stopping?: () => boolean;
}

export interface MigrationFailure {
  readonly phone: Phone;
  /** What went wrong, in words (never a secret: the library's messages carry none). */
  readonly reason: string;
}

export interface MigrationReport {
  readonly dryRun: boolean;
  /** Rows looked at. */
  examined: number;
  /** Rows whose old ciphertexts were sealed anew (with `dryRun`: that would be, and open). */
  migrated: number;
  /** Rows already in the current format. */
  alreadyNew: number;
  /** Of `examined`, replaced keys' items (their counts are in the others too). */
  replacedKeys: number;
  /** Rows with nothing sealed (tombstones whose key is settled). */
  withoutSecret: number;
  /** Rows that changed while this ran (their write was refused and they were read again); most then finish. */
  changedMeanwhile: number;
  /** Rows still changing after every retry: left as they were, run again to finish them. */
  skipped: Phone[];
  /** Rows that could not be migrated: a ciphertext that does not open, or a write that failed. */
  failed: MigrationFailure[];
  /** The run stopped early (interrupted, or stopped by an error that is not the row's own). */
  stopped: boolean;
}

/**
 * Migrates every row (see the file's comment). Throws only when the run cannot go on at all (the context key is
 * missing, DynamoDB refuses the reads); a row's own failure is counted in `failed`, and a write that fails for a
 * reason not the row's own (throttling, access) stops new rows and is thrown after the rows in flight finish, with
 * the report so far on the error (`MigrationStoppedError`).
 */
export async function migrateEncryption(
  sessions: SessionRepository,
  options: MigrationOptions = {},
): Promise<MigrationReport> {
  const parallel = Math.max(1, options.parallel ?? 8);
  const retries = Math.max(0, options.retries ?? 3);
  const dryRun = options.dryRun === true;
  const report: MigrationReport = {
    dryRun,
    examined: 0,
    replacedKeys: 0,
    migrated: 0,
    alreadyNew: 0,
    withoutSecret: 0,
    changedMeanwhile: 0,
    skipped: [],
    failed: [],
    stopped: false,
  };
  const counts = await sessions.fleetCounts();
  options.onTotal?.(
    SESSION_STATUSES.reduce((sum, s) => sum + counts.byStatus[s], 0) + counts.pendingReplacedKeys,
  );

  let fatal: unknown;
  const halted = () => fatal !== undefined || options.stopping?.() === true;

  const migrateRow = async (first: StoredSecrets): Promise<void> => {
    let row: StoredSecrets | undefined = first;
    let raced = false;
    for (let attempt = 0; row; attempt++) {
      const outcome = await sessions.rewrapSecrets(row, { dryRun });
      if (outcome !== "changed") {
        if (outcome === "migrated") report.migrated++;
        else if (outcome === "already-new") report.alreadyNew++;
        else report.withoutSecret++;
        return;
      }
      if (!raced) report.changedMeanwhile++;
      raced = true;
      if (attempt >= retries) {
        report.skipped.push(first.phone);
        return;
      }
      row = first.replacedKeyId
        ? await sessions.readReplacedKeySecrets(first.replacedKeyId)
        : await sessions.readStoredSecrets(first.phone);
    }
    // Gone meanwhile (a tombstone expired): nothing left to seal.
    report.withoutSecret++;
  };

  // Each status of the rows, then the replaced keys (`undefined`).
  for (const status of [...SESSION_STATUSES, undefined]) {
    let cursor: string | undefined;
    do {
      if (halted()) break;
      const from = { limit: 100, ...(cursor ? { cursor } : {}) };
      const page = status
        ? await sessions.listStoredSecrets(status, from)
        : await sessions.listReplacedKeySecrets(from);
      cursor = page.cursor;
      let next = 0;
      const worker = async () => {
        while (!halted() && next < page.items.length) {
          const row = page.items[next++]!;
          report.examined++;
          if (row.replacedKeyId) report.replacedKeys++;
          try {
            await migrateRow(row);
          } catch (err) {
            report.failed.push({ phone: row.phone, reason: reasonOf(err) });
            // A ciphertext that does not open is the row's own trouble; anything else (throttling, access, a
            // missing context key) would fail the next rows too: stop, and say so.
            if (!(err instanceof DecryptionError)) fatal ??= err;
          }
          options.onRow?.();
        }
      };
      await Promise.all(Array.from({ length: Math.min(parallel, page.items.length) }, worker));
    } while (cursor && !halted());
    if (halted()) break;
  }
  report.stopped = halted();
  if (fatal !== undefined) throw new MigrationStoppedError(report, fatal);
  return report;
}

/** The run stopped on an error that would fail every row; `report` says what was done before it. */
export class MigrationStoppedError extends Error {
  constructor(
    readonly report: MigrationReport,
    override readonly cause: unknown,
  ) {
    super(
      `The encryption migration stopped: ${reasonOf(cause)} Every row is either as it was or migrated; run it ` +
        "again to continue.",
    );
    this.name = "MigrationStoppedError";
  }
}

function reasonOf(err: unknown): string {
  const message = err instanceof Error ? err.message : String(err);
  return /[.!?]$/.test(message) ? message : `${message}.`;
}
