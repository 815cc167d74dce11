// The adapt worker thread (see _internal/adapt-pool.ts): rewrites emails for /api/v1/adapt and
// /api/v1/adapt-text away from the event loop the pixels and redirects share.
import { parentPort, workerData } from 'node:worker_threads'
import { isPytrackError } from '@pytrack/core'
import type { AdaptAnswer, AdaptJob, AdaptWorkerData } from './_internal/adapt-pool'
import { adaptBody } from './_internal/adapt-body'
import { configurationOf } from './_internal/codec'

// The server's own settings and the keys it loaded: links made here are the server's links.
const { settings, keys } = workerData as AdaptWorkerData
const configuration = configurationOf(settings, keys)

parentPort?.on('message', ({ id, ...job }: AdaptJob & { id: number }) => {
  let answer: AdaptAnswer
  try {
    answer = { id, json: JSON.stringify(adaptBody(job, configuration)) }
  } catch (error) {
    answer = {
      id,
      error: isPytrackError(error)
        ? { code: error.code, message: error.message }
        : { code: null, message: error instanceof Error ? (error.stack ?? error.message) : String(error) },
    }
  }
  parentPort?.postMessage(answer)
})
