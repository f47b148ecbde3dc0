/**
 * Lambda entry point: admin-bot. Not built yet; its issue replaces this file with the real handler.
 */
export function handler(): Promise<never> {
  return Promise.reject(new Error("admin-bot is not built yet."));
}
