import { Worker } from 'node:worker_threads'
import type { Logger } from 'pino'
import type { ServerSettings } from '../settings'
import type { LoadedKeys } from './keys'

/** What the worker builds its link configuration from (the server's own settings and keys). */
export interface AdaptWorkerData {
  readonly settings: ServerSettings
  readonly keys: LoadedKeys
}

/** One adapt request, as the worker takes it: the checked body of `/api/v1/adapt` or `/adapt-text`. */
export interface AdaptJob {
  readonly kind: 'html' | 'text'
  readonly body: Record<string, unknown>
}

/** The worker's answer: the response body as JSON text, or the error it threw (a pytrack code, or none). */
export type AdaptAnswer =
  | { readonly id: number; readonly json: string }
  | { readonly id: number; readonly error: { readonly code: string | null; readonly message: string } }

/** What a job rejects with when the worker threw: the pytrack error code (null for a bug) and message. */
export class AdaptJobError extends Error {
  readonly code: string | null
  constructor(code: string | null, message: string) {
    super(message)
    this.name = 'AdaptJobError'
    this.code = code
  }
}

/**
 * Adapt requests waiting for the worker or in it, at most: each holds up to 1 MiB of email, so a
 * flood of them is refused (503) instead of queued without end.
 */
export const MAX_QUEUED_ADAPTS = 8

export interface AdaptPool {
  /** Adapts in the worker; resolves with the response body (JSON text). */
  run(job: AdaptJob): Promise<string>
  /** Jobs sent to the worker and not answered yet. */
  readonly queued: number
  close(): Promise<void>
}

// The built worker sits beside the built server; run from its TypeScript sources (tests, tsx), the
// server starts the built one (`pnpm build`; the test setup builds it when stale).
const WORKER_FILE = import.meta.url.endsWith('.ts') ? '../../dist/adapt-worker.mjs' : './adapt-worker.mjs'

/**
 * Adapting an email is the API's one long synchronous task (1 MiB of HTML and 500 links held the
 * event loop for 50 to 90 ms on the team's 2-core machine), so it runs in one worker thread and
 * pixels and redirects never wait behind it (bench/adapt-delay.ts). The worker starts on the
 * first adapt request and again after a crash; jobs run one at a time, in order.
 */
export function createAdaptPool(workerData: AdaptWorkerData, logger: Pick<Logger, 'error'>): AdaptPool {
  let worker: Worker | undefined
  let nextId = 0
  const pending = new Map<number, { resolve(json: string): void; reject(error: Error): void }>()

  function failAll(error: Error): void {
    for (const job of pending.values()) job.reject(error)
    pending.clear()
  }

  function started(): Worker {
    if (worker) return worker
    const created = new Worker(new URL(WORKER_FILE, import.meta.url), { workerData })
    created.unref() // a server that closes without adapting anything does not wait for it
    created.on('message', (answer: AdaptAnswer) => {
      const job = pending.get(answer.id)
      if (!job) return
      pending.delete(answer.id)
      if ('json' in answer) job.resolve(answer.json)
      else job.reject(new AdaptJobError(answer.error.code, answer.error.message))
    })
    created.on('error', (error) => {
      logger.error({ err: error }, 'the adapt worker failed; it restarts on the next adapt request')
    })
    created.on('exit', (code) => {
      if (worker === created) worker = undefined
      failAll(new AdaptJobError(null, `the adapt worker stopped (exit code ${code})`))
    })
    worker = created
    return created
  }

  return {
    get queued() {
      return pending.size
    },
    run(job) {
      const id = nextId++
      return new Promise<string>((resolve, reject) => {
        pending.set(id, { resolve, reject })
        started().postMessage({ id, ...job })
      })
    },
    async close() {
      const running = worker
      worker = undefined
      if (running) await running.terminate()
      failAll(new AdaptJobError(null, 'the server is closing'))
    },
  }
}
