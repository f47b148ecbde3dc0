/**
 * The Mini App's paths, shared by the handler (lib/miniapp/handler.ts) and the stack's routes
 * (infra/service-stack.ts): the login page at `GET /login`, its JSON calls at `POST /login/<step>`; the fleet page.
 */
export const LOGIN_PATH = "/login";
export const LOGIN_STEPS = ["state", "code", "password"] as const;
export type LoginStep = (typeof LOGIN_STEPS)[number];

/** The read-only fleet page (`GET /fleet`) and its one JSON call (`POST /fleet/data`). */
export const FLEET_PATH = "/fleet";
export const FLEET_DATA_PATH = `${FLEET_PATH}/data`;

/** The fleet page's https URL, beside the login form's (`MINI_APP_URL` ends in `/login`). */
export function fleetPageUrl(miniAppUrl: string): string {
  return miniAppUrl.replace(/\/login$/, FLEET_PATH);
}
