/** A FIFO mutual-exclusion lock for async code in one process. */
export interface AsyncMutex {
  acquire(): Promise<() => void>;
  runExclusive<T>(work: () => Promise<T>): Promise<T>;
  /** Whether someone is queued behind the current holder (lets a long holder yield). */
  hasWaiters(): boolean;
}

export function createAsyncMutex(): AsyncMutex {
  let tail: Promise<void> = Promise.resolve();
  let queued = 0;
  const acquire = () => {
    let release!: () => void;
    const held = new Promise<void>((resolve) => (release = resolve));
    queued++;
    const ready = tail.then(() => {
      queued--;
      return release;
    });
    tail = tail.then(() => held);
    return ready;
  };
  return {
    acquire,
    hasWaiters: () => queued > 0,
    async runExclusive(work) {
      const release = await acquire();
      try {
        return await work();
      } finally {
        release();
      }
    },
  };
}
