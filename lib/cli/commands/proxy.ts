/**
 * `sessions proxy <phone> set|clear|test`: the proxy every connection of one session goes through (check, revoke,
 * devices, 2FA). The address is given on the command line; the secret part (a SOCKS5 password, an MTProxy secret) is
 * read from standard input only, never from the command line, where `ps` and the shell history would show it. It is
 * stored encrypted like the session string and masked in every log line.
 */
import { registerSecret } from "../../log";
import {
  InvalidProxyError,
  normalizePhone,
  validateProxy,
  type Phone,
  type ProxySettings,
} from "../../sessions";
import { CliError, EXIT, UsageError, type Command, type ParsedArgs } from "../command";
import type { CliContext } from "../context";
import { readHidden } from "../prompt";
import { loadTelegramLayer, loadUserbots } from "../userbots";
import { PHONE_ARG } from "./show";

const ACTIONS = ["set", "clear", "test"] as const;
type Action = (typeof ACTIONS)[number];

const HINT = "Run `sessions proxy --help`.";

/** "host:port" → its parts; the host is checked by `validateProxy`. */
export function parseAddress(raw: string, option: string, hint = HINT): { host: string; port: number } {
  const match = /^(.+):(\d{1,5})$/.exec(raw.trim());
  if (!match) throw new UsageError(`${option} takes HOST:PORT, e.g. 203.0.113.7:1080 (got "${raw}").`, hint);
  return { host: match[1]!, port: Number(match[2]) };
}

/** One line of secret from standard input: a hidden prompt on a terminal, the first line of a pipe. */
async function readSecret(ctx: CliContext, what: string, example: string): Promise<string> {
  const value = (await readHidden(ctx.term.stdin, ctx.term.stderr, `${what} (not shown): `)).trim();
  if (!value)
    throw new UsageError(
      `No ${what.toLowerCase()} on standard input; nothing was changed.`,
      `Pipe it in: ${example}`,
    );
  registerSecret(value);
  return value;
}

/** The options that name a proxy: `sessions proxy set` and `sessions add` take the same. */
export const PROXY_OPTIONS = {
  socks5: { type: "string", value: "HOST:PORT", help: "a SOCKS5 proxy" },
  mtproxy: {
    type: "string",
    value: "HOST:PORT",
    help: "an MTProxy (its secret, 32 hex characters or dd + 32, from standard input)",
  },
  username: {
    type: "string",
    value: "NAME",
    help: "with --socks5: the proxy's user name (its password from standard input)",
  },
} as const;

/** True when any of `PROXY_OPTIONS` was given. */
export function hasProxyArgs(args: ParsedArgs): boolean {
  return Object.keys(PROXY_OPTIONS).some((o) => args.values[o] !== undefined);
}

/**
 * The proxy `PROXY_OPTIONS` name, its secret part asked for with `ask` (the password of a SOCKS5 proxy with a user
 * name, an MTProxy's secret); undefined when none is named. Checked (`validateProxy`): bad input is a usage error.
 */
export async function proxyFromArgs(
  args: ParsedArgs,
  ask: (what: "Proxy password" | "MTProxy secret") => Promise<string>,
  hint: string,
): Promise<ProxySettings | undefined> {
  const socks = args.values.socks5;
  const mtproxy = args.values.mtproxy;
  const username = args.values.username;
  if (socks !== undefined && mtproxy !== undefined)
    throw new UsageError("Give either --socks5 HOST:PORT or --mtproxy HOST:PORT, not both.", hint);
  if (typeof mtproxy === "string" && username !== undefined)
    throw new UsageError("--username goes with --socks5, not --mtproxy.", hint);
  if (typeof mtproxy !== "string" && typeof socks !== "string") {
    if (username !== undefined) throw new UsageError("--username goes with --socks5.", hint);
    return undefined;
  }
  let proxy: ProxySettings;
  if (typeof mtproxy === "string") {
    const address = parseAddress(mtproxy, "--mtproxy", hint);
    proxy = { kind: "mtproxy", ...address, secret: await ask("MTProxy secret") };
  } else {
    const address = parseAddress(socks as string, "--socks5", hint);
    proxy =
      typeof username === "string"
        ? { kind: "socks5", ...address, username, password: await ask("Proxy password") }
        : { kind: "socks5", ...address };
  }
  try {
    return validateProxy(proxy);
  } catch (err) {
    if (err instanceof InvalidProxyError) throw new UsageError(err.message, hint);
    throw err;
  }
}

async function setProxyFromArgs(ctx: CliContext, phone: Phone, args: ParsedArgs): Promise<ProxySettings> {
  const proxy = await proxyFromArgs(
    args,
    (what) =>
      readSecret(
        ctx,
        what,
        what === "MTProxy secret"
          ? `\`sessions proxy ${phone} set --mtproxy ${String(args.values.mtproxy)} < secret.txt\`.`
          : `\`sessions proxy ${phone} set --socks5 ${String(args.values.socks5)} --username ${String(args.values.username)} < password.txt\`.`,
      ),
    HINT,
  );
  if (!proxy) throw new UsageError("Give either --socks5 HOST:PORT or --mtproxy HOST:PORT.", HINT);
  return proxy;
}

function describe(proxy: { kind: string; host: string; port: number }): string {
  return `${proxy.kind === "socks5" ? "SOCKS5" : "MTProxy"} ${proxy.host}:${proxy.port}`;
}

async function set(ctx: CliContext, phone: Phone, args: ParsedArgs): Promise<number> {
  const proxy = await setProxyFromArgs(ctx, phone, args);
  const { sessions, audit } = await ctx.store();
  const updated = await sessions.setProxy(phone, proxy);
  const view = describe(updated.proxy!);
  await audit.record({ action: "session.proxy-set", actor: ctx.actor, phone, detail: view });
  ctx.out(
    `Proxy set for ${phone}: ${view}${"username" in proxy && proxy.username ? ", with a user name and password" : ""}` +
      `${proxy.kind === "mtproxy" ? ", with its secret" : ""} (stored encrypted). Every connection of this session goes through it.`,
  );
  ctx.out(`Try it: \`sessions proxy ${phone} test\`.`);
  return EXIT.ok;
}

async function clear(ctx: CliContext, phone: Phone): Promise<number> {
  const { sessions, audit } = await ctx.store();
  const before = await sessions.require(phone);
  if (!before.proxy) {
    ctx.out(`${phone} has no proxy; nothing to clear.`);
    return EXIT.ok;
  }
  await sessions.clearProxy(phone);
  await audit.record({
    action: "session.proxy-cleared",
    actor: ctx.actor,
    phone,
    detail: describe(before.proxy),
  });
  ctx.out(`Proxy cleared for ${phone}: its connections go straight to Telegram again.`);
  return EXIT.ok;
}

async function test(ctx: CliContext, phone: Phone, json: boolean): Promise<number> {
  const { sessions } = await ctx.store();
  const row = await sessions.require(phone);
  if (!row.proxy)
    throw new CliError(
      `${phone} has no proxy; set one first (\`sessions proxy ${phone} set --socks5 HOST:PORT\`).`,
    );
  const services = await loadUserbots(ctx);
  if (!json) ctx.err(`Reaching Telegram through ${describe(row.proxy)}…`);
  const outcome = await services.testProxy(phone);
  if (json) {
    ctx.out(
      JSON.stringify(
        {
          phone,
          proxy: { kind: row.proxy.kind, host: row.proxy.host, port: row.proxy.port },
          reachable: outcome.reachable,
          connectMs: outcome.reachable ? outcome.connectMs : null,
          roundTripMs: outcome.reachable ? outcome.roundTripMs : null,
          dcId: outcome.reachable ? (outcome.dcId ?? null) : null,
          elapsedMs: outcome.reachable ? outcome.connectMs + outcome.roundTripMs : outcome.elapsedMs,
          error: outcome.reachable ? null : { code: outcome.failure.code, message: outcome.failure.message },
        },
        null,
        2,
      ),
    );
  } else if (outcome.reachable) {
    ctx.out(
      `${ctx.colors.green("OK")}  Telegram is reachable through ${describe(row.proxy)}: connected in ` +
        `${outcome.connectMs} ms, a request answered in ${outcome.roundTripMs} ms` +
        `${outcome.dcId ? ` (DC ${outcome.dcId})` : ""}.`,
    );
  } else {
    ctx.out(
      `${ctx.colors.red("UNREACHABLE")}  Telegram could not be reached through ${describe(row.proxy)} ` +
        `(${outcome.failure.code}, after ${outcome.elapsedMs} ms). Checks of ${phone} will fail (transient, never a ` +
        `death) until it works: fix the proxy, set another, or \`sessions proxy ${phone} clear\`.`,
    );
  }
  return outcome.reachable ? EXIT.ok : EXIT.failed;
}

export const command: Command = {
  name: "proxy",
  description: [
    "Sets, clears or tests the proxy of one session. Every connection of the session (check, logout, devices, 2FA)",
    "goes through it. SOCKS5 (optionally with a user name and password) or MTProxy (with its secret). The secret",
    "part (the password, the MTProxy secret) is read from standard input: pipe it in or type it at the hidden prompt;",
    "it is stored encrypted like the session and never printed or logged.",
    "A proxy that refuses or is down makes a check fail as transient (retried), never marks the session dead.",
    "`test` opens a connection of its own through the proxy (never the session's key) and says whether Telegram",
    "answered and how fast; exit 0 only when it did. Needs API_ID and API_HASH (my.telegram.org).",
  ].join("\n"),
  positionals: [PHONE_ARG, { name: "action", help: "set, clear or test" }],
  options: {
    socks5: { ...PROXY_OPTIONS.socks5, help: `with set: ${PROXY_OPTIONS.socks5.help}` },
    mtproxy: { ...PROXY_OPTIONS.mtproxy, help: `with set: ${PROXY_OPTIONS.mtproxy.help}` },
    username: PROXY_OPTIONS.username,
    json: { type: "boolean", help: "with test: print JSON" },
  },
  examples: [
    "sessions proxy +998901234567 set --socks5 203.0.113.7:1080",
    "sessions proxy +998901234567 set --socks5 203.0.113.7:1080 --username fleet < password.txt",
    "sessions proxy +998901234567 set --mtproxy 203.0.113.8:443 < secret.txt",
    "sessions proxy +998901234567 test --json",
    "sessions proxy +998901234567 clear",
  ],
  async run(ctx, args) {
    const phone = normalizePhone(args.positionals[0]!);
    const action = args.positionals[1] as Action;
    if (!ACTIONS.includes(action))
      throw new UsageError(`Unknown action "${action}": use set, clear or test.`, HINT);
    const setOnly = ["socks5", "mtproxy", "username"].filter((o) => args.values[o] !== undefined);
    if (action !== "set" && setOnly.length > 0)
      throw new UsageError(`--${setOnly[0]} goes with \`set\`.`, HINT);
    if (action !== "test" && args.values.json) throw new UsageError("--json goes with `test`.", HINT);
    if (action === "set") return set(ctx, phone, args);
    if (action === "clear") return clear(ctx, phone);
    try {
      return await test(ctx, phone, args.values.json === true);
    } catch (err) {
      if (err instanceof loadTelegramLayer().NoProxyError) throw new CliError(err.message);
      throw err;
    }
  },
};
