import type { TrackingResult } from '@pytrack/core'
import { deliver, notAttempted, type Message } from './_internal/deliver'
import { notAllowed, payloadOf, prepare, requireSomewhere, route, webhookIdOf } from './_internal/prepare'
import type { SendWebhookOptions, SendWebhooksOptions } from './webhook-options'
import type { WebhookOutcome } from './webhook-outcome'

/**
 * Posts a tracking result to its webhook, as pytracking's `send_webhook` does, but with
 * retries, an optional Standard Webhooks signature and a keep-alive connection pool. The body
 * is byte for byte what pytracking posts. The URL is the link's (only when
 * `allowedWebhookOrigins` allows it) or else the configured one.
 *
 * Resolves with the outcome, delivered or failed; it rejects only for mistakes in the
 * arguments (or, with `throwOnFailure`, with the failure's error).
 *
 * @example
 * ```ts
 * const result = getClickTrackingResult(request.url, { configuration })
 * const outcome = await sendWebhook(result, { configuration, secret: process.env.WEBHOOK_SECRET })
 * if (!outcome.delivered) logger.error(outcome.error.message)
 * ```
 */
export async function sendWebhook(result: TrackingResult, options: SendWebhookOptions = {}): Promise<WebhookOutcome> {
  // Without endpoints there is exactly one outcome: the primary webhook's, or the refused link's.
  const [outcome] = await send(result, options, false)
  return outcome!
}

/**
 * Posts a tracking result to every webhook that takes it: the configured one (or the link's,
 * when allowed) and each of `endpoints` whose `events` include this kind of event, all at
 * once, with the same `webhook-id`. Resolves with one outcome per receiver, in that order
 * (none when no receiver takes this event).
 *
 * @example
 * ```ts
 * const outcomes = await sendWebhooks(result, {
 *   configuration,
 *   endpoints: [{ url: 'https://crm.example.com/clicks', events: ['click'] }],
 * })
 * for (const outcome of outcomes) if (!outcome.delivered) logger.error(outcome.error.message)
 * ```
 */
export function sendWebhooks(result: TrackingResult, options: SendWebhooksOptions = {}): Promise<WebhookOutcome[]> {
  return send(result, options, true)
}

async function send(result: TrackingResult, options: SendWebhooksOptions, withEndpoints: boolean): Promise<WebhookOutcome[]> {
  const prepared = prepare(options, withEndpoints)
  const body = payloadOf(result)
  const webhookId = webhookIdOf(options.webhookId)
  requireSomewhere(result, prepared)
  const { targets, rejectedWebhookUrl } = route(result, prepared, withEndpoints)
  const message: Message = { body, webhookId, result, rejectedWebhookUrl }
  // A primary webhook is always a target, so no targets and a refused link means nothing to fall back to.
  const outcomes: WebhookOutcome[] =
    targets.length === 0 && rejectedWebhookUrl !== null
      ? [notAttempted(notAllowed(), null, message)]
      : await Promise.all(targets.map((target) => deliver(prepared, target, message, options.signal)))
  if (options.throwOnFailure === true) {
    for (const outcome of outcomes) if (!outcome.delivered) throw outcome.error
  }
  return outcomes
}
