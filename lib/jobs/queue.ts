/**
 * Where the dispatcher puts check messages. In AWS, SQS; in tests and the local runner, an in-memory queue whose
 * messages are handed to the real worker handler as real SQS events.
 */
import { createHash, randomUUID } from "node:crypto";
import { SendMessageBatchCommand, SQSClient } from "@aws-sdk/client-sqs";
import type { SQSEvent, SQSRecord } from "aws-lambda";
import { english } from "../plural";
import { formatCheckMessage, type CheckMessage } from "./messages";
import { WORKER_BATCH_SIZE } from "./scale";

export interface CheckQueue {
  /** Sends all of `messages`, or throws naming how many could not be sent. */
  sendBatch(messages: readonly CheckMessage[]): Promise<void>;
}

/** SendMessageBatch takes at most 10 entries. */
const SQS_BATCH_LIMIT = 10;
const SEND_ATTEMPTS = 3;

export class QueueSendError extends Error {
  constructor(
    readonly unsent: number,
    reason: string,
  ) {
    super(
      `${english(unsent, "health check message")} could not be queued after ${SEND_ATTEMPTS} attempts (${reason}). ` +
        "Those sessions are not checked in this run; check the queue's permissions and the SQS service health.",
    );
    this.name = "QueueSendError";
  }
}

/** The health check queue at `queueUrl`, over an SQS client of the Lambda's region and role. */
export function sqsCheckQueue(queueUrl: string): SqsCheckQueue {
  return new SqsCheckQueue(new SQSClient({}), queueUrl);
}

export class SqsCheckQueue implements CheckQueue {
  constructor(
    private readonly sqs: SQSClient,
    private readonly queueUrl: string,
    /** Pause between attempts; tests pass one that returns at once. */
    private readonly pause: (attempt: number) => Promise<void> = (attempt) =>
      new Promise((resolve) => setTimeout(resolve, 100 * 2 ** attempt)),
  ) {}

  async sendBatch(messages: readonly CheckMessage[]): Promise<void> {
    for (let i = 0; i < messages.length; i += SQS_BATCH_LIMIT) {
      await this.sendTen(messages.slice(i, i + SQS_BATCH_LIMIT));
    }
  }

  /** One SendMessageBatch, re-sending only the entries SQS reports as failed (a partial failure is not an error). */
  private async sendTen(messages: readonly CheckMessage[]): Promise<void> {
    let pending = messages.map((m, i) => ({ Id: String(i), MessageBody: formatCheckMessage(m) }));
    let reason = "";
    for (let attempt = 0; attempt < SEND_ATTEMPTS && pending.length > 0; attempt += 1) {
      if (attempt > 0) await this.pause(attempt);
      const out = await this.sqs.send(
        new SendMessageBatchCommand({ QueueUrl: this.queueUrl, Entries: pending }),
      );
      const failed = new Set((out.Failed ?? []).map((f) => f.Id));
      // A sender fault (bad request) will not get better by retrying.
      const senderFault = (out.Failed ?? []).find((f) => f.SenderFault);
      reason = (out.Failed ?? []).map((f) => f.Code).join(", ");
      pending = pending.filter((e) => failed.has(e.Id));
      if (senderFault)
        throw new QueueSendError(pending.length, `${senderFault.Code}: ${senderFault.Message ?? ""}`);
    }
    if (pending.length > 0) throw new QueueSendError(pending.length, reason);
  }
}

/**
 * A queue in memory, for tests and the local runner: what was sent comes back as SQS events of up to 10 records,
 * shaped as Lambda receives them, to be fed to the worker handler.
 */
export class InMemoryCheckQueue implements CheckQueue {
  private readonly bodies: string[] = [];

  sendBatch(messages: readonly CheckMessage[]): Promise<void> {
    this.bodies.push(...messages.map(formatCheckMessage));
    return Promise.resolve();
  }

  /** Adds a raw body, as something other than the dispatcher might have put on the queue. */
  sendRaw(body: string): void {
    this.bodies.push(body);
  }

  get size(): number {
    return this.bodies.length;
  }

  /** Takes everything queued, as SQS events of `batchSize` records. */
  drain(batchSize = WORKER_BATCH_SIZE): SQSEvent[] {
    const events: SQSEvent[] = [];
    const all = this.bodies.splice(0);
    for (let i = 0; i < all.length; i += batchSize) {
      events.push({ Records: all.slice(i, i + batchSize).map((b) => sqsRecord(b)) });
    }
    return events;
  }
}

/** One SQS record as the Lambda event source delivers it. */
export function sqsRecord(body: string, receiveCount = 1): SQSRecord {
  const now = String(Date.now());
  return {
    messageId: randomUUID(),
    receiptHandle: randomUUID(),
    body,
    attributes: {
      ApproximateReceiveCount: String(receiveCount),
      SentTimestamp: now,
      SenderId: "local",
      ApproximateFirstReceiveTimestamp: now,
    },
    messageAttributes: {},
    md5OfBody: createHash("md5").update(body).digest("hex"),
    eventSource: "aws:sqs",
    eventSourceARN: "arn:aws:sqs:local:000000000000:health-check",
    awsRegion: "local",
  };
}
