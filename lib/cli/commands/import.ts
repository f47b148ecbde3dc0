/**
 * `sessions import <phone>`: stores a session string made elsewhere (GramJS, Telethon, Pyrogram) after proving it
 * with getMe and checking it is that phone's account. The string comes from standard input only, never from the
 * command line, where `ps` and the shell history would show it: piped (`sessions import +998… < file`), or pasted
 * at a hidden prompt on a terminal.
 */
import { registerSecret } from "../../log";
import { normalizePhone } from "../../sessions";
import { CliError, EXIT, UsageError, type Command } from "../command";
import type { CliContext } from "../context";
import { accountLabel } from "../format";
import { LOGIN_JSON_SHAPE, previousKeyLine, printLoginJson } from "../login";
import { readHidden } from "../prompt";
import { loadTelegramLayer, loadUserbots } from "../userbots";
import { PHONE_ARG } from "./show";

/** A session string is a few hundred characters; anything far longer is not one. */
const MAX_INPUT = 64 * 1024;

async function readAll(ctx: CliContext): Promise<string> {
  const input = ctx.term.stdin;
  if (input.isTTY)
    return readHidden(input, ctx.term.stderr, "Paste the session string, then Enter (not shown): ");
  let text = "";
  for await (const chunk of input) {
    text += chunk.toString();
    if (text.length > MAX_INPUT)
      throw new UsageError("Standard input is far longer than a session string; nothing was stored.");
  }
  return text;
}

function parseApiId(raw: string | boolean | undefined): number | undefined {
  if (raw === undefined || typeof raw === "boolean") return undefined;
  const n = /^\d{1,10}$/.test(raw.trim()) ? Number(raw.trim()) : NaN;
  if (!(n >= 1 && n <= 2_147_483_647))
    throw new UsageError(
      `--api-id must be a positive whole number (got "${raw}"); nothing was stored.`,
      "Run `sessions import --help`.",
    );
  return n;
}

export const command: Command = {
  name: "import",
  description: [
    "Stores an existing session string (GramJS or Telethon string session, or a Pyrogram session string) for the",
    "phone, read from standard input: pipe it in, or paste it at the hidden prompt. Never pass it as an argument",
    "(`ps` and the shell history would show it). The string is proven first (getMe through it under a time limit)",
    "and must be that phone's account; only then is it stored, encrypted, replacing the phone's old session if any.",
    "Needs API_ID and API_HASH (my.telegram.org).",
  ].join("\n"),
  positionals: [PHONE_ARG],
  options: {
    "api-id": {
      type: "string",
      value: "N",
      help: "the API id the string was made under, for GramJS and Telethon strings (a Pyrogram string carries its own); default: the deployment's API_ID",
    },
    json: {
      type: "boolean",
      help: "print the result as one JSON object for scripts (shape below; the rest on stderr)",
    },
  },
  notes: [
    "JSON shape (--json):",
    ...LOGIN_JSON_SHAPE,
    '  Failures: "not-a-session-string", "wrong-account", "import-failed".',
  ].join("\n"),
  examples: [
    "sessions import +998901234567 < session.txt",
    "sessions import +998901234567 --api-id 2040 < telethon-session.txt",
    "sessions import +998901234567",
    "sessions import +998901234567 --json < session.txt | jq .session.account.userId",
  ],
  async run(ctx, args) {
    const phone = normalizePhone(args.positionals[0]!);
    const json = args.values.json === true;
    const apiId = parseApiId(args.values["api-id"]);
    const raw = await readAll(ctx);
    const sessionString = raw.trim();
    if (!sessionString)
      throw new UsageError(
        "No session string on standard input; nothing was stored.",
        `Pipe it in: \`sessions import ${phone} < session.txt\`.`,
      );
    registerSecret(sessionString);
    const services = await loadUserbots(ctx);
    const telegram = loadTelegramLayer();
    ctx.err(`Checking the session string with Telegram…`);
    try {
      const { session, previousKey, replaced } = await services.userbots.importSession(
        phone,
        sessionString,
        ctx.actor,
        apiId !== undefined ? { apiId } : {},
      );
      if (json) {
        printLoginJson(ctx, {
          outcome: "imported",
          phone,
          session,
          replaced,
          ...(previousKey ? { previousKey } : {}),
        });
        return EXIT.ok;
      }
      ctx.out(
        `${ctx.colors.green("Imported")}: ${phone} as ${accountLabel(session.account)}` +
          `${session.account ? ` (id ${session.account.userId})` : ""}; stored encrypted, status ${session.status}.`,
      );
      if (apiId !== undefined) ctx.out(`It presents API id ${session.apiId} on every connection.`);
      if (previousKey) ctx.out(previousKeyLine(previousKey));
      return EXIT.ok;
    } catch (err) {
      if (err instanceof telegram.InvalidImportError) throw new UsageError(err.message);
      const failure =
        err instanceof telegram.InvalidSessionStringError
          ? { outcome: "not-a-session-string", message: `${err.message} Nothing was stored.` }
          : err instanceof telegram.WrongAccountError
            ? { outcome: "wrong-account", message: err.message }
            : err instanceof telegram.SessionImportFailedError
              ? { outcome: "import-failed", message: err.message }
              : undefined;
      if (!failure) throw err;
      if (json) printLoginJson(ctx, { ...failure, phone });
      throw new CliError(failure.message);
    }
  },
};
