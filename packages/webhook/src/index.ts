export { sendWebhook, sendWebhooks } from './send-webhook'
export { verifyWebhook, verifyWebhookSignature, signWebhook, generateWebhookSecret } from './verify-webhook'
export type { VerifyWebhookOptions, VerifiedWebhook, VerifiedWebhookSignature, SignWebhookOptions, WebhookHeaders } from './verify-webhook'
export { WebhookQueue, createWebhookQueue } from './webhook-queue'
export type { WebhookQueueOptions, EnqueueOptions, CloseOptions } from './webhook-queue'
export type {
  WebhookOptions,
  SendWebhookOptions,
  SendWebhooksOptions,
  WebhookEndpoint,
  WebhookEvent,
  RetryOptions,
  WebhookSecret,
} from './webhook-options'
export type { WebhookOutcome, WebhookDelivered, WebhookFailed, WebhookOutcomeBase } from './webhook-outcome'
export { WebhookDeliveryError } from './errors/webhook-delivery-error'
export type { WebhookDeliveryErrorOptions } from './errors/webhook-delivery-error'
export { WebhookUrlNotAllowedError } from './errors/webhook-url-not-allowed-error'
export { WebhookVerificationError } from './errors/webhook-verification-error'
export type { WebhookVerificationFailure } from './errors/webhook-verification-error'
export type { WebhookVerificationErrorOptions } from './errors/webhook-verification-error'
export { QueueFullError } from './errors/queue-full-error'
export type { QueueFullErrorOptions } from './errors/queue-full-error'
export { QueueClosedError } from './errors/queue-closed-error'
