import type { EventStore, RecordedEvent, RecordRequest } from '../store/event-store'
import { StoreError } from '../errors/store-error'

interface Waiting {
  request: RecordRequest
  resolve: (recorded: RecordedEvent) => void
  reject: (error: unknown) => void
}

/**
 * Group commit: the hits that arrive together are written in one transaction, and each
 * caller's promise settles only once that transaction is committed. One commit per loop turn
 * instead of one per hit, with the same guarantee (nobody is told "stored" before the commit).
 */
export class GroupCommit {
  readonly #store: EventStore
  #queue: Waiting[] = []
  #scheduled = false
  #flushing = false

  constructor(store: EventStore) {
    this.#store = store
  }

  /** Resolves with the stored event once the transaction holding it is committed. */
  add(request: RecordRequest): Promise<RecordedEvent> {
    return new Promise((resolve, reject) => {
      this.#queue.push({ request, resolve, reject })
      this.#schedule()
    })
  }

  #schedule(): void {
    if (this.#scheduled || this.#flushing) return
    this.#scheduled = true
    // Runs after every request of this loop turn has queued its event.
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
        batch.forEach((item, i) => {
          const stored = recorded[i]
          if (stored === undefined) item.reject(new StoreError('the store answered a group commit with fewer events than it was given'))
          else item.resolve(stored)
        })
      } else if (batch.length === 1) {
        batch[0]?.reject(failure)
      } else {
        // One bad event must not fail its neighbours: write them one by one.
        for (const item of batch) {
          try {
            item.resolve(await this.#store.recordEvent(item.request.event, item.request.outbox))
          } catch (error) {
            item.reject(error)
          }
        }
      }
    } finally {
      this.#flushing = false
      if (this.#queue.length > 0) this.#schedule()
    }
  }
}
