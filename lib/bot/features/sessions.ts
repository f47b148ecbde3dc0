/**
 * 📋 Sessions: counts per status, a paginated list per status, the session card and its actions (pause, resume,
 * delete with confirmation, check now). Every action button carries the session version it was drawn for; a press
 * after the session changed or vanished answers with a notice and the current state, never an error.
 */
import { Composer } from "grammy";
import {
  InvalidCursorError,
  LeaseHeldError,
  SessionNotFoundError,
  StaleVersionError,
} from "../../sessions/errors";
import { IllegalTransitionError } from "../../sessions/lifecycle";
import { redactText } from "../../log";
import type { Phone } from "../../sessions/phone";
import type { Session } from "../../sessions/session";
import type { CheckResult, RevocationOutcome } from "../../telegram/contract";
import { buttons, cb, onButton, type ListableStatus, type PageButton } from "../callback-data";
import type { BotContext, BotDeps } from "../context";
import type { Texts } from "../locales";
import { early, startEarly, type ReadAhead } from "../read-ahead";
import { answer, show } from "../ui";
import {
  deleteConfirm,
  esc,
  formatAccount,
  formatTime,
  sessionCard,
  sessionsOverview,
  sessionsPage,
} from "../views";
import { MENU_COUNTS_MAX_AGE_MS } from "../ui";
import { ConfigError } from "../../config";
import { telegramActor } from "../../bot-state/audit";

export const PAGE_SIZE = 10;
/** A check must finish well inside the webhook's time budget (grammY's timeout, then Telegram's). */
export const CHECK_DEADLINE_MS = 15_000;

export function sessionsFeature(deps: BotDeps): Composer<BotContext> {
  const composer = new Composer<BotContext>();
  const { sessions, memory } = deps;

  const overview = async (ctx: BotContext, notice?: string) =>
    show(
      ctx,
      sessionsOverview(ctx.t, await sessions.countByStatus({ maxAgeMs: MENU_COUNTS_MAX_AGE_MS }), notice),
    );

  /**
   * Shows one page: one GSI query of PAGE_SIZE items, nothing written. Where a later page starts is in its button's
   * data (the session next to it in the list, see `PageButton`), so Next and Previous need no stored state. `cursor`
   * is the repository's own, kept for `p:<id>` buttons drawn before that (their page items expire after a day).
   */
  const page = async (
    ctx: BotContext,
    status: ListableStatus,
    at: PageAt = { pageNo: 1 },
    notice?: string,
  ): Promise<void> => {
    const result = await early(ctx, pageKey(status, at), () => readPage(sessions, status, at));
    let items: Session[];
    let more: boolean;
    if (at.from?.direction === "before") {
      // Fewer than a page before it (the list changed meanwhile): the first page is what comes before.
      if (result.items.length < PAGE_SIZE || at.pageNo <= 1) return page(ctx, status, { pageNo: 1 }, notice);
      items = [...result.items].reverse();
      more = true;
    } else {
      items = result.items;
      more = result.cursor !== undefined;
    }
    const first = items[0];
    const last = items.at(-1);
    const prev =
      at.pageNo === 2
        ? cb.list(status)
        : (at.prevData ??
          (at.pageNo > 2 && first
            ? cb.pageAt({ status, direction: "before", page: at.pageNo - 1, ...positionOf(first) })
            : undefined));
    const next =
      more && last
        ? cb.pageAt({ status, direction: "after", page: at.pageNo + 1, ...positionOf(last) })
        : undefined;
    await show(
      ctx,
      sessionsPage(
        ctx.t,
        {
          status,
          page: at.pageNo,
          sessions: items,
          ...(prev ? { prev } : {}),
          ...(next ? { next } : {}),
        },
        notice,
      ),
    );
  };

  /** The current card of a session, or the overview with "gone" when it no longer exists. */
  const refresh = async (ctx: BotContext, phone: Phone, notice?: string) => {
    const session = await early(ctx, cardKey(phone), () => sessions.get(phone));
    if (!session || session.status === "deleted") return overview(ctx, ctx.t.stale.gone);
    await show(ctx, sessionCard(ctx.t, session, notice, viewer(ctx)));
  };

  composer.callbackQuery(cb.sessions, async (ctx) => {
    await answer(ctx);
    await overview(ctx);
  });
  composer.command("sessions", (ctx) => overview(ctx));

  onButton(composer, buttons.list, async (ctx, status) => {
    await answer(ctx);
    await page(ctx, status);
  });

  onButton(composer, buttons.pageAt, async (ctx, at) => {
    await answer(ctx);
    await page(ctx, at.status, { pageNo: at.page, from: at });
  });

  // A page button drawn before the cursor moved into the button's data: its cursor was kept for a day.
  onButton(composer, buttons.page, async (ctx, self) => {
    const stored = await memory.getPage(self);
    if (!stored) {
      await answer(ctx, ctx.t.sessions.pageGone);
      return overview(ctx, ctx.t.sessions.pageGone);
    }
    await answer(ctx);
    const status = stored.status as ListableStatus;
    try {
      await page(ctx, status, {
        pageNo: stored.page,
        cursor: stored.cursor,
        ...(stored.prev ? { prevData: cb.page(stored.prev) } : {}),
      });
    } catch (err) {
      if (!(err instanceof InvalidCursorError)) throw err;
      await page(ctx, status, { pageNo: 1 }, ctx.t.sessions.pageGone);
    }
  });

  onButton(composer, buttons.card, async (ctx, phone) => {
    await answer(ctx);
    await refresh(ctx, phone);
  });

  onButton(composer, buttons.action, async (ctx, { action, phone, version }) => {
    const t = ctx.t;
    const actor = telegramActor(ctx.admin.userId);
    try {
      switch (action) {
        case "ask-delete": {
          const s = await sessions.require(phone);
          if (s.version !== version) throw new StaleVersionError(phone, version, s.version);
          await answer(ctx);
          return await show(ctx, deleteConfirm(t, s));
        }
        case "delete":
          return await deleteNow(ctx, deps, phone, version, (status, notice) =>
            page(ctx, status, { pageNo: 1 }, notice),
          );
        case "pause": {
          const s = await sessions.pause(phone, version);
          await deps.audit.record({ action: "session.paused", actor, phone });
          await answer(ctx, t.actions.paused);
          return await show(ctx, sessionCard(t, s, t.actions.paused, viewer(ctx)));
        }
        case "resume": {
          const s = await sessions.resume(phone, version);
          await deps.audit.record({ action: "session.resumed", actor, phone });
          await answer(ctx, t.actions.resumed);
          return await show(ctx, sessionCard(t, s, t.actions.resumed, viewer(ctx)));
        }
        case "check":
          return await checkNow(ctx, deps, phone, version);
      }
    } catch (err) {
      if (err instanceof SessionNotFoundError) {
        await answer(ctx, t.stale.gone, true);
        return overview(ctx, t.stale.gone);
      }
      if (err instanceof StaleVersionError) {
        await answer(ctx, t.stale.changed, true);
        return refresh(ctx, phone, t.stale.changed);
      }
      if (err instanceof IllegalTransitionError) {
        await answer(ctx, t.actions.notAllowed, true);
        return refresh(ctx, phone, t.actions.notAllowed);
      }
      throw err;
    }
  });

  return composer;
}

/** Where a list page starts, as its button says (or as a stored page of an earlier version said). */
interface PageAt {
  readonly pageNo: number;
  readonly from?: Pick<PageButton, "direction" | "phone" | "updatedAt">;
  readonly cursor?: string;
  readonly prevData?: string;
}

const cardKey = (phone: Phone) => `card:${phone}`;
const pageKey = (status: ListableStatus, at: PageAt) =>
  `page:${status}:${at.from ? `${at.from.direction}:${at.from.phone}:${at.from.updatedAt}` : (at.cursor ?? "")}`;

/**
 * A page's one query. Before a session: the PAGE_SIZE sessions changed after it, nearest first (the caller shows them
 * newest first); otherwise the page from where it starts.
 */
function readPage(sessions: BotDeps["sessions"], status: ListableStatus, at: PageAt) {
  return at.from?.direction === "before"
    ? sessions.listByStatus(status, { limit: PAGE_SIZE, order: "oldest", after: at.from })
    : sessions.listByStatus(status, {
        limit: PAGE_SIZE,
        ...(at.from ? { after: at.from } : at.cursor ? { cursor: at.cursor } : {}),
      });
}

/**
 * The reads of a press that only shows something (a card, a list page), started alongside the processed-once claim
 * (read-ahead.ts): the same reads the handlers below make, under the same keys.
 */
export function sessionsReadAhead(deps: BotDeps): ReadAhead {
  return (ctx) => {
    const data = ctx.callbackQuery?.data;
    if (data === undefined) return;
    const phone = buttons.card.parse(data);
    if (phone) return startEarly(ctx, cardKey(phone), () => deps.sessions.get(phone));
    const status = buttons.list.parse(data);
    const pageAt = buttons.pageAt.parse(data);
    const read = status
      ? { status, at: { pageNo: 1 } }
      : pageAt
        ? { status: pageAt.status, at: { pageNo: pageAt.page, from: pageAt } }
        : undefined;
    if (read)
      startEarly(ctx, pageKey(read.status, read.at), () => readPage(deps.sessions, read.status, read.at));
  };
}

/** Where a session stands in its status's list (the index's key): what a page button carries. */
function positionOf(s: Session): Pick<PageButton, "phone" | "updatedAt"> {
  return { phone: s.phone, updatedAt: s.updatedAt };
}

/**
 * 🗑️ Yes, delete: the key logged out at Telegram first, then the session deleted (one lease, one transaction with
 * its audit entry), and the list it was in shown with the truth of what happened at Telegram.
 */
async function deleteNow(
  ctx: BotContext,
  deps: BotDeps,
  phone: Phone,
  version: number,
  toList: (status: ListableStatus, notice: string) => Promise<void>,
): Promise<void> {
  const t = ctx.t;
  // Read first: the list to return to is the one the session was in (the tombstone says "deleted").
  const before = await deps.sessions.require(phone);
  if (before.version !== version) throw new StaleVersionError(phone, version, before.version);
  await answer(ctx, t.actions.deleting(phone));
  await show(ctx, { text: t.actions.deleting(phone) });
  let notice: string;
  try {
    const { userbots } = await deps.userbots();
    const result = await userbots.deleteSession(phone, {
      deadlineMs: CHECK_DEADLINE_MS,
      actor: `delete:tg:${ctx.admin.userId}`,
      expectedVersion: version,
      audit: { action: "session.deleted", actor: `tg:${ctx.admin.userId}`, detail: `was ${before.status}` },
    });
    notice =
      result.outcome === "deleted" ? describeDeletion(t, phone, result.session, result.revocation) : "";
  } catch (err) {
    // The callback is answered already: every failure becomes a notice on the card (or the list, once it is gone).
    if (err instanceof LeaseHeldError) {
      notice = t.actions.busy(formatTime(err.until, t));
    } else if (err instanceof ConfigError) {
      deps.logger.warn("Delete cannot run: configuration missing", { variable: err.variable });
      notice = t.check.notConfigured(esc(err.message));
    } else if (err instanceof StaleVersionError) {
      // Changed between the read above and the lease (a check, a new login): nothing was logged out or deleted.
      notice = t.stale.changed;
    } else if (err instanceof SessionNotFoundError || err instanceof IllegalTransitionError) {
      notice = t.stale.gone;
    } else {
      deps.logger.error("Delete failed", {
        phone,
        error: redactText(err instanceof Error ? `${err.name}: ${err.message}` : String(err)),
      });
      notice = t.failed;
    }
    const after = await deps.sessions.get(phone);
    if (!after || after.status === "deleted") return toList(before.status as ListableStatus, notice);
    return show(ctx, sessionCard(t, after, notice, viewer(ctx)));
  }
  await toList(before.status as ListableStatus, notice);
}

/** The truth of a delete, in the admin's language: logged out, already dead, or pending with its date. */
export function describeDeletion(
  t: Texts,
  phone: Phone,
  after: Session,
  revocation: RevocationOutcome,
): string {
  switch (revocation.outcome) {
    case "logged-out":
      return t.actions.deletedLoggedOut(phone);
    case "already-dead":
      return t.actions.deletedAlreadyDead(phone, esc(revocation.code));
    case "not-confirmed": {
      const until = after.revocation?.state === "pending" ? after.revocation.giveUpAt : undefined;
      return t.actions.deletedPending(phone, formatTime(until, t), esc(revocation.failure.message));
    }
  }
}

/** Who looks at a card: an owner also gets the owner-only buttons. */
export function viewer(ctx: BotContext): { readonly owner: boolean } {
  return { owner: ctx.admin.role === "owner" };
}

/** 🔄 Check now: the health check for this one session (getMe through it), then its fresh card with the result. */
async function checkNow(ctx: BotContext, deps: BotDeps, phone: Phone, version: number): Promise<void> {
  const t = ctx.t;
  const current = await deps.sessions.require(phone);
  if (current.version !== version) throw new StaleVersionError(phone, version, current.version);
  await answer(ctx, t.check.running(phone));
  await show(ctx, { text: t.check.running(phone) });
  let notice: string;
  try {
    const { userbots } = await deps.userbots();
    const result = await userbots.checkSession(phone, {
      deadlineMs: CHECK_DEADLINE_MS,
      actor: `check-now:${telegramActor(ctx.admin.userId)}`,
    });
    notice = describeCheck(t, result);
  } catch (err) {
    // The "Checking…" message has no buttons: put the card back rather than leave the admin stranded.
    if (err instanceof ConfigError) {
      // A missing API_ID/API_HASH is the deployer's to fix: say which, rather than "something went wrong".
      deps.logger.warn("Check now cannot run: configuration missing", { variable: err.variable });
      notice = t.check.notConfigured(esc(err.message));
    } else {
      deps.logger.error("Check now failed", {
        phone,
        error: redactText(err instanceof Error ? `${err.name}: ${err.message}` : String(err)),
      });
      notice = t.failed;
    }
  }
  const after = await deps.sessions.get(phone);
  if (!after || after.status === "deleted") return show(ctx, { text: `${notice}\n\n${t.stale.gone}` });
  await show(ctx, sessionCard(t, after, notice, viewer(ctx)));
}

export function describeCheck(t: Texts, r: CheckResult): string {
  switch (r.outcome) {
    case "healthy":
      return t.check.healthy(formatAccount(r.account, t));
    case "failed":
      return t.check.failed(esc(r.failure.message));
    case "flood-wait":
      return t.check.flood(formatTime(r.until, t));
    case "transient":
      return t.check.transient(esc(r.failure.message), r.failures);
    case "frozen":
      return t.check.frozen(r.freeze.until && formatTime(r.freeze.until, t), r.freeze.appealUrl);
    case "skipped":
      return t.check.skipped[r.reason];
  }
}
