import { describe, expect, it } from 'vitest'
import { InvalidLinkError, isPytrackError, TrackingResult, type PytrackError } from '@pytrack/core'
import { settle } from '../../../../test-utils/wait'
import { createHookErrorReporter, createHookScheduler } from './hook-scheduler'
import { WebCoreRequest } from './web-bridge'

const request = (): WebCoreRequest => new WebCoreRequest(new Request('https://t.example.com/open/e30='), '192.0.2.1')
const result = (n: number): TrackingResult => new TrackingResult({ isOpenTracking: true, isClickTracking: false, metadata: { n } })

describe('createHookScheduler', () => {
  it('runs the hooks after the answer (not in the call, not in its microtasks), in the order of the hits', async () => {
    const order: string[] = []
    const hooks = createHookScheduler(
      (r) => void order.push(`event ${String(r.metadata.n)}`),
      (e) => void order.push(`error ${e.code}`),
      () => {},
    )
    hooks.trackingEvent(result(1), request(), {})
    hooks.decodingError(new InvalidLinkError('bad'), request(), {})
    hooks.trackingEvent(result(2), request(), {})
    order.push('answered')
    await Promise.resolve()
    order.push('microtasks done')
    await settle()
    expect(order).toEqual(['answered', 'microtasks done', 'event 1', 'error ERR_PYTRACK_INVALID_LINK', 'event 2'])
  })

  it('gives the hooks the Web Request and the context', async () => {
    const seen: [Request, unknown][] = []
    const hooks = createHookScheduler((_r, req, context) => void seen.push([req, context.remoteAddress]), undefined, () => {})
    const hit = request()
    hooks.trackingEvent(result(1), hit, { remoteAddress: '192.0.2.7' })
    await settle()
    expect(seen).toEqual([[hit.toRequest(), '192.0.2.7']])
  })

  it('wraps an error that is no PytrackError in InvalidLinkError, keeping it as the cause', async () => {
    const errors: PytrackError[] = []
    const hooks = createHookScheduler(undefined, (e) => void errors.push(e), () => {})
    const cause = new SyntaxError('not base64')
    hooks.decodingError(cause, request(), {})
    await settle()
    expect(isPytrackError(errors[0], 'ERR_PYTRACK_INVALID_LINK')).toBe(true)
    expect(errors[0]?.cause).toBe(cause)
  })

  it('reports what a hook throws or rejects with, and runs the hooks after it', async () => {
    const reported: unknown[] = []
    const ran: number[] = []
    const hooks = createHookScheduler(
      (r) => {
        const n = r.metadata.n as number
        ran.push(n)
        if (n === 1) throw new Error('threw')
        if (n === 2) return Promise.reject(new Error('rejected'))
        return undefined
      },
      undefined,
      (error) => void reported.push((error as Error).message),
    )
    for (const n of [1, 2, 3]) hooks.trackingEvent(result(n), request(), {})
    await settle()
    expect(ran).toEqual([1, 2, 3])
    expect(reported.sort()).toEqual(['rejected', 'threw'])
  })

  // waitUntil is tested through the handler: tracking-handler.test.ts, 'keeps hooks alive with context.waitUntil until they settle'.
})

describe('createHookErrorReporter', () => {
  it('passes the error on, and swallows what onHookError throws or rejects with', async () => {
    const seen: unknown[] = []
    createHookErrorReporter((error) => void seen.push(error))('first')
    expect(seen).toEqual(['first'])
    const unhandled: unknown[] = []
    const onUnhandled = (reason: unknown): void => void unhandled.push(reason)
    process.on('unhandledRejection', onUnhandled)
    try {
      expect(() => createHookErrorReporter(() => { throw new Error('x') })('e')).not.toThrow()
      createHookErrorReporter(() => Promise.reject(new Error('y')))('e')
      await settle()
      expect(unhandled).toEqual([])
    } finally {
      process.off('unhandledRejection', onUnhandled)
    }
  })
})
