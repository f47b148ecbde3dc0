/**
 * Bounded concurrency: at most `concurrency` calls of `fn` in flight. Each check holds a Telegram connection, so the
 * bound is what keeps one invocation (or the CLI) from opening a hundred connections from one IP at once.
 */
export function createLimiter(concurrency: number): <T>(fn: () => Promise<T>) => Promise<T> {
  const max = Math.max(1, Math.trunc(concurrency));
  let active = 0;
  const waiting: (() => void)[] = [];
  return async <T>(fn: () => Promise<T>): Promise<T> => {
    // A finished call hands its slot straight to the next waiter, so a newcomer can never slip in between.
    if (active >= max) await new Promise<void>((resolve) => waiting.push(resolve));
    else active += 1;
    try {
      return await fn();
    } finally {
      const next = waiting.shift();
      if (next) next();
      else active -= 1;
    }
  };
}
