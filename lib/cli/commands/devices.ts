/**
 * `sessions devices <phone>`: every device logged into the account (`account.getAuthorizations`, through the stored
 * session, as the bot's 📱 Devices button reads it), ours flagged; and `sessions devices <phone> end <hash>` /
 * `end --others`, which end one other login or all but ours, after a confirmation, audited like the bot's buttons.
 * Telegram refuses an ending from a key younger than 24 h: the answer says from when it becomes possible.
 */
import { normalizePhone, type Phone } from "../../sessions";
import type { AccountDevices, DeviceAuthorization, EndAuthorizationOutcome } from "../../telegram/contract";
import { CliError, EXIT, UsageError, type Command } from "../command";
import type { CliContext } from "../context";
import { plural, relativeTime } from "../format";
import { confirm } from "../prompt";
import { loadUserbots, userbotFailure } from "../userbots";
import { PHONE_ARG } from "./show";

const HINT = "Run `sessions devices --help`.";

/** As long as the bot's read of the devices: one connection, one or two requests. */
export const DEVICES_DEADLINE_MS = 15_000;

/** "Samsung Galaxy S23 (Android SDK 34)". */
function deviceLabel(a: DeviceAuthorization): string {
  const system = [a.platform, a.systemVersion].filter(Boolean).join(" ");
  return `${a.deviceModel || "unknown device"}${system ? ` (${system})` : ""}`;
}

/** "Telegram Android 11.2.3, official app", "Unofficial Desktop, NOT an official app". */
function appLabel(a: DeviceAuthorization): string {
  const app = [a.appName || "unknown app", a.appVersion].filter(Boolean).join(" ");
  return `${app} (API id ${a.apiId}), ${a.officialApp ? "official app" : "NOT an official app"}`;
}

function deviceLines(ctx: CliContext, devices: AccountDevices, phone: Phone): string[] {
  const { bold, dim, red } = ctx.colors;
  const at = (iso: string) => `${iso} (${relativeTime(iso)})`;
  const lines = [bold(`Devices of ${phone}: ${plural(devices.authorizations.length, "login")}`)];
  for (const a of devices.authorizations) {
    lines.push(
      "",
      `${a.current ? bold("* this session (ours)") : "- another login"}  ${deviceLabel(a)}`,
      `    ${dim("hash")}         ${a.hash}`,
      `    ${dim("app")}          ${a.officialApp ? appLabel(a) : red(appLabel(a))}`,
      `    ${dim("from")}         ${[a.country, a.region].filter(Boolean).join(", ") || "place unknown"}`,
      `    ${dim("logged in")}    ${at(a.createdAt)}`,
      `    ${dim("last active")}  ${at(a.lastActiveAt)}`,
      ...(a.passwordPending
        ? [`    ${red("waiting for the 2FA password (logged in with the code only)")}`]
        : []),
    );
  }
  lines.push("");
  if (devices.ttlDays) lines.push(`Telegram ends a login unused for ${plural(devices.ttlDays, "day")}.`);
  if (devices.endOthersPossibleFrom)
    lines.push(
      `This session's key is younger than 24 h: Telegram lets it end other logins from ${at(devices.endOthersPossibleFrom)}.`,
    );
  if (devices.authorizations.some((a) => !a.current))
    lines.push(
      `To end one: \`sessions devices ${phone} end <hash>\`; every other one: \`sessions devices ${phone} end --others\`.`,
    );
  return lines;
}

function devicesJson(phone: Phone, devices: AccountDevices) {
  return {
    phone,
    authorizations: devices.authorizations.map((a) => ({
      hash: a.hash,
      current: a.current,
      officialApp: a.officialApp,
      passwordPending: a.passwordPending,
      deviceModel: a.deviceModel,
      platform: a.platform,
      systemVersion: a.systemVersion,
      appName: a.appName,
      appVersion: a.appVersion,
      apiId: a.apiId,
      country: a.country,
      region: a.region,
      createdAt: a.createdAt,
      lastActiveAt: a.lastActiveAt,
    })),
    ttlDays: devices.ttlDays ?? null,
    endOthersPossibleFrom: devices.endOthersPossibleFrom ?? null,
  };
}

async function listing(ctx: CliContext, phone: Phone): Promise<AccountDevices> {
  const { userbots } = await loadUserbots(ctx);
  try {
    return await userbots.listDevices(phone, { deadlineMs: DEVICES_DEADLINE_MS, actor: ctx.actor });
  } catch (err) {
    throw userbotFailure(err);
  }
}

async function end(ctx: CliContext, phone: Phone, hash: string | undefined, yes: boolean): Promise<number> {
  // Read first: the question names what will be ended, and a hash that is not there (or is ours) changes nothing.
  ctx.err(`Asking Telegram for the devices of ${phone}…`);
  const devices = await listing(ctx, phone);
  const others = devices.authorizations.filter((a) => !a.current);
  // Telegram would refuse it now: say from when, rather than ask a question whose yes cannot work.
  if (devices.endOthersPossibleFrom && others.length > 0) throw tooFresh(devices.endOthersPossibleFrom);
  let question: string;
  if (hash === undefined) {
    if (others.length === 0) {
      ctx.out(`${phone} has no other login; nothing to end.`);
      return EXIT.ok;
    }
    ctx.err(`Every login of ${phone} but this session will be ended:`);
    for (const a of others) ctx.err(`  ${a.hash}  ${deviceLabel(a)}, ${appLabel(a)}`);
    question = `End ${plural(others.length, "other login")} of ${phone}?`;
  } else {
    const device = devices.authorizations.find((a) => a.hash === hash.trim());
    if (device?.current)
      throw new CliError(
        `${hash} is this session's own login; ending it would lose the session. ` +
          `To log it out, delete it: \`sessions remove ${phone}\`.`,
      );
    if (!device)
      throw new CliError(
        `${phone} has no login with hash ${hash}; nothing was changed. See the hashes: \`sessions devices ${phone}\`.`,
      );
    question = `End the login on ${deviceLabel(device)}, ${appLabel(device)} of ${phone}?`;
  }
  const confirmed = await confirm(question, {
    yes,
    interactive: ctx.interactive,
    input: ctx.term.stdin,
    output: ctx.term.stderr,
    action: hash === undefined ? `end the other logins of ${phone}` : `end a login of ${phone}`,
  });
  if (!confirmed) throw new CliError("Nothing was ended: you did not confirm.");
  const { userbots } = await loadUserbots(ctx);
  const options = { deadlineMs: DEVICES_DEADLINE_MS, actor: ctx.actor };
  let outcome: EndAuthorizationOutcome;
  try {
    outcome =
      hash === undefined
        ? await userbots.endOtherDevices(phone, options)
        : await userbots.endDevice(phone, hash.trim(), options);
  } catch (err) {
    throw userbotFailure(err);
  }
  switch (outcome.outcome) {
    case "ended": {
      const { audit } = await ctx.store();
      await audit.record({
        action: hash === undefined ? "session.devices-ended" : "session.device-ended",
        actor: ctx.actor,
        phone,
        ...(hash !== undefined ? { detail: `authorization ${hash.trim()}` } : {}),
      });
      ctx.out(
        hash === undefined
          ? `Ended: every other login of ${phone} is logged out at Telegram.`
          : `Ended: that login of ${phone} is logged out at Telegram.`,
      );
      return EXIT.ok;
    }
    case "not-found":
      throw new CliError("That login is already gone. Nothing was changed.");
    case "too-fresh":
      throw tooFresh(outcome.possibleFrom);
  }
}

function tooFresh(possibleFrom: string): CliError {
  return new CliError(
    `Not yet: this session's key is younger than 24 h, and Telegram lets it end other logins from ` +
      `${possibleFrom} (${relativeTime(possibleFrom)}). Nothing was changed; run it again after that.`,
  );
}

export const command: Command = {
  name: "devices",
  description: [
    "Lists every device logged into the session's account, as Telegram knows them (account.getAuthorizations,",
    "through the stored session): device, app and version, platform, country/region, when it logged in and was last",
    "active, whether the app is an official one, and which login is this session's own. `end <hash>` ends one",
    "other login (account.resetAuthorization); `end --others` ends every login but ours (auth.resetAuthorizations).",
    "Ending asks first (--yes for scripts) and is recorded in the audit trail. Telegram refuses it while the",
    "session's key is younger than 24 h: the answer says from when it is possible. The session must be active.",
    "Needs API_ID and API_HASH (my.telegram.org).",
  ].join("\n"),
  positionals: [
    PHONE_ARG,
    { name: "action", help: "end, to end a login (by its hash, or --others)", optional: true },
    { name: "hash", help: "the login to end, as listed (or --others)", optional: true },
  ],
  options: {
    json: { type: "boolean", help: "print the list as JSON" },
    others: { type: "boolean", help: "with end: end every login but this session's" },
    yes: { type: "boolean", short: "y", help: "with end: do it without asking (for scripts)" },
  },
  examples: [
    "sessions devices +998901234567",
    "sessions devices +998901234567 --json",
    "sessions devices +998901234567 end 1234567890123456789",
    "sessions devices +998901234567 end --others --yes",
  ],
  notes: [
    "JSON (--json):",
    '  { "phone", "authorizations": [{ "hash", "current", "officialApp", "passwordPending", "deviceModel",',
    '    "platform", "systemVersion", "appName", "appVersion", "apiId", "country", "region", "createdAt",',
    '    "lastActiveAt" }], "ttlDays", "endOthersPossibleFrom" }   (this session\'s login first)',
  ].join("\n"),
  async run(ctx, args) {
    const phone = normalizePhone(args.positionals[0]!);
    const [, action, hash] = args.positionals;
    const others = args.values.others === true;
    if (action === undefined) {
      if (others || args.values.yes) throw new UsageError("--others and --yes go with `end`.", HINT);
      const devices = await listing(ctx, phone);
      if (args.values.json) ctx.out(JSON.stringify(devicesJson(phone, devices), null, 2));
      else for (const line of deviceLines(ctx, devices, phone)) ctx.out(line);
      return EXIT.ok;
    }
    if (action !== "end") throw new UsageError(`Unknown action "${action}": the only one is end.`, HINT);
    if (args.values.json) throw new UsageError("--json goes with the list, not with `end`.", HINT);
    if ((hash === undefined) === !others)
      throw new UsageError(
        "Give either the hash of the login to end or --others (every login but ours).",
        HINT,
      );
    if (hash !== undefined && !/^-?\d{1,20}$/.test(hash.trim()))
      throw new UsageError(
        `"${hash}" is not an authorization hash; copy it from \`sessions devices ${phone}\` (a whole number).`,
        HINT,
      );
    return end(ctx, phone, hash, args.values.yes === true);
  },
};
