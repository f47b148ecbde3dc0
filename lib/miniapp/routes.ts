/**
 * The Mini App's paths, shared by the handler (lib/miniapp/handler.ts) and the stack's routes
 * (infra/service-stack.ts): the page at `GET /login`, its JSON calls at `POST /login/<step>`.
 */
export const LOGIN_PATH = "/login";
export const LOGIN_STEPS = ["state", "code", "password"] as const;
export type LoginStep = (typeof LOGIN_STEPS)[number];
