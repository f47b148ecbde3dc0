/**
 * A scripted userbot layer for the bot's tests until the real one (lib/telegram) is merged: it follows the
 * contract's LoginService/UserbotService and stores a logged-in session through the real SessionRepository, so
 * what the admin sees and what is stored are the same as with the real layer. Telegram accounts are a script:
 * which code Telegram "sent", which 2FA password the account has, what a check finds.
 */
import type { Phone } from "../../lib/sessions/phone";
import type { SessionRepository } from "../../lib/sessions/repository";
import type {
  CheckResult,
  LoginFlowView,
  LoginOutcome,
  LoginService,
  UserbotService,
} from "../../lib/telegram/contract";

export interface ScriptedAccount {
  readonly code: string;
  readonly password?: string;
  readonly userId: string;
  readonly username?: string;
  /** What startLogin answers instead of sending a code (e.g. `{ kind: "phone-banned" }`). */
  readonly startOutcome?: LoginOutcome;
}

export const FLOW_SECONDS = 300;
export const ATTEMPTS = 3;

interface Flow {
  view: LoginFlowView;
  account: ScriptedAccount;
}

export class FakeUserbots {
  readonly accounts = new Map<string, ScriptedAccount>();
  readonly checkResults = new Map<string, CheckResult>();
  /** How many times the bot loaded the userbot layer (it must be lazy). */
  loads = 0;
  /** Every call, with secrets replaced by their length, so tests can assert what the bot asked. */
  readonly calls: string[] = [];
  private readonly flows = new Map<string, Flow>();

  constructor(
    private readonly sessions: SessionRepository,
    private readonly now: () => Date = () => new Date(),
  ) {}

  readonly loader = (): Promise<{ login: LoginService; userbots: UserbotService }> => {
    this.loads++;
    return Promise.resolve({ login: this.login, userbots: this.userbots });
  };

  private flowView(phone: Phone, step: "code" | "password", attemptsLeft: number, startedBy: string) {
    return {
      phone,
      step,
      attemptsLeft,
      expiresAt: new Date(this.now().getTime() + FLOW_SECONDS * 1000).toISOString(),
      codeDelivery: "app",
      codeLength: 5,
      startedBy,
      replacesExisting: false,
    } satisfies LoginFlowView;
  }

  private live(phone: Phone): Flow | "expired" | undefined {
    const flow = this.flows.get(phone);
    if (!flow) return undefined;
    if (Date.parse(flow.view.expiresAt) < this.now().getTime()) {
      this.flows.delete(phone);
      return "expired";
    }
    return flow;
  }

  readonly login: LoginService = {
    startLogin: async (phone, startedBy) => {
      this.calls.push(`startLogin ${phone}`);
      const account = this.accounts.get(phone);
      if (!account) return { kind: "no-account" };
      if (account.startOutcome) return account.startOutcome;
      const existing = await this.sessions.get(phone);
      const view = {
        ...this.flowView(phone, "code", ATTEMPTS, startedBy),
        replacesExisting: !!existing && existing.status !== "deleted",
      };
      this.flows.set(phone, { view, account });
      return { kind: "code-sent", flow: view };
    },
    submitCode: async (phone, text) => {
      this.calls.push(`submitCode ${phone} (${text.length} chars)`);
      const flow = this.live(phone);
      if (flow === "expired") return { kind: "code-expired" };
      if (!flow || flow.view.step !== "code") return { kind: "no-flow" };
      if (text.replace(/\D/g, "") !== flow.account.code) {
        const attemptsLeft = flow.view.attemptsLeft - 1;
        if (attemptsLeft <= 0) {
          this.flows.delete(phone);
          return { kind: "too-many-attempts" };
        }
        flow.view = { ...flow.view, attemptsLeft };
        return { kind: "wrong-code", flow: flow.view };
      }
      if (flow.account.password) {
        flow.view = {
          ...this.flowView(phone, "password", ATTEMPTS, flow.view.startedBy),
          passwordHint: "pet",
        };
        return { kind: "password-needed", flow: flow.view };
      }
      return this.finish(phone, flow);
    },
    submitPassword: async (phone, password) => {
      this.calls.push(`submitPassword ${phone} (${password.length} chars)`);
      const flow = this.live(phone);
      if (flow === "expired") return { kind: "no-flow" };
      if (!flow || flow.view.step !== "password") return { kind: "no-flow" };
      if (password !== flow.account.password) {
        const attemptsLeft = flow.view.attemptsLeft - 1;
        if (attemptsLeft <= 0) {
          this.flows.delete(phone);
          return { kind: "too-many-attempts" };
        }
        flow.view = { ...flow.view, attemptsLeft };
        return { kind: "wrong-password", flow: flow.view };
      }
      return this.finish(phone, flow);
    },
    cancel: (phone) => {
      this.calls.push(`cancel ${phone}`);
      this.flows.delete(phone);
      return Promise.resolve();
    },
    getFlow: (phone) => {
      const flow = this.live(phone);
      return Promise.resolve(flow && flow !== "expired" ? flow.view : undefined);
    },
  };

  private async finish(phone: Phone, flow: Flow): Promise<LoginOutcome> {
    this.flows.delete(phone);
    const account = {
      userId: flow.account.userId,
      ...(flow.account.username ? { username: flow.account.username } : {}),
    };
    const existing = await this.sessions.get(phone);
    if (existing && existing.status !== "deleted") {
      const session = await this.sessions.relogin(phone, `fake-session-${phone}`, account);
      return { kind: "logged-in", session, replaced: true };
    }
    const session = await this.sessions.create({ phone, sessionString: `fake-session-${phone}`, account });
    return { kind: "logged-in", session, replaced: false };
  }

  readonly userbots: UserbotService = {
    checkSession: async (phone, options) => {
      this.calls.push(`checkSession ${phone} ${options.actor}`);
      const result = this.checkResults.get(phone) ?? {
        outcome: "healthy",
        phone,
        account: { userId: "1", username: "fake" },
      };
      if (result.outcome === "failed") {
        await this.sessions.markError(phone, { message: result.failure.message, code: result.failure.code });
      }
      return result;
    },
    importSession: () => Promise.reject(new Error("not scripted")),
  };
}
