// Type tests of the public API, checked by `pnpm typecheck` (tsc): a wrong type fails the build.
// Each `@ts-expect-error` is a call or value the types must refuse.
import { PytrackError, TrackingResult, isPytrackError, type TrackingResultJson } from '@pytrack/core'
import { expectTypeOf } from 'vitest'
import {
  QueueClosedError,
  QueueFullError,
  WebhookDeliveryError,
  WebhookQueue,
  WebhookUrlNotAllowedError,
  WebhookVerificationError,
  createWebhookQueue,
  generateWebhookSecret,
  sendWebhook,
  sendWebhooks,
  signWebhook,
  verifyWebhook,
  type SendWebhookOptions,
  type SendWebhooksOptions,
  type VerifiedWebhook,
  type WebhookDelivered,
  type WebhookEndpoint,
  type WebhookEvent,
  type WebhookFailed,
  type WebhookOptions,
  type WebhookOutcome,
  type WebhookVerificationFailure,
} from '@pytrack/webhook'

const result = new TrackingResult({ isOpenTracking: false, isClickTracking: true, trackedUrl: 'https://example.com/' })

// Sending: outcomes, not exceptions, narrowed by `delivered`.
expectTypeOf(sendWebhook(result, { webhookUrl: 'https://hooks.example.com/t' })).resolves.toEqualTypeOf<WebhookOutcome>()
expectTypeOf(sendWebhooks(result, { endpoints: ['https://a.example.com/', { url: 'https://b.example.com/', events: ['click'] }] })).resolves.toEqualTypeOf<WebhookOutcome[]>()
expectTypeOf<WebhookOutcome>().toEqualTypeOf<WebhookDelivered | WebhookFailed>()
declare const outcome: WebhookOutcome
if (outcome.delivered) {
  expectTypeOf(outcome).toEqualTypeOf<WebhookDelivered>()
  expectTypeOf(outcome.status).toEqualTypeOf<number>()
  expectTypeOf(outcome.url).toEqualTypeOf<string>()
} else {
  expectTypeOf(outcome).toEqualTypeOf<WebhookFailed>()
  expectTypeOf(outcome.status).toEqualTypeOf<number | null>()
  expectTypeOf(outcome.error).toEqualTypeOf<PytrackError>()
}
expectTypeOf<SendWebhooksOptions>().toExtend<SendWebhookOptions>()
expectTypeOf<SendWebhookOptions>().toExtend<WebhookOptions>()
expectTypeOf<WebhookEvent>().toEqualTypeOf<'open' | 'click'>()
expectTypeOf<WebhookOptions['retry']>().toExtend<object | false | undefined>()
expectTypeOf<{ url: string; secret: string; timeoutSeconds: number }>().toExtend<WebhookEndpoint>()
// @ts-expect-error: endpoints subscribe to opens and clicks only
sendWebhooks(result, { endpoints: [{ url: 'https://a.example.com/', events: ['bounce'] }] })
// @ts-expect-error: the event is a TrackingResult, not its JSON
sendWebhook(result.toJSON())

// Signatures (Standard Webhooks).
expectTypeOf(generateWebhookSecret()).toEqualTypeOf<string>()
expectTypeOf(signWebhook('{}', { webhookId: 'msg_1', timestamp: 1, secret: 'whsec_x' })).toEqualTypeOf<string>()
const verified = verifyWebhook('{}', { 'webhook-id': 'msg_1' }, 'whsec_x', { toleranceSeconds: 300 })
expectTypeOf(verified).toEqualTypeOf<VerifiedWebhook>()
expectTypeOf(verified.payload).toEqualTypeOf<TrackingResultJson>()
expectTypeOf(verified.result).toEqualTypeOf<TrackingResult>()
expectTypeOf(verifyWebhook).parameter(1).toExtend<object>()
expectTypeOf(verifyWebhook('{}', new Headers(), ['whsec_new', 'whsec_old'])).toEqualTypeOf<VerifiedWebhook>()
// @ts-expect-error: signing needs the id and time
signWebhook('{}', { secret: 'whsec_x' })

// The queue.
const queue = createWebhookQueue({ webhookUrl: 'https://hooks.example.com/t', onFailed: (failed) => expectTypeOf(failed).toEqualTypeOf<WebhookFailed>() })
expectTypeOf(queue).toEqualTypeOf<WebhookQueue>()
expectTypeOf(queue.enqueue(result)).toEqualTypeOf<boolean>()
expectTypeOf(queue.enqueueAndWait(result)).resolves.toBeVoid()
expectTypeOf(queue.close({ discardQueued: true })).resolves.toBeVoid()
// @ts-expect-error: a queue must say what to do with failures
createWebhookQueue({ webhookUrl: 'https://hooks.example.com/t' })

// Errors.
for (const error of [QueueClosedError, QueueFullError, WebhookDeliveryError, WebhookUrlNotAllowedError, WebhookVerificationError]) {
  expectTypeOf(error.prototype).toExtend<PytrackError>()
}
expectTypeOf<WebhookVerificationError['reason']>().toEqualTypeOf<WebhookVerificationFailure>()
expectTypeOf<WebhookDeliveryError['status']>().toEqualTypeOf<number | null>()
expectTypeOf<QueueFullError['capacity']>().toEqualTypeOf<number>()
declare const caught: unknown
if (isPytrackError(caught, 'ERR_PYTRACK_QUEUE_FULL')) expectTypeOf(caught.capacity).toEqualTypeOf<number>()
if (isPytrackError(caught, 'ERR_PYTRACK_WEBHOOK_DELIVERY')) expectTypeOf(caught.status).toEqualTypeOf<number | null>()
