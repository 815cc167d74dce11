import type { EventStore, RecordedEvent, RecordRequest } from '../store/event-store'

type Done = (error: unknown, recorded: RecordedEvent | undefined) => void

/**
 * Group commit: the hits that arrive together are written in one transaction, and each
 * caller hears back only once that transaction is committed. One commit per loop turn instead
 * of one per hit, with the same guarantee (nobody is told "stored" before the commit).
 */
export class GroupCommit {
  readonly #store: EventStore
  #queue: { request: RecordRequest; done: Done }[] = []
  #scheduled = false
  #flushing = false

  constructor(store: EventStore) {
    this.#store = store
  }

  add(request: RecordRequest, done: Done): void {
    this.#queue.push({ request, done })
    this.#schedule()
  }

  #schedule(): void {
    if (this.#scheduled || this.#flushing) return
    this.#scheduled = true
    // Runs after every hook of this loop turn has queued its event.
    setImmediate(() => {
      this.#scheduled = false
      void this.#flush()
    })
  }

  async #flush(): Promise<void> {
    const batch = this.#queue
    this.#queue = []
    if (batch.length === 0) return
    this.#flushing = true
    try {
      let recorded: RecordedEvent[] | undefined
      let failure: unknown
      try {
        recorded = await this.#store.recordEvents(batch.map((item) => item.request))
      } catch (error) {
        failure = error
      }
      if (recorded !== undefined) {
        batch.forEach((item, i) => item.done(undefined, recorded[i]))
      } else if (batch.length === 1) {
        batch[0]?.done(failure, undefined)
      } else {
        // One bad event must not fail its neighbours: write them one by one.
        for (const item of batch) {
          try {
            item.done(undefined, await this.#store.recordEvent(item.request.event, item.request.outbox))
          } catch (error) {
            item.done(error, undefined)
          }
        }
      }
    } finally {
      this.#flushing = false
      if (this.#queue.length > 0) this.#schedule()
    }
  }
}
