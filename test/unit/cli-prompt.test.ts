import { PassThrough } from "node:stream";
import { describe, expect, it } from "vitest";
import { UsageError } from "../../lib/cli/command";
import { confirm, PromptAbortedError, readHidden } from "../../lib/cli/prompt";

function terminal() {
  const input = Object.assign(new PassThrough(), {
    isTTY: true,
    raw: [] as boolean[],
    setRawMode(raw: boolean) {
      this.raw.push(raw);
      return this;
    },
  });
  const output = new PassThrough();
  let shown = "";
  output.on("data", (d: Buffer) => (shown += d.toString()));
  return { input, output, shown: () => shown };
}

const ask = (t: ReturnType<typeof terminal>, extra: { yes?: boolean; interactive?: boolean } = {}) =>
  confirm("Delete +998901234567?", {
    yes: extra.yes ?? false,
    interactive: extra.interactive ?? true,
    input: t.input,
    output: t.output,
    action: "delete +998901234567",
  });

describe("confirm", () => {
  it.each([
    ["y\n", true],
    ["YES\n", true],
    ["n\n", false],
    ["\n", false],
    ["yep\n", false],
  ])("answer %j → %s", async (answer, expected) => {
    const t = terminal();
    const pending = ask(t);
    t.input.write(answer);
    expect(await pending).toBe(expected);
    expect(t.shown()).toBe("Delete +998901234567? [y/N] ");
  });

  it("does not ask with --yes", async () => {
    const t = terminal();
    expect(await ask(t, { yes: true })).toBe(true);
    expect(t.shown()).toBe("");
  });

  it("refuses with nobody to ask, saying to pass --yes", async () => {
    const t = terminal();
    const err = await ask(t, { interactive: false }).catch((e: unknown) => e);
    expect(err).toBeInstanceOf(UsageError);
    expect((err as UsageError).message).toContain("Refusing to delete +998901234567 without confirmation");
    expect((err as UsageError).hint).toBe("Pass --yes to confirm.");
  });

  it("treats the end of input as no answer", async () => {
    const t = terminal();
    const pending = ask(t);
    t.input.end();
    await expect(pending).rejects.toBeInstanceOf(PromptAbortedError);
  });
});

describe("hidden input (2FA password)", () => {
  it("echoes nothing of what is typed, handles Backspace, and leaves raw mode", async () => {
    const t = terminal();
    const pending = readHidden(t.input, t.output, "2FA password: ");
    t.input.write("hunter3");
    t.input.write("\u007f2\r");
    expect(await pending).toBe("hunter2");
    expect(t.shown()).toBe("2FA password: \n");
    expect(t.input.raw).toEqual([true, false]);
  });

  it("stops on Ctrl-C without returning what was typed", async () => {
    const t = terminal();
    const pending = readHidden(t.input, t.output, "2FA password: ");
    t.input.write("secr\u0003");
    await expect(pending).rejects.toBeInstanceOf(PromptAbortedError);
    expect(t.input.raw).toEqual([true, false]);
  });

  it.each([
    ["abc, ←, →, d", "abc\u001b[D\u001b[Cd\r", "abcd"],
    ["ac, ←, b (typed where the cursor is)", "ac\u001b[Db\r", "abc"],
    ["xbc, Home, Delete, a", "xbc\u001b[H\u001b[3~a\r", "abc"],
    ["abc, ↑, ↓, Esc", "abc\u001b[A\u001b[B\u001b\u001b\r", "abc"],
  ])("arrow and editing keys never become password characters: %s", async (_, typed, expected) => {
    const t = terminal();
    const pending = readHidden(t.input, t.output, "2FA password: ");
    t.input.write(typed);
    expect(await pending).toBe(expected);
    expect(t.shown()).toBe("2FA password: \n");
  });

  it("reads one line from a pipe, for scripts", async () => {
    const input = new PassThrough();
    const output = new PassThrough();
    const pending = readHidden(input, output, "2FA password: ");
    input.end("from-a-pipe\n");
    expect(await pending).toBe("from-a-pipe");
  });
});
