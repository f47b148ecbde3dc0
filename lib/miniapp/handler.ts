/**
 * The Mini App login form's HTTP side, on the AdminBot's HTTP API next to the webhook:
 *
 *   GET  /login            the page (lib/miniapp/page.ts)
 *   POST /login/state      which step of the caller's login waits (code or password), with the page's texts
 *   POST /login/code       {initData, code}
 *   POST /login/password   {initData, password}
 *   GET  /fleet, POST /fleet/data   the read-only fleet page (lib/miniapp/fleet.ts)
 *
 * Every POST is checked in this order, and refused before anything is written: the body is a small JSON object;
 * its `initData` carries Telegram's signature made with our bot token, and is fresh (lib/miniapp/init-data.ts);
 * the user it names is an admin; and that admin has a login waiting for a code or password which they started
 * themselves (their pending step in the bot-state table, and the flow's `startedBy`). The code and password are
 * taken from the body only: never from a URL, never logged, never echoed back.
 *
 * The steps are the chat's steps (the same login services, the same pending-step changes). On success the bot posts
 * the new session's card in the admin's chat and the page closes itself; a login that ends without a session is
 * told in the chat too, so the chat never shows a keypad for a login that is over.
 */
import type { APIGatewayProxyEventV2, APIGatewayProxyStructuredResultV2 } from "aws-lambda";
import type { Api, InlineKeyboard } from "grammy";
import type { Logger } from "../log";
import { forgetSecret, redactText, registerSecret } from "../log";
import type { AdminRepository } from "../bot-state/admins";
import { telegramActor } from "../bot-state/audit";
import type { LoginFlowView, LoginOutcome, QrLoginOutcome, QrLoginView } from "../telegram/contract";
import { LOCALES, languageFromCode, type Texts } from "../bot/locales";
import {
  applyPendingChange,
  loggedInCard,
  loggedInText,
  loginEndedText,
  pendingAfterLogin,
  pendingAfterQr,
  type LoginServicesLoader,
} from "../bot/login-progress";
import type { ChatMemory } from "../bot-state/chat-memory";
import { createFleetPageHandler, isFleetRequest } from "./fleet";
import { verifyInitData } from "./init-data";
import type { HealthCheckRuns } from "../jobs/runs";
import type { SessionRepository } from "../sessions/repository";
import { htmlPage, jsonAnswer, parseBody, plain } from "./http";
import { LOGIN_PAGE_CSP, LOGIN_PAGE_HTML } from "./page";
import { LOGIN_PATH, LOGIN_STEPS } from "./routes";

const STEPS = new Set<string>(LOGIN_STEPS);

export type MiniAppHandler = (event: APIGatewayProxyEventV2) => Promise<APIGatewayProxyStructuredResultV2>;

export interface MiniAppDeps {
  /** The bot token: the key of initData's signature. */
  readonly botToken: () => Promise<string>;
  /** The Bot API client, to post the session card (or the end of a login) in the admin's chat. */
  readonly api: () => Promise<Api>;
  readonly admins: AdminRepository;
  readonly memory: ChatMemory;
  readonly userbots: LoginServicesLoader;
  /** The fleet page's reads: the run records and the counts per status. */
  readonly runs: Pick<HealthCheckRuns, "recent">;
  readonly sessions: Pick<SessionRepository, "countByStatus">;
  readonly logger: Logger;
  readonly now?: () => Date;
}

/** The login the caller may continue on the form. */
type OwnLogin =
  | { readonly kind: "phone"; readonly flow: LoginFlowView }
  | { readonly kind: "qr"; readonly flow: QrLoginView };

/** What the page gets back; it renders exactly this (texts are plain text, shown with textContent). */
interface PageAnswer {
  readonly step?: "code" | "password";
  readonly who?: string;
  readonly label?: string;
  readonly codeLength?: number;
  readonly message?: string;
  /** The login is over (or cannot go on from this form): no more input. */
  readonly done?: boolean;
  readonly success?: boolean;
  readonly failed?: boolean;
  readonly error?: string;
  readonly texts?: Record<string, string>;
}

export function isMiniAppRequest(event: APIGatewayProxyEventV2): boolean {
  const path = event.rawPath ?? event.requestContext?.http?.path ?? "";
  return path === LOGIN_PATH || path.startsWith(`${LOGIN_PATH}/`) || isFleetRequest(path);
}

export function createMiniAppHandler(deps: MiniAppDeps): MiniAppHandler {
  const handle = miniAppSteps(deps);
  const fleet = createFleetPageHandler(deps);
  return async (event) => {
    if (isFleetRequest(event.rawPath ?? "")) return fleet(event);
    try {
      return await handle(event);
    } catch (err) {
      // DynamoDB, KMS, Secrets Manager or Telegram's Bot API failed: the page keeps its step and says to retry.
      deps.logger.error("Mini App call failed", {
        path: event.rawPath,
        error: redactText(err instanceof Error ? `${err.name}: ${err.message}` : String(err)),
      });
      const t = LOCALES[languageFromCode(unverifiedLanguage(parseBody(event)?.initData))];
      return json(503, { error: "unavailable", failed: true, message: t.miniapp.retry });
    }
  };
}

function miniAppSteps(deps: MiniAppDeps): MiniAppHandler {
  const now = deps.now ?? (() => new Date());
  return async (event) => {
    const method = event.requestContext?.http?.method ?? "";
    const path = event.rawPath ?? "";
    if (path === LOGIN_PATH && (method === "GET" || method === "HEAD"))
      return htmlPage(LOGIN_PAGE_HTML, LOGIN_PAGE_CSP);
    const step = path.slice(LOGIN_PATH.length + 1);
    if (method !== "POST" || !path.startsWith(`${LOGIN_PATH}/`) || !STEPS.has(step)) {
      return json(404, { error: "not-found", done: true, message: "Not found." });
    }
    const body = parseBody(event);
    const fallback = LOCALES[languageFromCode(unverifiedLanguage(body?.initData))];
    if (!body) return json(400, { error: "bad-request", done: true, message: fallback.miniapp.openFromBot });

    const check = verifyInitData(body.initData, await deps.botToken(), { now: now() });
    if (!check.ok) {
      deps.logger.warn("Mini App call refused: initData not valid", {
        reason: check.reason,
        step,
        sourceIp: event.requestContext?.http?.sourceIp,
      });
      const stale = check.reason === "expired" || check.reason === "future";
      return json(401, {
        error: "init-data",
        done: true,
        message: stale ? fallback.miniapp.reopen : fallback.miniapp.openFromBot,
      });
    }
    const adminId = String(check.user.id);
    const admin = await deps.admins.get(adminId);
    if (!admin) {
      deps.logger.warn("Mini App call refused: not an admin", { userId: adminId, step });
      return json(403, { error: "not-admin", done: true, message: fallback.miniapp.notAdmin });
    }
    const t = LOCALES[admin.language ?? languageFromCode(check.user.languageCode)];
    const texts = pageTexts(t);
    const own = await ownLogin(deps, adminId);
    if (!own) {
      return json(409, { error: "no-flow", done: true, message: t.miniapp.noLogin, texts });
    }
    if (step === "state") return json(200, { ...prompt(t, own), texts });

    const secret = typeof body[step] === "string" ? (body[step] as string) : "";
    if (step !== own.flow.step || secret.length === 0 || secret.length > 256) {
      // A stale page (the login moved on elsewhere) or an empty field: show the step that waits now.
      return json(200, { ...prompt(t, own), texts });
    }
    registerSecret(secret);
    try {
      const answer =
        own.kind === "phone"
          ? await phoneStep(deps, t, adminId, own.flow, step as "code" | "password", secret)
          : await qrStep(deps, t, adminId, secret);
      deps.logger.info("Mini App login step", { userId: adminId, step, login: own.kind });
      return json(200, { ...answer, texts });
    } finally {
      forgetSecret(secret);
    }
  };
}

/** The caller's own login waiting for a code or password, or undefined. */
async function ownLogin(deps: MiniAppDeps, adminId: string): Promise<OwnLogin | undefined> {
  const pending = await deps.memory.getPending(adminId);
  if (pending.state !== "waiting") return undefined;
  const input = pending.input;
  if (input.kind === "code" || input.kind === "password") {
    // The step was read with its flow: the login as it is now, whoever's it is.
    const flow = input.flow;
    return flow && flow.startedBy === telegramActor(adminId) ? { kind: "phone", flow } : undefined;
  }
  if (input.kind === "qr-password" && !input.cancelled) {
    const { qr } = await deps.userbots();
    const flow = await qr.getQrFlow(telegramActor(adminId));
    return flow?.step === "password" ? { kind: "qr", flow } : undefined;
  }
  return undefined;
}

function prompt(t: Texts, own: OwnLogin): PageAnswer {
  const who = own.kind === "phone" ? t.miniapp.forPhone(own.flow.phone) : t.miniapp.forQr;
  if (own.kind === "phone" && own.flow.step === "code") {
    return {
      step: "code",
      who,
      label: t.miniapp.codeLabel(own.flow.codeLength),
      ...(own.flow.codeLength ? { codeLength: own.flow.codeLength } : {}),
    };
  }
  return { step: "password", who, label: t.miniapp.passwordLabel(own.flow.passwordHint) };
}

async function phoneStep(
  deps: MiniAppDeps,
  t: Texts,
  adminId: string,
  flow: LoginFlowView,
  step: "code" | "password",
  secret: string,
): Promise<PageAnswer> {
  const { login } = await deps.userbots();
  const o: LoginOutcome =
    step === "code"
      ? await login.submitCode(flow.phone, secret.replace(/\D/g, ""), telegramActor(adminId))
      : await login.submitPassword(flow.phone, secret, telegramActor(adminId));
  await applyPendingChange({ memory: deps.memory }, adminId, pendingAfterLogin(o, flow.phone));
  const who = t.miniapp.forPhone(flow.phone);
  switch (o.kind) {
    case "wrong-code":
      return wrongTry(
        deps,
        t,
        adminId,
        { kind: "phone", flow: o.flow },
        t.miniapp.wrongCode(o.flow.attemptsLeft),
      );
    case "wrong-password":
      return wrongTry(
        deps,
        t,
        adminId,
        { kind: "phone", flow: o.flow },
        t.miniapp.wrongPassword(o.flow.attemptsLeft, o.flow.passwordHint),
      );
    case "password-needed":
      return { ...prompt(t, { kind: "phone", flow: o.flow }), message: t.miniapp.passwordNeeded };
    case "code-sent":
      return prompt(t, { kind: "phone", flow: o.flow });
    case "logged-in":
      return loggedIn(deps, t, adminId, o);
    case "unavailable":
      return {
        ...prompt(t, { kind: "phone", flow }),
        who,
        failed: true,
        message: plain(t.add.unavailable(o.message)),
      };
    default:
      return ended(deps, t, adminId, loginEndedText(t, o) ?? t.add.noFlow);
  }
}

async function qrStep(deps: MiniAppDeps, t: Texts, adminId: string, password: string): Promise<PageAnswer> {
  const { qr } = await deps.userbots();
  const o: QrLoginOutcome = await qr.submitQrPassword(telegramActor(adminId), password);
  await applyPendingChange({ memory: deps.memory }, adminId, pendingAfterQr(o));
  switch (o.kind) {
    case "wrong-password":
      return wrongTry(
        deps,
        t,
        adminId,
        { kind: "qr", flow: o.flow },
        t.miniapp.wrongPassword(o.flow.attemptsLeft, o.flow.passwordHint),
      );
    case "password-needed":
      return prompt(t, { kind: "qr", flow: o.flow });
    case "logged-in":
      return loggedIn(deps, t, adminId, o);
    case "unavailable":
      return {
        step: "password",
        who: t.miniapp.forQr,
        failed: true,
        message: plain(t.add.unavailable(o.message)),
      };
    case "qr":
      // Not scanned yet (a stale page): the QR code in the chat is where the login goes on.
      return { done: true, message: plain(t.qr.notYet) };
    default:
      return ended(deps, t, adminId, loginEndedText(t, o) ?? t.qr.over);
  }
}

/** A wrong code or password: the same step again while tries are left, else the end of the login. */
async function wrongTry(
  deps: MiniAppDeps,
  t: Texts,
  adminId: string,
  own: OwnLogin,
  message: string,
): Promise<PageAnswer> {
  if (own.flow.attemptsLeft > 0) return { ...prompt(t, own), failed: true, message };
  return ended(deps, t, adminId, t.add.tooManyAttempts);
}

async function loggedIn(
  deps: MiniAppDeps,
  t: Texts,
  adminId: string,
  o: Extract<LoginOutcome, { kind: "logged-in" }>,
): Promise<PageAnswer> {
  // The card's owner-only buttons follow the admin's role now (one read, on a finished login only).
  const admin = await deps.admins.get(adminId);
  const card = loggedInCard(t, o, { owner: admin?.role === "owner" });
  await tellChat(deps, adminId, card.text, card.keyboard);
  return { done: true, success: true, message: loggedInText(t, o, t.miniapp.loggedIn(o.replaced)) };
}

/** The login is over without a session: the page and the chat both say why. */
async function ended(deps: MiniAppDeps, t: Texts, adminId: string, html: string): Promise<PageAnswer> {
  await tellChat(deps, adminId, html);
  return { done: true, failed: true, message: plain(html) };
}

async function tellChat(
  deps: MiniAppDeps,
  adminId: string,
  html: string,
  keyboard?: InlineKeyboard,
): Promise<void> {
  const api = await deps.api();
  try {
    await api.sendMessage(Number(adminId), html, {
      parse_mode: "HTML",
      ...(keyboard ? { reply_markup: keyboard } : {}),
    });
  } catch (err) {
    // The login itself is done and stored; the page says what happened even when the chat cannot be told.
    deps.logger.warn("Could not post the Mini App login's result in the chat", {
      userId: adminId,
      error: err instanceof Error ? err.message : String(err),
    });
  }
}

function pageTexts(t: Texts): Record<string, string> {
  const m = t.miniapp;
  return {
    title: m.title,
    submit: m.submit,
    checking: m.checking,
    network: m.network,
    retry: m.retry,
    close: m.close,
  };
}

/** The language the (not yet verified) initData names, for the words of a refusal only. */
function unverifiedLanguage(initData: unknown): string | undefined {
  if (typeof initData !== "string" || initData.length > 4096) return undefined;
  try {
    const user = JSON.parse(new URLSearchParams(initData).get("user") ?? "") as { language_code?: unknown };
    return typeof user.language_code === "string" ? user.language_code : undefined;
  } catch {
    return undefined;
  }
}

/** A JSON answer the page renders as it is. */
function json(statusCode: number, body: PageAnswer) {
  return jsonAnswer(statusCode, body);
}
