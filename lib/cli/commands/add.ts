/**
 * `sessions add [<phone>]`: the seed's addSession.js, a login in the terminal on the same stateless steps as the
 * AdminBot's ➕ Add Session (start → code → 2FA password), so a login begun here is the same flow the bot sees.
 * Every outcome has its own line; a wrong code or password is asked again while attempts are left. Ctrl-C (or the
 * end of input) cancels the login at Telegram's side too (`login.cancel`), and nothing is stored until it succeeds.
 *
 * The code and the password are secrets: never echoed by us (the password not even by the terminal), registered
 * with the log redactor the moment they are read, and never part of a message.
 */
import { normalizePhone, type Phone, type ProxySettings } from "../../sessions";
import type { CodeDelivery, LoginFlowView, LoginOutcome, LoginService } from "../../telegram/contract";
import { EXIT, UsageError, type Command, type ParsedArgs } from "../command";
import type { CliContext } from "../context";
import { plural } from "../format";
import { LOGIN_JSON_SHAPE, loggedInLine, printLoginJson, readSecret, sharedFailure } from "../login";
import { createPrompter, PromptAbortedError, type Prompter } from "../prompt";
import { loadUserbots } from "../userbots";
import { addByQr } from "./add-qr";
import { hasProxyArgs, PROXY_OPTIONS, proxyFromArgs } from "./proxy";
import { PHONE_ARG } from "./show";

const WHERE: Record<CodeDelivery, string> = {
  app: "in the Telegram app, on a device already logged in to this account",
  sms: "by SMS",
  call: "by a phone call",
  "flash-call": "by a flash call (the code is the last digits of the calling number)",
  email: "by email",
  other: "",
};

const HINT = "Run `sessions add --help`.";

function proxyLabel(proxy: ProxySettings): string {
  return `${proxy.kind === "socks5" ? "SOCKS5" : "MTProxy"} ${proxy.host}:${proxy.port}`;
}

function codeQuestion(flow: LoginFlowView): string {
  return `Login code${flow.codeLength ? ` (${flow.codeLength} digits)` : ""}: `;
}

function attemptsLeft(flow: LoginFlowView): string {
  return `${plural(flow.attemptsLeft, "attempt")} left`;
}

/** The final line for an outcome that ends the login, and its exit code. */
function finalLine(
  outcome: LoginOutcome,
  phone: Phone,
  ctx: CliContext,
): { line: string; code: number; message?: string } {
  const { red } = ctx.colors;
  const again = `Start again with \`sessions add ${phone}\`.`;
  const fail = (line: string) => ({
    line: `${red("Not logged in")}: ${line}`,
    code: EXIT.failed,
    message: `Not logged in: ${line}`,
  });
  switch (outcome.kind) {
    case "logged-in":
      return {
        line: loggedInLine(outcome.session, outcome.replaced, ctx, outcome.previousKey),
        code: EXIT.ok,
      };
    case "wrong-code":
      return fail(`wrong code, and no attempts are left. ${again}`);
    case "wrong-password":
      return fail(`wrong 2FA password, and no attempts are left. ${again}`);
    case "code-expired":
      return fail(
        `the code expired, or Telegram blocked it because it was shared in a chat (type it only here). ${again}`,
      );
    case "no-flow":
      return fail(`the login is gone (it expired, or was cancelled or finished elsewhere). ${again}`);
    case "too-many-attempts":
      return fail(`too many wrong tries; the login was ended. ${again}`);
    case "flow-held":
      return fail(
        `a login of ${phone} started by ${outcome.flow.startedBy} is in progress until ${outcome.flow.expiresAt}; ` +
          "it is theirs. Wait for it to end (or ask them to cancel it), then start again. An owner may take it " +
          "over in the AdminBot.",
      );
    case "invalid-phone":
      return fail(
        `Telegram says ${phone} is not a valid phone number. Check the number and its country code.`,
      );
    case "phone-banned":
      return fail(`Telegram has banned ${phone}; it cannot log in. Appeal through Telegram's support.`);
    case "no-account":
      return fail(
        `${phone} has no Telegram account. Sign it up in the Telegram app first, then run this again.`,
      );
    case "flood-wait":
    case "api-credentials-invalid":
    case "unavailable":
      return fail(sharedFailure(outcome)!);
    case "code-sent":
    case "password-needed":
      return fail("the login stopped half-way.");
  }
}

async function converse(
  ctx: CliContext,
  login: LoginService,
  phone: Phone,
  prompter: Prompter,
  step: <T>(work: Promise<T>) => Promise<T>,
  proxy: ProxySettings | undefined,
  json: boolean,
): Promise<number> {
  let outcome = await step(login.startLogin(phone, ctx.actor, proxy ? { proxy } : {}));
  for (;;) {
    switch (outcome.kind) {
      case "code-sent": {
        const where = WHERE[outcome.flow.codeDelivery ?? "other"];
        ctx.err(`Telegram sent a login code${where ? ` ${where}` : ""}.`);
        ctx.err("Type it here only: Telegram blocks a code that was shared in any chat.");
        outcome = await step(
          login.submitCode(phone, await readSecret(prompter.line(codeQuestion(outcome.flow))), ctx.actor),
        );
        continue;
      }
      case "wrong-code":
        if (outcome.flow.attemptsLeft <= 0) break;
        ctx.err(`Wrong code (${attemptsLeft(outcome.flow)}).`);
        outcome = await step(
          login.submitCode(phone, await readSecret(prompter.line(codeQuestion(outcome.flow))), ctx.actor),
        );
        continue;
      case "password-needed":
        ctx.err(
          `This account has a two-step verification password${outcome.flow.passwordHint ? ` (hint: ${outcome.flow.passwordHint})` : ""}.`,
        );
        outcome = await step(
          login.submitPassword(
            phone,
            await readSecret(prompter.hidden("2FA password (not shown): ")),
            ctx.actor,
          ),
        );
        continue;
      case "wrong-password":
        if (outcome.flow.attemptsLeft <= 0) break;
        ctx.err(
          `Wrong password (${attemptsLeft(outcome.flow)})${outcome.flow.passwordHint ? `; the hint is: ${outcome.flow.passwordHint}` : ""}.`,
        );
        outcome = await step(
          login.submitPassword(
            phone,
            await readSecret(prompter.hidden("2FA password (not shown): ")),
            ctx.actor,
          ),
        );
        continue;
    }
    const { line, code, message } = finalLine(outcome, phone, ctx);
    if (json) {
      printLoginJson(ctx, {
        outcome: outcome.kind,
        phone,
        ...(outcome.kind === "logged-in"
          ? {
              session: outcome.session,
              replaced: outcome.replaced,
              ...(outcome.previousKey ? { previousKey: outcome.previousKey } : {}),
            }
          : {}),
        ...(message !== undefined ? { message } : {}),
      });
      if (code !== EXIT.ok) ctx.err(line);
      return code;
    }
    (code === EXIT.ok ? ctx.out : ctx.err)(line);
    return code;
  }
}

/** `sessions add --qr`: checked before anything is touched, then the conversation of add-qr.ts. */
async function runQr(ctx: CliContext, args: ParsedArgs): Promise<number> {
  if (hasProxyArgs(args))
    throw new UsageError(
      "A QR login cannot go through a proxy yet: its connections would go straight to Telegram.",
      "Log in with a code through the proxy: `sessions add <phone> --socks5 HOST:PORT` (or --mtproxy).",
    );
  if (args.positionals.length > 0)
    throw new UsageError(
      "Give either a phone or --qr, not both: a QR login finds out the phone from the account that scans it.",
      "Run `sessions add --qr` alone, or `sessions add <phone>` to log in with a code.",
    );
  if (!ctx.interactive)
    throw new UsageError(
      "`sessions add --qr` needs a terminal: the QR code must be seen to be scanned, and none is attached here.",
      "Run it in a terminal, or log in with a code: `sessions add <phone>` (its answers may come from a pipe).",
    );
  const services = await loadUserbots(ctx);
  return addByQr(ctx, services.qr, { json: args.values.json === true });
}

export const command: Command = {
  name: "add",
  description: [
    "Logs a phone in to Telegram in the terminal, on the same login steps as the AdminBot's ➕ Add Session:",
    "Telegram sends a code (type it here, never into a chat), then the account's 2FA password is asked for with",
    "hidden input. A wrong code or password is asked again while attempts are left. Nothing is stored until the",
    "login succeeds; a phone that already has a session gets the new one. Ctrl-C cancels the login.",
    "Needs API_ID and API_HASH (my.telegram.org). Answers may also come from a pipe, one per line.",
    "",
    "With --qr there is no phone number and no code: a QR code is drawn in the terminal, and the account's owner",
    "scans it on the phone (Telegram → Settings → Devices → Link Desktop Device). The CLI waits for the scan by",
    "itself and draws a new code when the old one expires unscanned; then the 2FA password, as above. The login",
    "ends after 10 minutes without a scan. --qr needs a terminal: the code must be seen.",
    "",
    "With --socks5 or --mtproxy every connection of the login goes through that proxy, and the session is stored",
    "with it (credentials encrypted), so its checks and its logout go through it too. Its secret part (the SOCKS5",
    "password with --username, the MTProxy secret) is asked for first, hidden, or read as the first line of a pipe.",
    "Without them, a phone whose session already has a proxy logs in again through that one.",
  ].join("\n"),
  positionals: [{ ...PHONE_ARG, optional: true }],
  options: {
    qr: {
      type: "boolean",
      help: "log in by scanning a QR code with the account's phone (no phone number, no code)",
    },
    socks5: { ...PROXY_OPTIONS.socks5, help: "log in through a SOCKS5 proxy, kept for the session" },
    mtproxy: {
      ...PROXY_OPTIONS.mtproxy,
      help: "log in through an MTProxy, kept for the session (its secret asked for first)",
    },
    username: PROXY_OPTIONS.username,
    json: {
      type: "boolean",
      help: "print the result as one JSON object for scripts (shape below; questions and the rest on stderr)",
    },
  },
  notes: ["JSON shape (--json):", ...LOGIN_JSON_SHAPE].join("\n"),
  examples: [
    "sessions add",
    "sessions add +998901234567",
    "sessions add +998901234567 --socks5 203.0.113.7:1080 --username fleet",
    "sessions add --qr",
    "sessions add +998901234567 --json | jq .session.account",
  ],
  async run(ctx, args) {
    if (args.values.qr === true) return runQr(ctx, args);
    const prompter = createPrompter(ctx.term.stdin, ctx.term.stderr);
    let phone: Phone | undefined;
    let login: LoginService | undefined;
    let inFlight: Promise<unknown> = Promise.resolve();
    let interrupted = false;
    // Ctrl-C: let the Telegram step in flight finish, cancel the login, exit 130. A second Ctrl-C exits at once.
    const onInterrupt = () => {
      if (interrupted) process.exit(EXIT.interrupted);
      interrupted = true;
      void inFlight
        .catch(() => undefined)
        .then(() => (phone && login ? login.cancel(phone, ctx.actor) : undefined))
        .catch(() => undefined)
        .finally(() => {
          ctx.err(`\nCancelled: ${phone ? `the login of ${phone} was stopped; ` : ""}nothing was stored.`);
          process.exit(EXIT.interrupted);
        });
    };
    process.on("SIGINT", onInterrupt);
    process.on("SIGTERM", onInterrupt);
    try {
      // A malformed phone, then missing API credentials, stop before anything is asked or sent.
      const given = args.positionals[0] === undefined ? undefined : normalizePhone(args.positionals[0]);
      const services = await loadUserbots(ctx);
      phone =
        given ?? normalizePhone(await prompter.line("Phone number with country code (e.g. +998901234567): "));
      // The proxy's secret first (hidden), before Telegram is asked for a code that would then wait on it.
      const proxy = await proxyFromArgs(
        args,
        async (what) => {
          const value = (await readSecret(prompter.hidden(`${what} (not shown): `))).trim();
          if (!value)
            throw new UsageError(`No ${what.toLowerCase()} given; nothing was sent or stored.`, HINT);
          return value;
        },
        HINT,
      );
      if (proxy) ctx.err(`Logging in through ${proxyLabel(proxy)}; the session keeps it.`);
      login = services.login;
      const existing = await (await ctx.store()).sessions.get(phone);
      if (existing && existing.status !== "deleted")
        ctx.err(
          `${phone} already has a session (status ${existing.status}); it is replaced only if this login succeeds.`,
        );
      const step = <T>(work: Promise<T>): Promise<T> => {
        inFlight = work;
        return work;
      };
      return await converse(ctx, login, phone, prompter, step, proxy, args.values.json === true);
    } catch (err) {
      if (err instanceof PromptAbortedError && phone && login) {
        await login.cancel(phone, ctx.actor).catch(() => undefined);
        ctx.err(`Cancelled: the login of ${phone} was stopped; nothing was stored.`);
        return EXIT.interrupted;
      }
      throw err;
    } finally {
      process.removeListener("SIGINT", onInterrupt);
      process.removeListener("SIGTERM", onInterrupt);
      prompter.close();
    }
  },
};
