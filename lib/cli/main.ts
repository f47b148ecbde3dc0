/**
 * The `sessions` CLI: finds the command in the table, parses its arguments strictly, runs it, and turns any
 * failure into a message and an exit code. `bin/sessions.js` calls `main` with the real process streams; tests
 * run that bin as a real process.
 */
import { parseArgs } from "node:util";
import type { Env } from "../config";
import { redactText } from "../log";
import { EXIT, UsageError, type Command, type ParsedArgs } from "./command";
import { COMMANDS, findCommand } from "./commands";
import { completionScript } from "./completion";
import { createContext, type CliContext, type Terminal } from "./context";
import { describeFailure } from "./errors";
import { commandHelp, PROGRAM, topLevelHelp } from "./help";
import { PromptAbortedError } from "./prompt";

/** The version in package.json, read once (the CLI runs from the checkout, so it is always there). */
// eslint-disable-next-line @typescript-eslint/no-require-imports
const VERSION = (require("../../package.json") as { version: string }).version;

/** The closest command name within two edits, for "did you mean". */
export function suggest(input: string, names: readonly string[]): string | undefined {
  const distance = (a: string, b: string) => {
    const d = Array.from({ length: a.length + 1 }, (_, i) => [i, ...Array<number>(b.length).fill(0)]);
    for (let j = 1; j <= b.length; j++) d[0]![j] = j;
    for (let i = 1; i <= a.length; i++)
      for (let j = 1; j <= b.length; j++)
        d[i]![j] = Math.min(
          d[i - 1]![j]! + 1,
          d[i]![j - 1]! + 1,
          d[i - 1]![j - 1]! + (a[i - 1] === b[j - 1] ? 0 : 1),
        );
    return d[a.length]![b.length]!;
  };
  const best = names.map((n) => ({ n, d: distance(input, n) })).sort((x, y) => x.d - y.d)[0];
  return best && best.d <= 2 ? best.n : undefined;
}

/**
 * A negative number (`-4123…`, e.g. the hash of a login: Telegram's hashes are signed 64-bit numbers) is a value,
 * not an option: node's parseArgs would read it as short options, so it is swapped for a token before parsing and
 * back after.
 */
const NEGATIVE = /^-\d+$/;
const NEGATIVE_TOKEN = "\u0000negative:";
const hideNegative = (arg: string) => (NEGATIVE.test(arg) ? `${NEGATIVE_TOKEN}${arg.slice(1)}` : arg);
const showNegative = (arg: string) =>
  arg.startsWith(NEGATIVE_TOKEN) ? `-${arg.slice(NEGATIVE_TOKEN.length)}` : arg;

/** Exported for the unit tests. */
export function parseCommandArgs(command: Command, argv: string[]): ParsedArgs & { help: boolean } {
  const options = Object.fromEntries(
    Object.entries(command.options ?? {}).map(([name, spec]) => [
      name,
      {
        type: spec.type,
        ...(spec.short ? { short: spec.short } : {}),
        ...(spec.multiple ? { multiple: spec.multiple } : {}),
      },
    ]),
  );
  let parsed;
  try {
    parsed = parseArgs({
      args: argv.map(hideNegative),
      options: { ...options, help: { type: "boolean", short: "h" } },
      allowPositionals: true,
      strict: true,
    });
  } catch (err) {
    const hint = `Run \`${PROGRAM} ${command.name} --help\`.`;
    const code = (err as { code?: string }).code;
    const quoted = /'([^']+)'/.exec((err as Error).message)?.[1];
    if (code === "ERR_PARSE_ARGS_UNKNOWN_OPTION")
      throw new UsageError(`Unknown option ${quoted ?? ""} for \`${PROGRAM} ${command.name}\`.`, hint);
    if (code === "ERR_PARSE_ARGS_INVALID_OPTION_VALUE") {
      const name = quoted?.split(/[ ,]/)[0];
      throw new UsageError(
        name && command.options?.[name.replace(/^-+/, "")]?.type === "boolean"
          ? `Option ${name} takes no value.`
          : `Option ${name ?? ""} needs a value.`,
        hint,
      );
    }
    throw new UsageError((err as Error).message, hint);
  }
  const values = Object.fromEntries(
    Object.entries(parsed.values).map(([k, v]) => [
      k,
      typeof v === "string"
        ? showNegative(v)
        : Array.isArray(v)
          ? v.map((x) => (typeof x === "string" ? showNegative(x) : x))
          : v,
    ]),
  ) as Record<string, string | boolean | undefined>;
  parsed = { ...parsed, positionals: parsed.positionals.map(showNegative) };
  const help = values.help === true;
  delete values.help;
  if (!help) {
    const expected = command.positionals ?? [];
    const hint = `Run \`${PROGRAM} ${command.name} --help\`.`;
    const required = expected.filter((p) => !p.optional).length;
    if (parsed.positionals.length < required)
      throw new UsageError(
        `Missing <${expected[parsed.positionals.length]!.name}>: ${expected[parsed.positionals.length]!.help}.`,
        hint,
      );
    if (parsed.positionals.length > expected.length)
      throw new UsageError(`Unexpected argument "${parsed.positionals[expected.length]}".`, hint);
  }
  return { values, positionals: parsed.positionals, help };
}

async function dispatch(ctx: CliContext, argv: string[]): Promise<number> {
  const [name, ...rest] = argv;
  if (name === undefined) {
    ctx.err(topLevelHelp());
    return EXIT.usage;
  }
  if (name === "--help" || name === "-h" || name === "help") {
    const topic = name === "help" ? rest[0] : undefined;
    if (topic === undefined) {
      ctx.out(topLevelHelp());
      return EXIT.ok;
    }
    return dispatch(ctx, [topic, "--help"]);
  }
  if (name === "--version" || name === "-V" || name === "version") {
    ctx.out(`${PROGRAM} ${VERSION}`);
    return EXIT.ok;
  }
  if (name === "completion") {
    const shell = rest[0];
    if (rest.includes("--help") || rest.includes("-h")) {
      ctx.out(
        `Usage: ${PROGRAM} completion bash|zsh\n\nPrints a completion script for the shell (commands and their options).\n\n` +
          `Examples:\n  ${PROGRAM} completion bash >> ~/.bashrc\n  echo 'source <(${PROGRAM} completion zsh)' >> ~/.zshrc`,
      );
      return EXIT.ok;
    }
    if ((shell !== "bash" && shell !== "zsh") || rest.length > 1)
      throw new UsageError(
        `\`${PROGRAM} completion\` takes bash or zsh${shell ? `, not "${rest.join(" ")}"` : ""}.`,
        `Run \`${PROGRAM} completion bash >> ~/.bashrc\`.`,
      );
    ctx.out(completionScript(shell, COMMANDS));
    return EXIT.ok;
  }
  const entry = findCommand(name);
  if (!entry) {
    const close = suggest(
      name,
      COMMANDS.map((c) => c.name),
    );
    throw new UsageError(
      name.startsWith("-")
        ? `Unknown option ${name}: options go after the command.`
        : `Unknown command "${name}".`,
      `${close ? `Did you mean \`${PROGRAM} ${close}\`? ` : ""}Run \`${PROGRAM} --help\` for the commands.`,
    );
  }
  if (!entry.command) {
    if (rest.includes("--help") || rest.includes("-h")) {
      ctx.out(`${PROGRAM} ${entry.name}: ${entry.summary}.\n\nNot built yet: ${entry.comingWith}`);
      return EXIT.ok;
    }
    ctx.err(`\`${PROGRAM} ${entry.name}\` is not built yet: ${entry.comingWith}`);
    return EXIT.failed;
  }
  const command = entry.command;
  const args = parseCommandArgs(command, rest);
  if (args.help) {
    ctx.out(commandHelp(command, entry.summary));
    return EXIT.ok;
  }
  return command.run(ctx, args);
}

export async function main(argv: string[], term: Terminal, env: Env): Promise<number> {
  const ctx = createContext(term, env);
  try {
    return await dispatch(ctx, argv);
  } catch (err) {
    if (err instanceof PromptAbortedError) {
      ctx.err(err.message);
      return EXIT.interrupted;
    }
    const failure = describeFailure(err, ctx.loadedConfig());
    ctx.err(`${PROGRAM}: ${failure.message}`);
    if (failure.hint) ctx.err(failure.hint);
    if (env.DEBUG && err instanceof Error && err.stack) ctx.err(redactText(err.stack));
    return failure.exitCode;
  } finally {
    ctx.close();
  }
}
