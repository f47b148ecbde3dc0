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
import { previousKeyLine } from "../login";
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
  },
  examples: [
    "sessions import +998901234567 < session.txt",
    "sessions import +998901234567 --api-id 2040 < telethon-session.txt",
    "sessions import +998901234567",
  ],
  async run(ctx, args) {
    const phone = normalizePhone(args.positionals[0]!);
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
      const { session, previousKey } = await services.userbots.importSession(
        phone,
        sessionString,
        ctx.actor,
        apiId !== undefined ? { apiId } : {},
      );
      ctx.out(
        `${ctx.colors.green("Imported")}: ${phone} as ${accountLabel(session.account)}` +
          `${session.account ? ` (id ${session.account.userId})` : ""}; stored encrypted, status ${session.status}.`,
      );
      if (apiId !== undefined) ctx.out(`It presents API id ${session.apiId} on every connection.`);
      if (previousKey) ctx.out(previousKeyLine(previousKey));
      return EXIT.ok;
    } catch (err) {
      if (err instanceof telegram.InvalidImportError) throw new UsageError(err.message);
      if (err instanceof telegram.InvalidSessionStringError)
        throw new CliError(`${err.message} Nothing was stored.`);
      if (err instanceof telegram.WrongAccountError || err instanceof telegram.SessionImportFailedError)
        throw new CliError(err.message);
      throw err;
    }
  },
};
