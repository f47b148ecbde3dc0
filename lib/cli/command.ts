/**
 * The shape of a `sessions` command. Each command lives in its own file under `lib/cli/commands/` and exports one
 * `Command`; the table in `commands/index.ts` names it and loads it only when it runs, so `sessions list` never
 * pulls in GramJS (which `add`, `import` and `check` will).
 */
import type { ParseArgsConfig } from "node:util";
import type { CliContext } from "./context";

export type OptionSpec = NonNullable<ParseArgsConfig["options"]>[string] & {
  /** One line for `--help`, e.g. "delete without asking". */
  readonly help: string;
  /** Placeholder shown after a string option in `--help`, e.g. "N". */
  readonly value?: string;
};

export interface PositionalSpec {
  readonly name: string;
  readonly help: string;
  /** May be left out (then shown as `[<name>]`); only the last positionals may be optional. */
  readonly optional?: boolean;
}

export interface ParsedArgs {
  readonly values: Record<string, string | boolean | undefined>;
  readonly positionals: string[];
}

export interface Command {
  readonly name: string;
  /** What it does, in a few lines of the operator's words (shown by `sessions <command> --help`). */
  readonly description: string;
  readonly positionals?: readonly PositionalSpec[];
  readonly options?: Readonly<Record<string, OptionSpec>>;
  readonly examples?: readonly string[];
  /** Extra help sections (e.g. the JSON shape of `list --json`). */
  readonly notes?: string;
  /** Returns the exit code (0 when all went well). Throws `UsageError`/`CliError` or a library error otherwise. */
  run(ctx: CliContext, args: ParsedArgs): Promise<number>;
}

/** Exit codes: the conventional three, plus 130 when the operator pressed Ctrl-C. */
export const EXIT = { ok: 0, failed: 1, usage: 2, interrupted: 130 } as const;

/** The command line was wrong: exit 2, with a hint. Nothing was done. */
export class UsageError extends Error {
  constructor(
    message: string,
    /** e.g. "Run `sessions list --help`." */
    readonly hint?: string,
  ) {
    super(message);
    this.name = "UsageError";
  }
}

/** Something went wrong while doing what was asked (a missing session, a refused transition): exit 1. */
export class CliError extends Error {
  constructor(
    message: string,
    readonly exitCode: number = EXIT.failed,
  ) {
    super(message);
    this.name = "CliError";
  }
}
