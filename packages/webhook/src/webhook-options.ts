import type { Configuration } from '@pytrack/core'
import type { Dispatcher } from 'undici'
import type { WebhookSecret } from './_internal/secret'

export type { WebhookSecret }

/**
 * The kinds of tracking event a webhook can subscribe to.
 *
 * @example
 * ```ts
 * const events: WebhookEvent[] = ['click']
 * ```
 */
export type WebhookEvent = 'open' | 'click'

/**
 * One more receiver next to the configured webhook (pytracking's TODO: several webhooks,
 * and webhooks per tracking method).
 *
 * @example
 * ```ts
 * const endpoints: WebhookEndpoint[] = [
 *   { url: 'https://crm.example.com/clicks', events: ['click'], secret: process.env.CRM_WEBHOOK_SECRET },
 *   { url: 'https://stats.example.com/opens', events: ['open'], timeoutSeconds: 2 },
 * ]
 * ```
 */
export interface WebhookEndpoint {
  /** The absolute http(s) URL to post to. */
  url: string
  /** The events it takes. Default: both. */
  events?: readonly WebhookEvent[] | undefined
  /** Signs its deliveries instead of `options.secret`; `null` sends them unsigned. */
  secret?: WebhookSecret | readonly WebhookSecret[] | null | undefined
  /** Its own timeout per attempt, in seconds. */
  timeoutSeconds?: number | undefined
  /** Extra request headers for this endpoint (e.g. `authorization`), added to `options.headers`. */
  headers?: Readonly<Record<string, string>> | undefined
}

/**
 * When and how often a delivery is tried again. Retried: network errors, timeouts, 5xx, 408
 * and 429; never other statuses. The wait before retry n is a random time in
 * `[0, min(maxDelayMs, baseDelayMs * 2^(n-1)))` ("full jitter"), or what `Retry-After` asks
 * when it fits in what is left of `budgetMs`.
 *
 * @example
 * ```ts
 * await sendWebhook(result, { configuration, retry: { attempts: 6, budgetMs: 120_000 } })
 * ```
 */
export interface RetryOptions {
  /** Attempts in all, the first included. Default 4. */
  attempts?: number | undefined
  /** The first backoff ceiling, in milliseconds. Default 500. */
  baseDelayMs?: number | undefined
  /** The largest backoff ceiling, in milliseconds. Default 10,000. */
  maxDelayMs?: number | undefined
  /** The most time a delivery may take, attempts and waits included, in milliseconds. Default 60,000. */
  budgetMs?: number | undefined
  /** The random source of the jitter, for tests. Default `Math.random`. */
  random?: (() => number) | undefined
}

/**
 * Settings shared by {@link sendWebhook}, {@link sendWebhooks} and {@link createWebhookQueue}.
 *
 * @example
 * ```ts
 * const options: WebhookOptions = {
 *   configuration,
 *   secret: process.env.WEBHOOK_SECRET, // whsec_...
 *   allowedWebhookOrigins: ['https://hooks.example.com'],
 * }
 * ```
 */
export interface WebhookOptions {
  /** Supplies `webhookUrl` and `webhookTimeoutSeconds`. */
  configuration?: Configuration | undefined
  /** Overrides the configuration's webhook for this call. */
  webhookUrl?: string | null | undefined
  /** Overrides the configuration's timeout per attempt, in seconds (pytracking's default: 5). */
  webhookTimeoutSeconds?: number | undefined
  /**
   * Which webhook URLs read from a tracking link may be used: exact origins such as
   * `https://hooks.example.com`, or a predicate. Links can be forged, so without this a
   * link's URL is never used (unless it equals the configured one) and the configured
   * webhook is posted to instead.
   */
  allowedWebhookOrigins?: readonly string[] | ((url: URL) => boolean) | undefined
  /**
   * A metadata key whose number, when a link carries one, is that link's timeout in seconds
   * (pytracking's TODO 5), capped at 60 s. Default: none.
   */
  linkTimeoutKey?: string | undefined
  /** Signs deliveries (Standard Webhooks): `whsec_<base64>` or raw bytes; several for rotation. */
  secret?: WebhookSecret | readonly WebhookSecret[] | null | undefined
  /** Extra request headers for every delivery (e.g. `authorization`). */
  headers?: Readonly<Record<string, string>> | undefined
  /** The retry policy, or `false` for a single attempt. */
  retry?: RetryOptions | false | undefined
  /** The undici dispatcher to send with. Default: a shared keep-alive `Agent`. */
  dispatcher?: Dispatcher | undefined
}

/**
 * Options of {@link sendWebhook}.
 *
 * @example
 * ```ts
 * await sendWebhook(result, { configuration, webhookId: `open_${messageId}`, throwOnFailure: true })
 * ```
 */
export interface SendWebhookOptions extends WebhookOptions {
  /** The `webhook-id` (kept across retries). Default: a fresh `msg_<uuid>`. No `.`, spaces or `,`. */
  webhookId?: string | undefined
  /** Cancels the delivery, waits included; it then fails with the reason. */
  signal?: AbortSignal | undefined
  /** Throw the failure's error instead of resolving with a failed outcome. Default false. */
  throwOnFailure?: boolean | undefined
}

/**
 * Options of {@link sendWebhooks}: {@link SendWebhookOptions} and more receivers.
 *
 * @example
 * ```ts
 * await sendWebhooks(result, { configuration, endpoints: [{ url: 'https://crm.example.com/c', events: ['click'] }] })
 * ```
 */
export interface SendWebhooksOptions extends SendWebhookOptions {
  /** Receivers besides the configured webhook; each takes the events it lists. */
  endpoints?: readonly (string | WebhookEndpoint)[] | undefined
}
