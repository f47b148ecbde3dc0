/**
 * The health check's pacing (lib/jobs/pacing.ts): a cap on checks connecting to one data centre at once, separate
 * buckets per data centre (a backlog on one never holds up another), and a random start delay within its bound.
 */
import { describe, expect, it } from "vitest";
import { createDcPacer } from "../../lib/jobs/pacing";

function gate() {
  let open!: () => void;
  const opened = new Promise<void>((resolve) => (open = resolve));
  return { open, opened };
}

describe("pacing checks by data centre", () => {
  it("never runs more than perDc checks of one data centre at once, and lets another data centre through", async () => {
    const pace = createDcPacer({ perDc: 3, jitterMs: 0 });
    const inFlight = new Map<string, number>();
    const peak = new Map<string, number>();
    const hold = gate();
    const run = (dc: number | undefined) =>
      pace(dc, async () => {
        const key = String(dc);
        inFlight.set(key, (inFlight.get(key) ?? 0) + 1);
        peak.set(key, Math.max(peak.get(key) ?? 0, inFlight.get(key)!));
        await hold.opened;
        inFlight.set(key, inFlight.get(key)! - 1);
      });
    const dc2 = Array.from({ length: 10 }, () => run(2));
    // DC 4's checks start while DC 2's backlog is still waiting.
    let dc4Started = 0;
    const dc4 = Array.from({ length: 2 }, () =>
      pace(4, async () => {
        dc4Started += 1;
        await hold.opened;
      }),
    );
    const unknown = Array.from({ length: 5 }, () => run(undefined));
    await new Promise((resolve) => setTimeout(resolve, 20));
    expect(inFlight.get("2")).toBe(3);
    expect(dc4Started).toBe(2);
    expect(inFlight.get("undefined")).toBe(3);
    hold.open();
    await Promise.all([...dc2, ...dc4, ...unknown]);
    expect(peak.get("2")).toBe(3);
    expect(peak.get("undefined")).toBe(3);
    expect(inFlight.get("2")).toBe(0);
  });

  it("delays each start by a random amount below the bound", async () => {
    const delays: number[] = [];
    const draws = [0, 0.5, 0.999];
    const pace = createDcPacer({
      perDc: 10,
      jitterMs: 200,
      random: () => draws.shift() ?? 0,
      sleep: (ms) => {
        delays.push(ms);
        return Promise.resolve();
      },
    });
    const results = await Promise.all([1, 2, 3].map((n) => pace(2, () => Promise.resolve(n))));
    expect(results).toEqual([1, 2, 3]);
    // A zero draw starts at once; the others wait below 200 ms.
    expect(delays).toEqual([100, 199]);
  });
});
