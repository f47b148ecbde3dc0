import { describe, expect, it } from "vitest";
import type { Command } from "../../lib/cli/command";
import { parseCommandArgs } from "../../lib/cli/main";

const command: Command = {
  name: "devices",
  description: "test",
  positionals: [
    { name: "phone", help: "the phone" },
    { name: "action", help: "end", optional: true },
    { name: "hash", help: "the hash", optional: true },
  ],
  options: { yes: { type: "boolean", help: "no prompt" }, limit: { type: "string", help: "n" } },
  run: () => Promise.resolve(0),
};

describe("the command line", () => {
  it("reads a negative number as a value (Telegram's login hashes are signed), not as options", () => {
    const parsed = parseCommandArgs(command, ["+998901234567", "end", "-4123456789012345678", "--yes"]);
    expect(parsed.positionals).toEqual(["+998901234567", "end", "-4123456789012345678"]);
    expect(parsed.values.yes).toBe(true);
    expect(parseCommandArgs(command, ["+998901234567", "--limit", "-5"]).values.limit).toBe("-5");
  });

  it("still refuses an unknown option", () => {
    expect(() => parseCommandArgs(command, ["+998901234567", "-x"])).toThrow(/Unknown option -x/);
  });
});
