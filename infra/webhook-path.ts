/**
 * The webhook's secret path (`/webhook/<segment>`), shared by `npm run webhook:set`/`webhook:info` and
 * `npm run dev --webhook`. Deployed, the segment is the stateful stack's generated webhook path secret; on one
 * machine it is derived from `WEBHOOK_SECRET` (HMAC-SHA256), so the local endpoint behaves like the deployed one
 * without another setting, and the segment gives nothing of the secret token away.
 */
import { createHmac } from "node:crypto";

/** The webhook's fixed part; the route is `POST ${WEBHOOK_ROUTE}/<segment>`. */
export const WEBHOOK_ROUTE = "/webhook";

/** The local segment: 32 hex characters of HMAC-SHA256(WEBHOOK_SECRET, a fixed label). */
export function localWebhookPath(webhookSecret: string): string {
  const segment = createHmac("sha256", webhookSecret).update("session-keeper webhook path").digest("hex");
  return `${WEBHOOK_ROUTE}/${segment.slice(0, 32)}`;
}

/**
 * A webhook URL fit for a terminal or a log: the secret last segment shortened to its first 4 characters, enough to
 * tell two values apart, far too little to call the route.
 */
export function maskWebhookUrl(url: string): string {
  return url.replace(new RegExp(`(${WEBHOOK_ROUTE}/)([A-Za-z0-9]{4})[A-Za-z0-9]*`), "$1$2…");
}
