/**
 * Turns whatever went wrong into one or two lines an operator can act on, and the exit code: 2 for a wrong command
 * line, 1 for everything that went wrong while doing it. Every message passes through the log redactor, so an error
 * that quotes a secret never prints it.
 */
import { ConfigError, type StoreConfig } from "../config";
import { DecryptionError } from "../crypto";
import { redactText } from "../log";
import {
  IllegalTransitionError,
  InvalidCursorError,
  InvalidPhoneError,
  LeaseHeldError,
  SessionExistsError,
  SessionNotFoundError,
  StaleVersionError,
} from "../sessions";
import { AdminError } from "../bot-state/admins";
import { CliError, EXIT, UsageError } from "./command";
import { StoreUnreachableError } from "./reachable";

export interface Failure {
  readonly message: string;
  readonly hint?: string;
  readonly exitCode: number;
}

const OPERATIONAL = [
  SessionNotFoundError,
  SessionExistsError,
  IllegalTransitionError,
  StaleVersionError,
  LeaseHeldError,
  InvalidCursorError,
  AdminError,
  DecryptionError,
  ConfigError,
  StoreUnreachableError,
];

function errorName(err: unknown): string {
  return err instanceof Error ? err.name : "";
}

function networkCode(err: unknown): string | undefined {
  for (let e: unknown = err, depth = 0; e instanceof Error && depth < 4; depth++) {
    const code = (e as { code?: unknown }).code;
    if (typeof code === "string" && /^E[A-Z]+$/.test(code)) return code;
    e = (e as { cause?: unknown }).cause;
  }
  return undefined;
}

export function describeFailure(err: unknown, config?: StoreConfig): Failure {
  const f = classify(err, config);
  return { ...f, message: redactText(f.message), ...(f.hint ? { hint: redactText(f.hint) } : {}) };
}

function classify(err: unknown, config: StoreConfig | undefined): Failure {
  if (err instanceof UsageError)
    return { message: err.message, exitCode: EXIT.usage, ...(err.hint ? { hint: err.hint } : {}) };
  if (err instanceof CliError) return { message: err.message, exitCode: err.exitCode };
  if (err instanceof InvalidPhoneError) return { message: err.message, exitCode: EXIT.usage };
  if (OPERATIONAL.some((type) => err instanceof type))
    return { message: (err as Error).message, exitCode: EXIT.failed };

  const name = errorName(err);
  const where =
    config?.target === "local"
      ? `DynamoDB Local at ${config.endpoint}`
      : `AWS${config?.region ? ` (${config.region})` : ""}`;
  if (name === "ResourceNotFoundException") {
    return {
      message: `A table is missing on ${where} (${config?.sessionsTable} / ${config?.botStateTable}).`,
      hint:
        config?.target === "local"
          ? "`npm run dev` creates the local tables when it starts."
          : "Check SESSIONS_TABLE, BOT_STATE_TABLE and AWS_REGION against the stack outputs.",
      exitCode: EXIT.failed,
    };
  }
  if (
    name === "CredentialsProviderError" ||
    name === "UnrecognizedClientException" ||
    name === "ExpiredTokenException" ||
    name === "InvalidSignatureException"
  ) {
    return {
      message: `AWS refused or found no credentials (${name}).`,
      hint: "Log in (e.g. `aws sso login`) or set AWS_PROFILE, then run again.",
      exitCode: EXIT.failed,
    };
  }
  if (name === "AccessDeniedException") {
    const message = (err as Error).message;
    return {
      message: `AWS denied the request: ${message}`,
      // Only the operator role may use the session key, account administrators included.
      ...(/\bkms:/.test(message)
        ? {
            hint: "Run the CLI as the deployment's operator role (README: The operator role), e.g. AWS_PROFILE=session-keeper-operator.",
          }
        : {}),
      exitCode: EXIT.failed,
    };
  }
  const code = networkCode(err);
  if (code && ["ECONNREFUSED", "ECONNRESET", "ENOTFOUND", "ETIMEDOUT", "EHOSTUNREACH"].includes(code)) {
    return {
      message:
        config?.target === "local" && config.endpoint
          ? new StoreUnreachableError(config.endpoint).message
          : `Could not reach ${where} (${code}).`,
      exitCode: EXIT.failed,
    };
  }
  const message = err instanceof Error ? err.message : String(err);
  return {
    message: `Unexpected error: ${message}`,
    hint: "Run again with DEBUG=1 for the stack trace.",
    exitCode: EXIT.failed,
  };
}
