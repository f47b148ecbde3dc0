/**
 * Lambda entry point: health-check-dispatch. Not built yet; its issue replaces this file with the real handler.
 */
export function handler(): Promise<never> {
  return Promise.reject(new Error("health-check-dispatch is not built yet."));
}
