import type { SQSClient, SendMessageBatchCommand, SendMessageBatchCommandOutput } from "@aws-sdk/client-sqs";
import { describe, expect, it } from "vitest";
import { createLimiter } from "../../lib/jobs/limit";
import {
  formatCheckMessage,
  MalformedCheckMessageError,
  parseCheckMessage,
  runIdFor,
} from "../../lib/jobs/messages";
import { InMemoryCheckQueue, QueueSendError, SqsCheckQueue } from "../../lib/jobs/queue";
import { normalizePhone } from "../../lib/sessions";

const phones = Array.from({ length: 23 }, (_, i) => normalizePhone(`+99890${String(2_000_000 + i)}`));
const messages = phones.map((phone) => ({ phone, runId: "hc-2026-11-27T00:00:00Z" }));

type Answer = (entries: { Id?: string; MessageBody?: string }[]) => Partial<SendMessageBatchCommandOutput>;

/** An SQS client that answers SendMessageBatch from a script and remembers what it was sent. */
function scriptedSqs(answers: Answer[]) {
  const sent: { Id?: string; MessageBody?: string }[][] = [];
  const client = {
    send: (command: SendMessageBatchCommand) => {
      const entries = command.input.Entries ?? [];
      sent.push(entries);
      const answer = answers.shift() ?? (() => ({ Successful: [], Failed: [] }));
      return Promise.resolve(answer(entries));
    },
  } as unknown as SQSClient;
  return { client, sent };
}

describe("sending check messages to SQS", () => {
  it("sends at most 10 per call and re-sends only the entries SQS reports as failed", async () => {
    const { client, sent } = scriptedSqs([
      () => ({ Failed: [{ Id: "3", Code: "InternalError", SenderFault: false }] }),
      () => ({ Failed: [] }),
    ]);
    await new SqsCheckQueue(client, "https://sqs.local/q", () => Promise.resolve()).sendBatch(messages);
    expect(sent.map((e) => e.length)).toEqual([10, 1, 10, 3]);
    expect(sent[1]![0]!.MessageBody).toBe(
      JSON.stringify({ phone: phones[3], runId: "hc-2026-11-27T00:00:00Z" }),
    );
    const bodies = sent.flat().map((e) => JSON.parse(e.MessageBody!) as { phone: string });
    expect(new Set(bodies.map((b) => b.phone)).size).toBe(23);
  });

  it("gives up after three attempts, saying how many sessions were not queued", async () => {
    const fail: Answer = (entries) => ({
      Failed: entries.map((e) => ({ Id: e.Id!, Code: "ServiceUnavailable", SenderFault: false })),
    });
    const { client, sent } = scriptedSqs([fail, fail, fail]);
    await expect(
      new SqsCheckQueue(client, "https://sqs.local/q", () => Promise.resolve()).sendBatch(
        messages.slice(0, 4),
      ),
    ).rejects.toThrow(/^4 health check messages could not be queued after 3 attempts \(ServiceUnavailable/);
    expect(sent).toHaveLength(3);
  });

  it("does not retry what SQS says is the sender's fault", async () => {
    const { client, sent } = scriptedSqs([
      (entries) => ({
        Failed: [{ Id: entries[0]!.Id!, Code: "InvalidMessageContents", SenderFault: true, Message: "bad" }],
      }),
    ]);
    const error = await new SqsCheckQueue(client, "https://sqs.local/q", () => Promise.resolve())
      .sendBatch(messages.slice(0, 2))
      .catch((e: unknown) => e);
    expect(error).toBeInstanceOf(QueueSendError);
    expect(sent).toHaveLength(1);
  });

  it("the in-memory queue hands back real SQS events of the batch size", async () => {
    const queue = new InMemoryCheckQueue();
    await queue.sendBatch(messages);
    const events = queue.drain(10);
    expect(events.map((e) => e.Records.length)).toEqual([10, 10, 3]);
    expect(events[0]!.Records[0]).toMatchObject({
      eventSource: "aws:sqs",
      attributes: { ApproximateReceiveCount: "1" },
      body: JSON.stringify(messages[0]),
    });
    expect(queue.size).toBe(0);
  });
});

describe("check messages", () => {
  it("reads a message the dispatcher wrote", () => {
    expect(parseCheckMessage("m1", JSON.stringify(messages[0]))).toEqual(messages[0]);
  });

  it("reads the data centre a message names, and writes it back the same", () => {
    const withDc = { phone: phones[0]!, runId: "r1", dc: 4 };
    expect(parseCheckMessage("m1", formatCheckMessage(withDc))).toEqual(withDc);
    expect(formatCheckMessage({ phone: phones[0]!, runId: "r1" })).not.toContain("dc");
  });

  it.each([
    ["not JSON", "{", /the body is not JSON/],
    ["no runId", JSON.stringify({ phone: phones[0] }), /runId: /],
    [
      "a phone not in E.164",
      JSON.stringify({ phone: "90 200 00 00", runId: "r1" }),
      /phone is not an E.164 number/,
    ],
    [
      "a phone spelled differently",
      JSON.stringify({ phone: "998902000000", runId: "r1" }),
      /phone is not an E.164/,
    ],
    ["a run id with a newline", JSON.stringify({ phone: phones[0], runId: "r1\nx" }), /run id never has/],
    [
      "a data centre that is not a number",
      JSON.stringify({ phone: phones[0], runId: "r1", dc: "2" }),
      /dc: /,
    ],
    ["data centre 0", JSON.stringify({ phone: phones[0], runId: "r1", dc: 0 }), /dc: /],
  ])("refuses %s, naming the message and what to do", (_what, body, reason) => {
    const error = (() => {
      try {
        parseCheckMessage("m-42", body);
      } catch (e) {
        return e;
      }
    })();
    expect(error).toBeInstanceOf(MalformedCheckMessageError);
    expect((error as Error).message).toMatch(reason);
    expect((error as Error).message).toMatch(/^Health check message m-42 is not .*dead-letter queue/);
  });

  it("names a scheduled run by its scheduled time, so a repeated schedule event is the same run", () => {
    const at = new Date("2026-11-27T00:00:00.000Z");
    expect(runIdFor(at, new Date())).toBe("hc-2026-11-27T00:00:00Z");
    expect(runIdFor(undefined, at)).toMatch(/^hc-2026-11-27T00:00:00Z-[0-9a-f]{6}$/);
  });
});

describe("bounded concurrency", () => {
  it("never runs more than the limit at once and starts the next as soon as one ends", async () => {
    const limit = createLimiter(2);
    const started: number[] = [];
    const release: (() => void)[] = [];
    const all = [0, 1, 2, 3, 4].map((i) =>
      limit(async () => {
        started.push(i);
        await new Promise<void>((resolve) => release.push(resolve));
        return i;
      }),
    );
    const settle = () => new Promise<void>((resolve) => setImmediate(resolve));
    await settle();
    expect(started).toEqual([0, 1]);
    release.shift()!();
    await settle();
    expect(started).toEqual([0, 1, 2]);
    release.shift()!();
    release.shift()!();
    await settle();
    expect(started).toEqual([0, 1, 2, 3, 4]);
    release.splice(0).forEach((r) => r());
    expect(await Promise.all(all)).toEqual([0, 1, 2, 3, 4]);
  });
});
