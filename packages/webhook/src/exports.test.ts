import { describe, expect, it } from 'vitest'

describe('@pytrack/webhook public surface', () => {
  it('exports exactly these names', async () => {
    const names = Object.keys(await import('./index')).sort()
    expect(names).toEqual([
      'QueueClosedError',
      'QueueFullError',
      'WebhookDeliveryError',
      'WebhookQueue',
      'WebhookUrlNotAllowedError',
      'WebhookVerificationError',
      'createWebhookQueue',
      'generateWebhookSecret',
      'sendWebhook',
      'sendWebhooks',
      'signWebhook',
      'verifyWebhook',
      'verifyWebhookSignature',
    ])
  })
})
