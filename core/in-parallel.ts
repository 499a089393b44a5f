/**
 * Runs `work` on every item, at most `limit` at a time, each worker taking the next item when it is done. When
 * one fails, no further item is started, the ones under way are let finish, and then the first error is
 * thrown: nothing still runs behind a caller that has moved on (to an abort, a retry, a report).
 */
export async function inParallel<T>(
  items: readonly T[],
  limit: number,
  work: (item: T) => Promise<void>,
): Promise<void> {
  let next = 0;
  let failure: { error: unknown } | undefined;
  const workers = Array.from({ length: Math.min(limit, items.length) }, async () => {
    while (failure === undefined && next < items.length) {
      const item = items[next++] as T;
      try {
        await work(item);
      } catch (error) {
        failure ??= { error };
      }
    }
  });
  await Promise.all(workers);
  if (failure) throw failure.error;
}

/**
 * `inParallel`, asking `stopped` before every `every`-th item: once it answers true, the items not begun are
 * skipped. Returns whether it stopped (an operator's stop reaches a long share within `every` items).
 */
export async function inParallelUnlessStopped<T>(
  items: readonly T[],
  limit: number,
  stopped: () => Promise<boolean>,
  work: (item: T) => Promise<void>,
  every = 50,
): Promise<boolean> {
  let sinceCheck = 0;
  let halted = false;
  await inParallel(items, limit, async (item) => {
    if (halted) return;
    if (++sinceCheck >= every) {
      sinceCheck = 0;
      if (await stopped()) {
        halted = true;
        return;
      }
    }
    await work(item);
  });
  return halted;
}
