// Waiting in tests for the event that matters, never for a guessed time: a fixed sleep is
// either too short on a busy machine (a flaky test) or longer than needed (a slow one).

/** State a test waits on: whatever changes it calls `notify()`, and each `until` checks again. */
export interface Watch {
  /** Checks every pending `until` again (call it after changing what they look at). */
  notify(): void
  /** Resolves with the first value of `check()` that is neither `undefined` nor `false`, checked now and after each `notify()`. */
  until<T>(check: () => T | undefined | false): Promise<T>
}

export function createWatch(): Watch {
  const waiters = new Set<() => void>()
  return {
    notify() {
      for (const waiter of [...waiters]) waiter()
    },
    until<T>(check: () => T | undefined | false): Promise<T> {
      return new Promise<T>((resolve, reject) => {
        const attempt = (): void => {
          try {
            const found = check()
            if (found === undefined || found === false) return
            waiters.delete(attempt)
            resolve(found)
          } catch (error) {
            waiters.delete(attempt)
            reject(error)
          }
        }
        waiters.add(attempt)
        attempt()
      })
    },
  }
}

/** A promise with its resolve function outside: a gate the test opens, or an event it awaits. */
export function deferred<T = void>(): { promise: Promise<T>; resolve(value: T): void } {
  let resolve!: (value: T) => void
  const promise = new Promise<T>((r) => (resolve = r))
  return { promise, resolve }
}

/**
 * Lets the event loop run what is already queued (promise jobs, timers due now, I/O callbacks
 * that are ready): after it, work that nothing holds back has run. For asserting that something
 * did not happen because the test still holds what it waits for.
 */
export async function settle(turns = 3): Promise<void> {
  for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve))
}
