/**
 * `sessions counts [--repair] [--json]`: checks the fleet counter against the rows. The menus, `status`, the
 * cleanup's report and the daily summary read the fleet's counts from one counter item that every write changes in
 * the same transaction as the row; this recounts the status index (reading all of it: the cost grows with the
 * fleet) and says any difference. `--repair` sets the counter to the recount. Exit 1 when a drift is left unrepaired.
 */
import type { FleetCounts } from "../../sessions/fleet-counter";
import { EXIT, type Command } from "../command";

function rows(c: FleetCounts): [string, number][] {
  return [
    ["active", c.byStatus.active],
    ["paused", c.byStatus.paused],
    ["error", c.byStatus.error],
    ["deleted", c.byStatus.deleted],
    ["active without 2FA", c.activeWithoutTwoFa],
    ["logouts pending", c.pendingRevocations],
    ["  of which replaced keys", c.pendingReplacedKeys],
    ["active limited by Telegram", c.activeRestricted],
  ];
}

function json(c: FleetCounts) {
  return {
    ...c.byStatus,
    activeWithoutTwoFa: c.activeWithoutTwoFa,
    pendingRevocations: c.pendingRevocations,
    pendingReplacedKeys: c.pendingReplacedKeys,
    activeRestricted: c.activeRestricted,
  };
}

export const command: Command = {
  name: "counts",
  description: [
    "Recounts the fleet from the table's status index and compares it with the counter item that the menus,",
    "`sessions status`, the cleanup and the daily summary read (every change of a session changes that counter",
    "in the same write). Any difference is a drift: --repair sets the counter to the recount. The recount reads",
    "the whole index, so its cost grows with the fleet: run it by hand, not on a schedule. Deleted sessions count",
    "until the day their tombstone expires.",
  ].join("\n"),
  options: {
    repair: { type: "boolean", help: "set the counter to the recount when they differ" },
    json: { type: "boolean", help: "print JSON for scripts (shape below)" },
  },
  examples: ["sessions counts", "sessions counts --repair", "sessions counts --json | jq .drift"],
  notes: [
    "JSON shape (--json):",
    '  { "counter": counts, "recount": counts, "drift": { "<counter>": counter minus recount, … },',
    '    "repaired": boolean }, where counts is',
    '  { "active": n, "paused": n, "error": n, "deleted": n, "activeWithoutTwoFa": n, "pendingRevocations": n,',
    '    "pendingReplacedKeys": n, "activeRestricted": n } (pendingRevocations counts every key whose logout is pending, the replaced',
    "  keys of sessions logged in again or imported over included)",
    "  (drift names the raw counters: the four statuses, deletedKept and deleted@<day> for tombstones,",
    "  activeWithoutTwoFa, pendingRevocations for deleted sessions, pendingReplacedKeys, restrictedForever and",
    "  restricted@<day> for active sessions limited until that day). Exit 1 when a drift",
    "  is left unrepaired.",
  ].join("\n"),
  async run(ctx, args) {
    const { sessions } = await ctx.store();
    const repair = args.values.repair === true;
    const result = await sessions.recountFleet({ repair });
    const drifted = Object.keys(result.drift).length > 0;
    if (args.values.json) {
      ctx.out(
        JSON.stringify(
          {
            counter: json(result.stored),
            recount: json(result.counted),
            drift: result.drift,
            repaired: result.repaired,
          },
          null,
          2,
        ),
      );
      return drifted && !result.repaired ? EXIT.failed : EXIT.ok;
    }
    const { colors } = ctx;
    const recounted = rows(result.counted);
    ctx.out(colors.bold("Fleet counts: the counter, and a recount of the status index"));
    const stored = rows(result.stored);
    for (const [i, [name, counted]] of recounted.entries()) {
      const said = stored[i]![1];
      const line = `  ${name.padEnd(20)}${String(said).padStart(8)}${String(counted).padStart(8)}`;
      ctx.out(said === counted ? line : colors.red(`${line}  ← differs`));
    }
    if (!drifted) {
      ctx.out(
        result.repaired
          ? "The counter had never been counted; it is set from the recount now."
          : "No drift: the counter agrees with the rows.",
      );
      return EXIT.ok;
    }
    const detail = Object.entries(result.drift)
      .map(([k, d]) => `${k} ${d > 0 ? "+" : ""}${d}`)
      .join(", ");
    if (result.repaired) {
      ctx.out(`Drift found (${detail}) and repaired: the counter now says what the rows say.`);
      return EXIT.ok;
    }
    ctx.out(
      colors.red(`Drift: the counter differs from the rows (${detail}).`) +
        " Run `sessions counts --repair` to set it to the recount.",
    );
    return EXIT.failed;
  },
};
