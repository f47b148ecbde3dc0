/**
 * Load held (issue 19): the reliability suite's burst (test/support/webhook-burst.ts) on the bench's DynamoDB
 * Local: real `/start` updates from 50 admins through the real webhook handler in this process, 20% delivered twice,
 * 5% of DynamoDB attempts throttled, 40 in flight. Counted from what the admins saw: updates never answered (lost)
 * and updates answered twice.
 */
import { createLocalStore } from "../test/support/local-store";
import { runWebhookBurst } from "../test/support/webhook-burst";
import { round } from "./lib/stats";

export interface LoadFigures {
  readonly updates: number;
  readonly deliveries: number;
  readonly throttled: number;
  readonly updatesLost: number;
  readonly updatesProcessedTwice: number;
  readonly p50Ms: number;
  readonly p99Ms: number;
  readonly seconds: number;
}

export async function measureLoad(options: {
  updates: number;
  endpoint: string;
  log: (line: string) => void;
}): Promise<LoadFigures> {
  const store = await createLocalStore(options.endpoint, "bench-load");
  const r = await runWebhookBurst({
    updates: options.updates,
    admins: 50,
    duplicateShare: 0.2,
    throttleShare: 0.05,
    concurrency: 40,
    seed: 20261203,
    store,
  });
  const figures: LoadFigures = {
    updates: r.updates,
    deliveries: r.deliveries,
    throttled: r.throttled,
    updatesLost: r.updatesLost,
    updatesProcessedTwice: r.updatesProcessedTwice,
    p50Ms: round(r.p50Ms, 1),
    p99Ms: round(r.p99Ms, 1),
    seconds: round(r.seconds, 1),
  };
  options.log(`load: ${JSON.stringify(figures)}`);
  return figures;
}
