/** `--help` texts: the top level (every command, where the CLI works, exit codes) and each command's own. */
import type { Command } from "./command";
import { COMMANDS, type CommandGroup } from "./commands";

export const PROGRAM = "sessions";

const ENVIRONMENT = `Where it works:
  Local stack (the default): DynamoDB Local at http://127.0.0.1:8000, as \`npm run dev\` runs it.
    DYNAMODB_ENDPOINT    another DynamoDB Local URL
    LOCAL_DATA_DIR       local data folder (key, backups); default .data
  Deployed stack: set the table names (and no DYNAMODB_ENDPOINT), with AWS credentials as usual (AWS_PROFILE, …):
    SESSIONS_TABLE       the stack output SessionsTableName
    BOT_STATE_TABLE      the stack output BotStateTableName
    KMS_KEY_ID           the stack output SessionKeyArn (only for what seals or opens a session; list needs none)
    AWS_REGION           the region the stack is deployed in
    CONTEXT_KEY_SECRET_ARN  the stack output ContextKeySecretArn (sealing and opening sessions)
    CDK_OUTPUTS_FILE     the outputs npm run deploy wrote (default: cdk-outputs.json of this checkout), where
                         check --all --deployed, status and doctor find the dispatcher, dead-letter queues,
                         alarms, schedules and webhook URL; STACK_PREFIX names another deployment's stacks;
                         HEALTH_CHECK_DISPATCHER and WEBHOOK_URL override single outputs
  check, add and import talk to Telegram as the account: they need API_ID and API_HASH (my.telegram.org).
  These may also be set in a .env file in the folder you run from (as for \`npm run dev\`); the shell's win.
  NO_COLOR=1 turns colours off; DEBUG=1 prints stack traces of unexpected errors.`;

const EXIT_CODES =
  "Exit codes: 0 done, 1 failed (nothing or only part done, said why), 2 wrong command line, 130 interrupted.";

export function topLevelHelp(): string {
  const width = Math.max(...COMMANDS.map((c) => c.name.length)) + 2;
  const groups: CommandGroup[] = ["Sessions", "Fleet", "Admins", "Emergency and upkeep"];
  const sections = groups.map((group) => {
    const lines = COMMANDS.filter((c) => c.group === group).map(
      (c) => `  ${c.name.padEnd(width)}${c.summary}${c.command ? "" : " (coming)"}`,
    );
    return `${group}:\n${lines.join("\n")}`;
  });
  return [
    `${PROGRAM}: the operator's terminal for Session Keeper (Telegram sessions on AWS).`,
    "",
    `Usage: ${PROGRAM} <command> [arguments] [options]`,
    "",
    ...sections.flatMap((s) => [s, ""]),
    `Run \`${PROGRAM} <command> --help\` for a command's arguments, options and examples.`,
    `\`${PROGRAM} --version\` prints the version; \`${PROGRAM} completion bash|zsh\` a shell completion script.`,
    "",
    "Emergency runbook: stop the app, `sessions backup`, `sessions list --status error`, `sessions remove-errors`,",
    "restart, add the sessions again through the AdminBot.",
    "",
    ENVIRONMENT,
    "",
    EXIT_CODES,
  ].join("\n");
}

export function usageLine(command: Command): string {
  const args = (command.positionals ?? [])
    .map((p) => (p.optional ? ` [<${p.name}>]` : ` <${p.name}>`))
    .join("");
  return `Usage: ${PROGRAM} ${command.name}${args}${command.options && Object.keys(command.options).length ? " [options]" : ""}`;
}

export function commandHelp(command: Command, summary: string): string {
  const lines = [
    usageLine(command),
    "",
    `${summary[0]!.toUpperCase()}${summary.slice(1)}.`,
    "",
    command.description,
  ];
  const positionals = command.positionals ?? [];
  if (positionals.length) {
    const w = Math.max(...positionals.map((p) => p.name.length + 2)) + 2;
    lines.push("", "Arguments:", ...positionals.map((p) => `  ${`<${p.name}>`.padEnd(w)}${p.help}`));
  }
  const options = Object.entries(command.options ?? {}).map(([name, spec]) => {
    const flag = `${spec.short ? `-${spec.short}, ` : ""}--${name}${spec.type === "string" ? ` <${spec.value ?? "value"}>` : ""}`;
    return [flag, spec.help] as const;
  });
  options.push(["-h, --help", "show this help"]);
  const w = Math.max(...options.map(([f]) => f.length)) + 2;
  lines.push("", "Options:", ...options.map(([f, h]) => `  ${f.padEnd(w)}${h}`));
  if (command.examples?.length) lines.push("", "Examples:", ...command.examples.map((e) => `  ${e}`));
  if (command.notes) lines.push("", command.notes);
  lines.push(
    "",
    `Works against the local stack by default; run \`${PROGRAM} --help\` for a deployed stack's variables.`,
  );
  lines.push(EXIT_CODES);
  return lines.join("\n");
}
