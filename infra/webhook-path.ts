/**
 * The webhook's secret path (`/webhook/<segment>`), shared by `npm run webhook:set`/`webhook:info` and
 * `npm run dev --webhook`. Deployed, the segment is the stateful stack's generated webhook path secret; on one
 * machine it is derived from `WEBHOOK_SECRET` (HMAC-SHA256), so the local endpoint behaves like the deployed one
 * without another setting, and the segment gives nothing of the secret token away.
 */
import { createHmac } from "node:crypto";
import { WEBHOOK_ROUTE } from "../lib/deployment";

/** The route's fixed part, and the masking of a whole URL for a terminal: kept with the stack outputs' readers. */
export { maskWebhookUrl, WEBHOOK_ROUTE } from "../lib/deployment";

/** The local segment: 32 hex characters of HMAC-SHA256(WEBHOOK_SECRET, a fixed label). */
export function localWebhookPath(webhookSecret: string): string {
  const segment = createHmac("sha256", webhookSecret).update("session-keeper webhook path").digest("hex");
  return `${WEBHOOK_ROUTE}/${segment.slice(0, 32)}`;
}
