/**
 * The health check's queue message: `{ phone, runId }`, nothing else (never anything secret: SQS bodies are
 * visible to whoever can read the queue and the DLQ).
 */
import { randomBytes } from "node:crypto";
import { InvalidPhoneError, normalizePhone, type Phone } from "../sessions/phone";
import * as z from "../zod";

export interface CheckMessage {
  readonly phone: Phone;
  readonly runId: string;
  /** The session's data centre when the row knows it (its last check recorded it): the worker paces by it. */
  readonly dc?: number;
}

/** Run ids go into keys and log lines: letters, digits and `:._-` only. */
const RUN_ID = /^[A-Za-z0-9:._-]{1,80}$/;

export function isRunId(value: string): boolean {
  return RUN_ID.test(value);
}

/**
 * The run id of a scheduled run: derived from the time the schedule fired, so the same schedule event delivered
 * twice names the same run (and the second dispatch does nothing). Without a scheduled time (a run started by
 * hand), a fresh one.
 */
export function runIdFor(scheduledTime: Date | undefined, now: Date): string {
  if (scheduledTime) return `hc-${scheduledTime.toISOString().replace(/\.\d{3}Z$/, "Z")}`;
  return `hc-${now.toISOString().replace(/\.\d{3}Z$/, "Z")}-${randomBytes(3).toString("hex")}`;
}

/** A queue message that is not a health check message. It changes nothing and ends in the dead-letter queue. */
export class MalformedCheckMessageError extends Error {
  constructor(
    readonly messageId: string,
    reason: string,
  ) {
    super(
      `Health check message ${messageId} is not {"phone": "+<E.164>", "runId": "<run id>"} (${reason}); ` +
        "nothing was checked. It will end in the dead-letter queue; remove it there.",
    );
    this.name = "MalformedCheckMessageError";
  }
}

const body = z.object({
  phone: z.string(),
  runId: z.string().check(z.regex(RUN_ID, "runId has characters a run id never has")),
  dc: z.optional(z.int().check(z.minimum(1), z.maximum(1000))),
});

export function parseCheckMessage(messageId: string, text: string): CheckMessage {
  let json: unknown;
  try {
    json = JSON.parse(text);
  } catch {
    throw new MalformedCheckMessageError(messageId, "the body is not JSON");
  }
  const parsed = body.safeParse(json);
  if (!parsed.success) {
    const issue = parsed.error.issues[0];
    throw new MalformedCheckMessageError(
      messageId,
      `${issue?.path.join(".") || "body"}: ${issue?.message ?? "invalid"}`,
    );
  }
  try {
    const phone = normalizePhone(parsed.data.phone);
    // Only the normalised form is a session key: a message with any other spelling was not written by us.
    if (phone !== parsed.data.phone) throw new InvalidPhoneError(parsed.data.phone);
    return {
      phone,
      runId: parsed.data.runId,
      ...(parsed.data.dc !== undefined ? { dc: parsed.data.dc } : {}),
    };
  } catch (err) {
    if (err instanceof InvalidPhoneError)
      throw new MalformedCheckMessageError(messageId, "phone is not an E.164 number");
    throw err;
  }
}

export function formatCheckMessage(message: CheckMessage): string {
  return JSON.stringify({
    phone: message.phone,
    runId: message.runId,
    ...(message.dc !== undefined ? { dc: message.dc } : {}),
  });
}
