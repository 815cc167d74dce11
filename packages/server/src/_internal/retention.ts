import type { Logger } from 'pino'
import type { EventStore } from '../store/event-store'

/** What the retention job keeps, and for how long. */
export interface RetentionPolicy {
  /** Age (ms) after which events are anonymised or deleted; null keeps them as they are. */
  eventsMs: number | null
  /** `anonymize`: drop the client's address, User-Agent, referer and `dropKeys`; `delete`: remove the events. */
  mode: 'anonymize' | 'delete'
  /** Metadata keys anonymising removes. */
  dropKeys: readonly string[]
  /** Age (ms) after which delivered webhook outbox rows are deleted; null keeps them. */
  deliveredOutboxMs: number | null
}

/** Rows a pass: short enough that a tracking hit never waits long behind one (a few ms on SQLite). */
const PASS_LIMIT = 500
/** Rest after a pass, as a multiple of the time it took. */
const REST_FACTOR = 4
/** How often the job looks again once it has caught up. */
const INTERVAL_MS = 10 * 60_000

export interface RetentionJob {
  /** Runs passes until nothing is left to do; resolves with the rows changed. For tests and the first start. */
  runOnce(): Promise<number>
  /** Stops the timer and waits for the pass under way. */
  stop(): Promise<void>
}

/**
 * The background retention job. Its state is the database itself (anonymised rows leave the
 * store's index of identified events; deleted rows are gone), so a restart resumes where it
 * stopped and several instances on one database can run it at once. Each pass takes at most
 * {@link PASS_LIMIT} rows in one short transaction and the job rests between passes (four times
 * as long as the pass took), so pixels and redirects keep their turn and most of the CPU.
 */
export function startRetentionJob(store: EventStore, policy: RetentionPolicy, logger: Logger): RetentionJob {
  let running: Promise<number> | null = null
  let timer: NodeJS.Timeout | null = null
  let stopped = false
  // Rests REST_FACTOR times as long as each pass took: the job takes at most a fifth of a core's
  // time, so a catch-up of millions of rows never halves the tracking routes' throughput.
  const rest = (ms: number): Promise<void> => new Promise((resolve) => setTimeout(resolve, Math.max(1, ms * REST_FACTOR)))

  async function drain(pass: () => Promise<number>): Promise<number> {
    let total = 0
    for (;;) {
      if (stopped) return total
      const started = performance.now()
      const changed = await pass()
      total += changed
      if (changed < PASS_LIMIT) return total
      await rest(performance.now() - started)
    }
  }

  async function run(): Promise<number> {
    const now = Date.now()
    let changed = 0
    const { eventsMs, deliveredOutboxMs } = policy
    if (eventsMs !== null) {
      const before = now - eventsMs
      const events =
        policy.mode === 'delete'
          ? await drain(async () => (await store.deleteEvents({ before, limit: PASS_LIMIT })).events)
          : await drain(async () => store.anonymizeEvents({ before, limit: PASS_LIMIT, dropKeys: policy.dropKeys }))
      if (events > 0) logger.info({ events, mode: policy.mode }, `retention: ${policy.mode === 'delete' ? 'deleted' : 'anonymised'} old events`)
      changed += events
    }
    if (deliveredOutboxMs !== null) {
      const before = now - deliveredOutboxMs
      const rows = await drain(async () => store.pruneOutbox({ before, limit: PASS_LIMIT }))
      if (rows > 0) logger.info({ deliveries: rows }, 'retention: pruned delivered webhook deliveries')
      changed += rows
    }
    return changed
  }

  function runOnce(): Promise<number> {
    running ??= run().finally(() => {
      running = null
    })
    return running
  }

  function cycle(): void {
    if (stopped) return
    runOnce().then(schedule, (error: unknown) => {
      logger.error({ err: error }, 'retention pass failed; trying again later')
      schedule()
    })
  }

  function schedule(): void {
    if (stopped) return
    timer = setTimeout(cycle, INTERVAL_MS)
    timer.unref()
  }

  // The first pass at start: a server that was down catches up at once.
  if (policy.eventsMs !== null || policy.deliveredOutboxMs !== null) setImmediate(cycle)

  return {
    runOnce,
    async stop() {
      stopped = true
      if (timer !== null) clearTimeout(timer)
      await running?.catch(() => undefined)
    },
  }
}
