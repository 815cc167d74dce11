import { describe, expect, it } from 'vitest'
import { PytrackError, isPytrackError } from '@pytrack/core'
import {
  QueueClosedError,
  QueueFullError,
  WebhookDeliveryError,
  WebhookUrlNotAllowedError,
  WebhookVerificationError,
} from './index'

describe('errors', () => {
  it.each([
    [new WebhookDeliveryError('m', { status: 503, attempts: 3 }), 'ERR_PYTRACK_WEBHOOK_DELIVERY', 'WebhookDeliveryError'],
    [new WebhookUrlNotAllowedError('m'), 'ERR_PYTRACK_WEBHOOK_URL_NOT_ALLOWED', 'WebhookUrlNotAllowedError'],
    [new WebhookVerificationError('m', { reason: 'invalid-signature' }), 'ERR_PYTRACK_WEBHOOK_VERIFICATION', 'WebhookVerificationError'],
    [new QueueFullError('m', { capacity: 10 }), 'ERR_PYTRACK_QUEUE_FULL', 'QueueFullError'],
    [new QueueClosedError('m'), 'ERR_PYTRACK_QUEUE_CLOSED', 'QueueClosedError'],
  ])('%s has its code and name, and is a PytrackError', (error, code, name) => {
    expect(error).toBeInstanceOf(PytrackError)
    expect(error.code).toBe(code)
    expect(error.name).toBe(name)
    expect(isPytrackError(error, code as never)).toBe(true)
  })

  it('keep the cause', () => {
    const cause = new Error('ECONNRESET')
    expect(new WebhookDeliveryError('m', { status: null, attempts: 1, cause }).cause).toBe(cause)
  })
})
