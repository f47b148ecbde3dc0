/**
 * Lambda entry point: cleanup. Not built yet; its issue replaces this file with the real handler.
 */
export function handler(): Promise<never> {
  return Promise.reject(new Error("cleanup is not built yet."));
}
