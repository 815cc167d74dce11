import cluster, { type Worker } from 'node:cluster'
import type { Logger } from 'pino'

/** What a worker tells the supervisor once it listens. */
export interface ListeningMessage {
  type: 'pytrack:listening'
  url: string
}

export function isListeningMessage(message: unknown): message is ListeningMessage {
  return typeof message === 'object' && message !== null && (message as { type?: unknown }).type === 'pytrack:listening'
}

/** Tells the supervisor (when there is one) that this worker listens at `url`. */
export function reportListening(url: string): void {
  if (cluster.isWorker) process.send?.({ type: 'pytrack:listening', url } satisfies ListeningMessage)
}

export interface SupervisorOptions {
  /** Worker processes to keep running. */
  workers: number
  logger: Logger
  /** The worker's environment (the supervisor's own). */
  env: NodeJS.ProcessEnv
  /** The script and arguments a worker runs: `pytrack serve ...`. */
  exec: string
  args: readonly string[]
  /** How long a worker may take to drain on SIGTERM before it is killed. */
  shutdownTimeoutMs: number
}

export interface Supervisor {
  /** Resolves with the URL once every worker listens; rejects when a worker cannot start (bad settings). */
  ready: Promise<string>
  /** Sends SIGTERM to every worker, waits for all to drain and exit, and resolves with the exit code. */
  stop(): Promise<number>
}

/** A worker that dies sooner than this after it started counts as crashing: the restarts back off. */
const HEALTHY_MS = 10_000
const MAX_BACKOFF_MS = 10_000
/** The exit code of a worker that refused its settings: restarting would only fail again. */
const EXIT_USAGE = 2

/**
 * Runs `pytrack serve` in `workers` processes (node:cluster: they share the listening socket,
 * connections spread over them), restarts one that dies (with a back-off when it keeps dying
 * young), and on `stop()` lets every worker drain (each finishes its requests and commits) and
 * exit.
 */
export function superviseWorkers(options: SupervisorOptions): Supervisor {
  const { logger, workers } = options
  cluster.setupPrimary({ exec: options.exec, args: [...options.args], silent: false })
  const listening = new Set<number>()
  const started = new Map<number, number>()
  let backoff = 100
  let stopping = false
  let url = ''
  let resolveReady!: (url: string) => void
  let rejectReady!: (error: Error) => void
  const ready = new Promise<string>((resolve, reject) => {
    resolveReady = resolve
    rejectReady = reject
  })
  ready.catch(() => undefined)

  const fork = (): Worker => {
    const worker = cluster.fork({ ...options.env, PYTRACK_WORKERS: '1' })
    started.set(worker.id, Date.now())
    worker.on('message', (message: unknown) => {
      if (!isListeningMessage(message)) return
      listening.add(worker.id)
      url = message.url
      if (listening.size === workers) resolveReady(url)
    })
    return worker
  }

  cluster.on('exit', (worker, code, signal) => {
    const wasListening = listening.delete(worker.id)
    const lived = Date.now() - (started.get(worker.id) ?? Date.now())
    started.delete(worker.id)
    if (stopping) return
    if (code === EXIT_USAGE && !wasListening) {
      rejectReady(new Error('a worker refused the settings (see its message above)'))
      return
    }
    backoff = lived >= HEALTHY_MS ? 100 : Math.min(MAX_BACKOFF_MS, backoff * 2)
    logger.error({ worker: worker.process.pid, code, signal, restartInMs: backoff }, 'worker exited; starting another')
    setTimeout(() => {
      if (!stopping) fork()
    }, backoff).unref()
  })

  for (let i = 0; i < workers; i++) fork()

  let stopped: Promise<number> | undefined
  const stop = (): Promise<number> => {
    stopped ??= new Promise<number>((resolve) => {
      stopping = true
      const alive = Object.values(cluster.workers ?? {}).filter((worker): worker is Worker => worker !== undefined && !worker.isDead())
      if (alive.length === 0) {
        resolve(0)
        return
      }
      let failed = false
      let left = alive.length
      for (const worker of alive) {
        // SIGTERM: the worker stops accepting, finishes its requests (each commits before it
        // answers) and deliveries, closes its store, and exits 0.
        const kill = setTimeout(() => worker.process.kill('SIGKILL'), options.shutdownTimeoutMs + 5_000)
        worker.once('exit', (code) => {
          clearTimeout(kill)
          if (code !== 0) failed = true
          if (--left === 0) resolve(failed ? 1 : 0)
        })
        worker.process.kill('SIGTERM')
      }
    })
    return stopped
  }
  return { ready, stop }
}
