import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { createProgress, formatDuration, renderBar } from "../../lib/cli/progress";

function sink(isTTY: boolean) {
  const stream = Object.assign(new PassThrough(), { isTTY, columns: 80 });
  let written = "";
  stream.on("data", (d: Buffer) => (written += d.toString()));
  return { stream, written: () => written };
}

describe("progress bar", () => {
  it("draws the share done, the count and the time left", () => {
    expect(renderBar("Deleting", 30, 120, 3000, 80)).toBe(
      `Deleting [${"█".repeat(10)}${"░".repeat(30)}] 30/120 25% · 9s left`,
    );
    expect(renderBar("Deleting", 120, 120, 3000, 80)).toMatch(/\[█{40}\] 120\/120 100%$/);
  });

  it("fits a narrow terminal, dropping the bar before the numbers", () => {
    const line = renderBar("Checking", 5, 10, 1000, 30);
    expect(line.length).toBeLessThan(30);
    expect(line).toContain("5/10 50%");
  });

  it.each([
    [4_500, "5s"],
    [95_000, "1m 35s"],
    [7_300_000, "2h 1m"],
  ])("formats %d ms as %s", (ms, text) => {
    expect(formatDuration(ms)).toBe(text);
  });

  it("redraws in place on a terminal at most every interval, always the last state, and clears at the end", async () => {
    let t = 0;
    const out = sink(true);
    const p = createProgress({
      total: 3,
      label: "Deleting",
      stream: out.stream,
      intervalMs: 100,
      now: () => t,
    });
    p.tick(); // within the interval: not drawn
    t = 150;
    p.tick();
    p.tick(); // the last one: always drawn
    p.stop();
    await new Promise((r) => setImmediate(r));
    const frames = out.written().split("\r\u001b[2K").filter(Boolean);
    expect(frames.map((f) => /\d+\/3/.exec(f)?.[0])).toEqual(["0/3", "2/3", "3/3"]);
    expect(out.written().endsWith("\r\u001b[2K")).toBe(true);
    expect(p.done).toBe(3);
  });

  it("draws nothing into a pipe", async () => {
    const out = sink(false);
    const p = createProgress({ total: 2, label: "Deleting", stream: out.stream });
    p.tick(2);
    p.stop();
    await new Promise((r) => setImmediate(r));
    expect(out.written()).toBe("");
  });
});
