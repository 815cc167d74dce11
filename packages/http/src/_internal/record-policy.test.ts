import { describe, expect, it } from 'vitest'
import { TrackingResult } from '@pytrack/core'
import { settle } from '../../../../test-utils/wait'
import { createHookScheduler } from './hook-scheduler'
import { createRecordPolicy } from './record-policy'
import { PIXEL_ANSWER } from './responses'
import { WebCoreRequest } from './web-bridge'

const hit = (): WebCoreRequest => new WebCoreRequest(new Request('https://t.example.com/open/e30='), '192.0.2.1')
const result = new TrackingResult({ isOpenTracking: true, isClickTracking: false, metadata: {} })

function setUp(recordEvent?: () => unknown) {
  const order: string[] = []
  const reported: unknown[] = []
  const hooks = createHookScheduler(() => void order.push('event'), undefined, (error) => void reported.push(error))
  const acknowledge = createRecordPolicy(
    recordEvent && (() => (order.push('record'), recordEvent())),
    hooks,
    (error) => void reported.push((error as Error).message),
  )
  return { order, reported, acknowledge }
}

describe('createRecordPolicy', () => {
  it('answers at once and queues onTrackingEvent when there is no recorder, or it returns no promise', async () => {
    for (const recorder of [undefined, () => undefined, () => 42]) {
      const { order, acknowledge } = setUp(recorder)
      expect(acknowledge(result, PIXEL_ANSWER.get, false, hit(), {})).toBe(PIXEL_ANSWER.get)
      await settle()
      expect(order).toEqual(recorder ? ['record', 'event'] : ['event'])
    }
  })

  it('answers only once a thenable the recorder returned has resolved, then queues onTrackingEvent', async () => {
    let resolveRecord: (value: unknown) => void = () => {}
    const { order, acknowledge } = setUp(() => ({ then: (resolve: (value: unknown) => void) => (resolveRecord = resolve) }))
    const answer = acknowledge(result, PIXEL_ANSWER.get, false, hit(), {})
    expect(answer).toBeInstanceOf(Promise)
    let answered = false
    void (answer as Promise<unknown>).then(() => (answered = true))
    await settle()
    expect([answered, order]).toEqual([false, ['record']])
    resolveRecord(undefined)
    expect(await answer).toBe(PIXEL_ANSWER.get)
    await settle()
    expect(order).toEqual(['record', 'event'])
  })

  it('answers 503 with Retry-After when the recorder throws or rejects, reports it, and skips onTrackingEvent', async () => {
    for (const recorder of [() => { throw new Error('threw') }, () => Promise.reject(new Error('rejected'))]) {
      const { order, reported, acknowledge } = setUp(recorder)
      const get = await acknowledge(result, PIXEL_ANSWER.get, false, hit(), {})
      const head = await acknowledge(result, PIXEL_ANSWER.head, true, hit(), {})
      expect([get.status, get.headers['retry-after'], get.body === null]).toEqual([503, '1', false])
      expect([head.status, head.body]).toEqual([503, null])
      await settle()
      expect(order).toEqual(['record', 'record'])
      expect(reported).toHaveLength(2)
    }
  })
})
