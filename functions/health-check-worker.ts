/**
 * Lambda entry point: health-check-worker. Not built yet; its issue replaces this file with the real handler.
 */
export function handler(): Promise<never> {
  return Promise.reject(new Error("health-check-worker is not built yet."));
}
