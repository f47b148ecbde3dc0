/**
 * `sessions add --qr`: a login by QR code in the terminal, on the same stateless steps as the AdminBot's QR login
 * (`QrLoginService`), owned by "cli:<os user>". The QR code is drawn on stderr; the account's owner scans it on the
 * phone (Telegram → Settings → Devices → Link Desktop Device). The CLI polls by itself, a few seconds at a time,
 * draws the new code when Telegram renews an expired one, asks the 2FA password with hidden input when the account
 * has one, and prints the session as `sessions add <phone>` does. Ctrl-C cancels the flow (exit 130); the flow's
 * own expiry (10 minutes) ends it with exit 1.
 *
 * The token URL is a secret as good as a login: it is only ever drawn as the QR code, never printed as text or
 * logged (it is registered with the log redactor while it is held).
 */
import type * as QrCode from "qrcode";
import { registerSecret } from "../../log";
import type { QrLoginOutcome, QrLoginService, QrLoginView } from "../../telegram/contract";
import { EXIT } from "../command";
import type { CliContext } from "../context";
import { plural } from "../format";
import { loggedInLine, printLoginJson, readSecret, sharedFailure } from "../login";
import { formatDuration } from "../progress";
import { PromptAbortedError, readHidden } from "../prompt";

/** How long one poll waits for the scan before the CLI asks again (Telegram's tokens live about 30 s). */
export const QR_POLL_WAIT_MS = 3_000;
/** Polls in a row that may find Telegram unreachable before the login is given up. */
const UNAVAILABLE_RETRIES = 3;

export const SCAN_STEPS =
  "On the phone with the account: Telegram → Settings → Devices → Link Desktop Device, and scan this code.";
const AGAIN = "Start again with `sessions add --qr`.";
const PASSWORD_QUESTION = "2FA password (not shown): ";

/** The QR code of a login URL, drawn with half blocks for a terminal. qrcode is loaded only when it is drawn. */
async function drawQr(url: string): Promise<string> {
  // eslint-disable-next-line @typescript-eslint/no-require-imports
  const qrcode = require("qrcode") as typeof QrCode;
  return qrcode.toString(url, { type: "terminal", small: true });
}

const clock = (iso: string) => `${iso.slice(11, 16)} UTC`;

/**
 * One status line on stderr, redrawn in place every second while a poll waits for the scan: when the code renews
 * and when the whole login ends.
 */
function createCountdown(ctx: CliContext, now: () => number) {
  let timer: NodeJS.Timeout | undefined;
  let text: (() => string) | undefined;
  const draw = () => text && ctx.term.stderr.write(`\r\u001b[2K${text()}`);
  return {
    show(tokenExpiresAt: string, flowExpiresAt: string) {
      text = () => {
        const token = Date.parse(tokenExpiresAt) - now();
        const flow = Date.parse(flowExpiresAt) - now();
        return (
          `Waiting for the scan: ${token > 0 ? `this code renews in ${formatDuration(token)}` : "renewing the code"}; ` +
          `the login ends in ${formatDuration(Math.max(flow, 0))} (${clock(flowExpiresAt)}). Ctrl-C cancels.`
        );
      };
      draw();
      timer ??= setInterval(draw, 1_000);
    },
    /** Ends the line (the next output starts on its own). */
    stop() {
      if (timer) clearInterval(timer);
      timer = undefined;
      if (text) ctx.term.stderr.write("\n");
      text = undefined;
    },
  };
}

/** The final line for an outcome that ends the QR login unsuccessfully. */
function failureLine(outcome: QrLoginOutcome, ctx: CliContext): string {
  const fail = (line: string) => `${ctx.colors.red("Not logged in")}: ${line}`;
  switch (outcome.kind) {
    case "no-flow":
      return fail(
        "the QR login is gone (it expired, was cancelled, or another `sessions add --qr` by the same user " +
          `replaced it). ${AGAIN}`,
      );
    case "too-many-attempts":
      return fail(`too many wrong 2FA passwords; the login was ended. ${AGAIN}`);
    case "wrong-password":
      return fail(`wrong 2FA password, and no attempts are left. ${AGAIN}`);
    case "phone-banned":
      return fail("Telegram has banned or deactivated the account that scanned the code; it cannot log in.");
    case "flood-wait":
    case "api-credentials-invalid":
    case "unavailable":
      return fail(sharedFailure(outcome)!);
    case "other-account":
      return fail(
        `the account that scanned the code has the number ${outcome.phone}, which is stored here for another ` +
          "Telegram account; nothing was changed. If the number changed hands, remove that session first " +
          "(`sessions remove " +
          outcome.phone +
          "`), then scan again.",
      );
    case "qr":
    case "password-needed":
    case "logged-in":
      return fail("the login stopped half-way.");
  }
}

export interface QrConversationOptions {
  /** `sessions add --qr --json`: the result as one JSON object on stdout. */
  readonly json?: boolean;
  readonly pollWaitMs?: number;
  readonly now?: () => number;
}

/**
 * The whole QR conversation. Returns the exit code; Ctrl-C (SIGINT/SIGTERM) while Telegram is asked lets the step
 * finish, cancels the flow and exits 130 itself.
 */
export async function addByQr(
  ctx: CliContext,
  qr: QrLoginService,
  options: QrConversationOptions = {},
): Promise<number> {
  const owner = ctx.actor;
  const now = options.now ?? Date.now;
  const pollWaitMs = options.pollWaitMs ?? QR_POLL_WAIT_MS;
  const countdown = createCountdown(ctx, now);
  // The URL and its token, masked in any log line or error message from the moment they are known (for as long
  // as the process lives: an error reported after the login ended may still quote one).
  const hold = (url: string) => {
    registerSecret(url);
    registerSecret(url.replace(/^.*token=/, ""));
  };

  let inFlight: Promise<QrLoginOutcome | void> = Promise.resolve();
  let interrupted = false;
  let started = false;
  const onInterrupt = () => {
    if (interrupted) process.exit(EXIT.interrupted);
    interrupted = true;
    countdown.stop();
    void inFlight
      .catch(() => undefined)
      .then(async (last) => {
        if (last && last.kind === "logged-in") {
          // Too late to cancel: the login had already succeeded and the session is stored.
          loggedIn(last);
          process.exit(EXIT.ok);
        }
        // Even when Ctrl-C came before the first code was shown: the flow may have been started meanwhile.
        await qr.cancelQr(owner).catch(() => undefined);
        ctx.err(`Cancelled: the QR login was stopped; nothing was stored.`);
        process.exit(EXIT.interrupted);
      });
  };
  /** A Telegram step. After Ctrl-C nothing more is shown or asked: the handler above ends the process. */
  const step = async (work: Promise<QrLoginOutcome>): Promise<QrLoginOutcome> => {
    inFlight = work;
    const outcome = await work;
    if (outcome.kind === "qr") hold(outcome.url);
    if (interrupted) return new Promise<never>(() => undefined);
    return outcome;
  };
  const loggedIn = (o: Extract<QrLoginOutcome, { kind: "logged-in" }>) =>
    options.json
      ? printLoginJson(ctx, {
          outcome: o.kind,
          phone: o.session.phone,
          session: o.session,
          replaced: o.replaced,
          ...(o.previousKey ? { previousKey: o.previousKey } : {}),
        })
      : ctx.out(loggedInLine(o.session, o.replaced, ctx, o.previousKey));
  /** A failure's line on stderr, and with --json its object on stdout. */
  const failed = (outcome: string, line: string) => {
    ctx.err(line);
    if (options.json) printLoginJson(ctx, { outcome, phone: null, message: line });
  };
  const askPassword = async (): Promise<string> =>
    readSecret(readHidden(ctx.term.stdin, ctx.term.stderr, PASSWORD_QUESTION));

  process.on("SIGINT", onInterrupt);
  process.on("SIGTERM", onInterrupt);
  try {
    ctx.err("Starting a QR login…");
    let outcome = await step(qr.startQr(owner));
    started = true;
    let flow: QrLoginView | undefined = "flow" in outcome ? outcome.flow : undefined;
    const startedAt = now();
    const expired = () => flow !== undefined && now() >= Date.parse(flow.expiresAt);
    const expiredLine = () =>
      `${ctx.colors.red("Not logged in")}: nobody scanned the code within ` +
      `${plural(Math.round((Date.parse(flow!.expiresAt) - startedAt) / 60_000), "minute")}, and the QR login ` +
      `expired. ${AGAIN}`;
    let unavailableInARow = 0;
    let shownUrl: string | undefined;
    for (;;) {
      if ("flow" in outcome) flow = outcome.flow;
      if (outcome.kind !== "unavailable") unavailableInARow = 0;
      switch (outcome.kind) {
        case "qr": {
          if (!flow) break;
          if (expired()) {
            countdown.stop();
            await qr.cancelQr(owner).catch(() => undefined);
            failed("expired", expiredLine());
            return EXIT.failed;
          }
          if (outcome.url !== shownUrl) {
            countdown.stop();
            if (shownUrl) ctx.err("The code expired unscanned; here is a new one.");
            ctx.err(SCAN_STEPS);
            ctx.err(await drawQr(outcome.url));
            shownUrl = outcome.url;
          }
          countdown.show(outcome.tokenExpiresAt, flow.expiresAt);
          outcome = await step(qr.pollQr(owner, { waitMs: pollWaitMs }));
          continue;
        }
        case "password-needed":
          countdown.stop();
          ctx.err(
            `Scanned. This account has a two-step verification password` +
              `${outcome.flow.passwordHint ? ` (hint: ${outcome.flow.passwordHint})` : ""}.`,
          );
          outcome = await step(qr.submitQrPassword(owner, await askPassword()));
          continue;
        case "wrong-password":
          if (outcome.flow.attemptsLeft <= 0) break;
          ctx.err(
            `Wrong password (${plural(outcome.flow.attemptsLeft, "attempt")} left)` +
              `${outcome.flow.passwordHint ? `; the hint is: ${outcome.flow.passwordHint}` : ""}.`,
          );
          outcome = await step(qr.submitQrPassword(owner, await askPassword()));
          continue;
        case "logged-in":
          countdown.stop();
          loggedIn(outcome);
          return EXIT.ok;
        case "unavailable":
          // A blip while waiting for the scan: the flow is as it was, so ask again (a few times).
          if (flow?.step === "scan" && unavailableInARow < UNAVAILABLE_RETRIES) {
            unavailableInARow += 1;
            countdown.stop();
            ctx.err(`${outcome.message} Asking again…`);
            outcome = await step(qr.pollQr(owner, { waitMs: pollWaitMs }));
            continue;
          }
          break;
      }
      countdown.stop();
      if (outcome.kind !== "no-flow") await qr.cancelQr(owner).catch(() => undefined);
      // The service found the flow gone because its time was up: say that, not "gone".
      if (outcome.kind === "no-flow" && flow?.step === "scan" && expired()) failed("expired", expiredLine());
      else failed(outcome.kind, failureLine(outcome, ctx));
      return EXIT.failed;
    }
  } catch (err) {
    countdown.stop();
    if (err instanceof PromptAbortedError) {
      await qr.cancelQr(owner).catch(() => undefined);
      ctx.err("Cancelled: the QR login was stopped; nothing was stored.");
      return EXIT.interrupted;
    }
    if (started) await qr.cancelQr(owner).catch(() => undefined);
    throw err;
  } finally {
    countdown.stop();
    process.removeListener("SIGINT", onInterrupt);
    process.removeListener("SIGTERM", onInterrupt);
    ctx.term.stdin.pause();
  }
}
