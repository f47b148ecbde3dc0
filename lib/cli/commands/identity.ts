/**
 * `sessions identity <phone> [--device-model …] …`: shows, or changes, the device a session presents to Telegram
 * on every connection (`initConnection`). Fixed at login or import; only this command changes it, and the audit
 * trail records who did and what changed.
 */
import { loadDefaultDeviceIdentity } from "../../config";
import {
  DEVICE_IDENTITY_FIELDS,
  InvalidIdentityError,
  normalizePhone,
  validateDeviceIdentity,
  type DeviceIdentity,
} from "../../sessions";
import { UsageError, type Command } from "../command";
import { identityLabel } from "../format";
import { PHONE_ARG } from "./show";

/** Option name → identity field. */
const OPTIONS = {
  "device-model": "deviceModel",
  "system-version": "systemVersion",
  "app-version": "appVersion",
  "lang-code": "langCode",
  "system-lang-code": "systemLangCode",
} as const satisfies Record<string, (typeof DEVICE_IDENTITY_FIELDS)[number]>;

export const command: Command = {
  name: "identity",
  description: [
    "Shows the device a session presents to Telegram on every connection (device model, system version, app",
    "version, language codes) and the API id it logs in under; with options, changes the device fields given",
    "(the rest stay). A session whose identity changes looks to Telegram like a new device: change it only on",
    "purpose. The change is recorded in the audit trail. The API id cannot be changed here: it is the key's",
    "(import the string again with --api-id if it was wrong).",
  ].join("\n"),
  positionals: [PHONE_ARG],
  options: {
    "device-model": { type: "string", value: "TEXT", help: "e.g. 'Samsung SM-G991B' (1-64 printable ASCII)" },
    "system-version": { type: "string", value: "TEXT", help: "e.g. 'Android 13'" },
    "app-version": { type: "string", value: "TEXT", help: "e.g. '10.14.5'" },
    "lang-code": { type: "string", value: "XX", help: "two lowercase letters, e.g. en" },
    "system-lang-code": { type: "string", value: "XX", help: "two lowercase letters, e.g. en" },
  },
  examples: [
    "sessions identity +998901234567",
    "sessions identity +998901234567 --device-model 'Fleet phone 7' --lang-code uz",
  ],
  async run(ctx, args) {
    const phone = normalizePhone(args.positionals[0]!);
    const { sessions, audit } = await ctx.store();
    const current = await sessions.require(phone);
    const changes: Partial<Record<keyof DeviceIdentity, string>> = {};
    for (const [option, field] of Object.entries(OPTIONS)) {
      const value = args.values[option];
      if (typeof value === "string") changes[field] = value;
    }
    if (Object.keys(changes).length === 0) {
      ctx.out(`${phone} presents itself as: ${identityLabel(current)}`);
      ctx.out(`API id: ${current.apiId ?? "the deployment's (API_ID)"}`);
      return 0;
    }
    // A row older than identities presented the default so far: the change starts from that.
    const before: DeviceIdentity = current.identity ?? loadDefaultDeviceIdentity(ctx.env);
    let after: DeviceIdentity;
    try {
      after = validateDeviceIdentity({ ...before, ...changes });
    } catch (err) {
      if (err instanceof InvalidIdentityError)
        throw new UsageError(err.message, "Run `sessions identity --help`.");
      throw err;
    }
    const detail = DEVICE_IDENTITY_FIELDS.filter((f) => before[f] !== after[f])
      .map((f) => `${f}: ${before[f]} → ${after[f]}`)
      .join("; ");
    if (!detail && current.identity) {
      ctx.out(`${phone} already presents itself as: ${identityLabel(current)}. Nothing changed.`);
      return 0;
    }
    const updated = await sessions.setIdentity(phone, after);
    await audit.record({
      action: "session.identity-changed",
      actor: ctx.actor,
      phone,
      detail: detail || "fixed at the default",
    });
    ctx.out(`Identity of ${phone} changed (${detail || "fixed at the default"}).`);
    ctx.out(`From its next connection on it presents itself as: ${identityLabel(updated)}`);
    return 0;
  },
};
