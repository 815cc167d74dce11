import { randomUUID } from 'node:crypto'
import { isDoNotTrack, isPytrackError, type Configuration, type JsonValue, type PytrackError, type RequestData, type TrackingResult } from '@pytrack/core'
import { TRAP_METADATA_KEY } from '@pytrack/html'
import { createTrackingHandler, type ClassificationOptions, type TrackingContext } from '@pytrack/http'
import { toNodeHandler, type NodeHandler } from '@pytrack/http/node'
import type { Logger } from 'pino'
import { SettingsError } from '../errors/settings-error'
import { StoreError } from '../errors/store-error'
import type { EventStore, NewOutboxItem, NewTrackingEvent, RecordedEvent, RecordRequest } from '../store/event-store'
import { GroupCommit } from './group-commit'
import { issuedAtOf, tokenOfTarget } from './issued-at'
import { Verdicts, reclassifiedPayload, type Judgement } from './verdicts'
import { requestDataUnder, type PrivacyPolicy } from './privacy'

/** Labels of @pytrack/http counted as machine traffic. `mail-proxy` (Gmail, Yahoo) fetches on the reader's open, so it counts as human. */
const MACHINE_KINDS = new Set(['privacy-prefetch', 'scanner', 'preview-bot'])
/** Per-link keys @pytrack/html adds (`linkMetadata: true`, the trap link); left out of the whole-metadata email identity. */
const PER_LINK_KEYS = new Set(['link_index', 'link_id', TRAP_METADATA_KEY])

/** JSON of an object with its keys sorted: `keys` are the ones of `value` to write. */
function canonicalObject(value: Record<string, JsonValue>, keys: string[]): string {
  return `{${keys.sort().map((key) => `${JSON.stringify(key)}:${canonicalJson(value[key] as JsonValue)}`).join(',')}}`
}

function canonicalJson(value: JsonValue): string {
  if (Array.isArray(value)) return `[${value.map(canonicalJson).join(',')}]`
  if (value !== null && typeof value === 'object') return canonicalObject(value, Object.keys(value))
  return JSON.stringify(value)
}

/**
 * Which email an event belongs to: the JSON of `metadata[emailKey]` when the link has it,
 * else the canonical JSON of the whole metadata without per-link keys (read in place: copied
 * into a new object, a "__proto__" key would set its prototype and drop out of the identity).
 */
function emailIdOf(metadata: Record<string, JsonValue>, emailKey: string): string {
  const value = metadata[emailKey]
  if (value !== undefined && value !== null) return `${emailKey}=${canonicalJson(value)}`
  return canonicalObject(metadata, Object.keys(metadata).filter((key) => !PER_LINK_KEYS.has(key)))
}

function eventOf(result: TrackingResult, data: RequestData | null, emailKey: string, time: number): NewTrackingEvent {
  const label = typeof data?.client_kind === 'string' ? data.client_kind : 'human'
  return {
    kind: result.isClickTracking ? 'click' : 'open',
    time,
    emailId: emailIdOf(result.metadata, emailKey),
    metadata: result.metadata,
    destination: result.trackedUrl,
    clientIp: typeof data?.user_ip === 'string' ? data.user_ip : null,
    userAgent: typeof data?.user_agent === 'string' ? data.user_agent : null,
    machine: MACHINE_KINDS.has(label),
    label,
    labelReason: typeof data?.client_reason === 'string' ? data.client_reason : null,
    requestData: data,
  }
}

/** Splits a base URL's path into what @pytrack/http calls a route: `/t/open/` -> `t/open`. */
function routeOf(base: string, name: string): string {
  const path = new URL(base).pathname.replace(/^\/+|\/+$/g, '')
  if (path === '') {
    throw new SettingsError(`${name} (${base}) needs a path such as /open/, so its links do not collide with the API`, { setting: name })
  }
  if (path === 'api' || path.startsWith('api/') || path === 'healthz') {
    throw new SettingsError(`${name} (${base}) must not use /api or /healthz, which the HTTP API serves`, { setting: name })
  }
  if (path === 'dashboard' || path.startsWith('dashboard/')) {
    throw new SettingsError(`${name} (${base}) must not use /dashboard, where the dashboard is`, { setting: name })
  }
  return path
}

export interface TrackingRoutesOptions {
  configuration: Configuration
  store: EventStore
  logger: Logger
  emailKey: string
  webhookUrls: readonly string[]
  trustedProxies: readonly string[]
  redirectAllow: readonly string[]
  /** What of the client's address and User-Agent is written (the label is computed from all of it first). */
  privacy: PrivacyPolicy
  /** Called after an event with outbox rows is committed. */
  onOutboxWritten: () => void
  /** Address lists of the per-hit labels (Apple's Private Relay ranges, scanner ranges). */
  classification?: ClassificationOptions | undefined
  /** Judge each hit against the recent hits of its email (default true). */
  verdicts?: boolean | undefined
  /** The time of a hit, ms since the epoch. Default `Date.now`. */
  clock?: (() => number) | undefined
}

/** The webhook deliveries of one payload, each with its `webhook-id` fixed here, once: every attempt, by any instance, sends it. */
function outboxFor(webhookUrls: readonly string[], payload: string): NewOutboxItem[] {
  return webhookUrls.map((url): NewOutboxItem => ({ webhookId: `msg_${randomUUID().replaceAll('-', '')}`, url, payload }))
}

/**
 * The pixel and redirect routes: @pytrack/http's node adapter, with the event recorded in
 * the store BEFORE the answer is written. Its `recordEvent` option is awaited before the
 * pixel or redirect goes out: each hit's event joins the next group commit (the hits of one
 * event-loop turn share a transaction) and its promise resolves once that transaction is
 * committed. An answered pixel or redirect therefore always has its event committed; if
 * the store fails, the promise rejects and the handler answers 503 instead.
 */
export function createTrackingRoutes(options: TrackingRoutesOptions): NodeHandler & { settled: () => Promise<void> } {
  const { configuration, store, logger, emailKey, webhookUrls } = options
  const openRoute = routeOf(configuration.baseOpenTrackingUrl ?? '', 'the open tracking URL')
  const clickRoute = routeOf(configuration.baseClickTrackingUrl ?? '', 'the click tracking URL')
  if (openRoute === clickRoute) {
    throw new SettingsError('the open and click tracking URLs must have different paths, such as /open/ and /click/', { setting: 'PYTRACK_CLICK_URL' })
  }

  const commits = new GroupCommit(store)
  const committed = (recorded: RecordedEvent): void => {
    if (recorded.outbox.length === 0) return
    try {
      options.onOutboxWritten()
    } catch (error) {
      // The event is stored: the answer must not turn into a 503 because of the wake-up call.
      logger.error({ err: error }, 'could not wake the webhook dispatcher; it finds the rows on its next round')
    }
  }
  const notRecorded = (error: unknown): never => {
    throw isPytrackError(error, 'ERR_PYTRACK_STORE') ? error : new StoreError('the tracking event could not be recorded', { cause: error })
  }

  const clock = options.clock ?? Date.now
  const verdicts = options.verdicts === false ? null : new Verdicts()
  const codec = configuration.codec.name
  // Relabelling writes in flight: shutdown waits for them before closing the store.
  const relabelling = new Set<Promise<void>>()

  // Earlier events a later hit revealed: relabelled, with a `reclassified` webhook, in one
  // transaction after the revealing hit's own commit (never on the way to its answer).
  const reclassify = async (judgement: Judgement, eventId: number, emailId: string): Promise<void> => {
    // A later verdict may name a hit whose commit is still in flight (a burst within one group commit).
    const ids = await Promise.all(judgement.changes.map((change) => change.entry.id ?? change.entry.stored?.then((recorded) => recorded.id, () => null) ?? null))
    const changes = judgement.changes.filter((change, i) => (change.entry.id = ids[i] ?? null) !== null)
    if (changes.length === 0) return
    const time = clock()
    const payload = webhookUrls.length === 0 ? '' : reclassifiedPayload(emailId, eventId, time, changes)
    const outbox = outboxFor(webhookUrls, payload)
    await store.reclassifyEvents({ time, eventId, changes: changes.map((change) => ({ id: change.entry.id!, label: change.label, reason: change.reason })), outbox })
    if (outbox.length > 0) options.onOutboxWritten()
  }

  // The request target from the node request: reading the Web Request's url would build it (the
  // node adapter makes it lazily, and building one costs more than the rest of the hit).
  const targetOf = (request: Request, context: TrackingContext): string => (context as { req?: { url?: unknown } }).req?.url as string | undefined ?? request.url

  const judge = (result: TrackingResult, event: NewTrackingEvent, target: string): Judgement => {
    const ip = result.requestData?.user_ip
    const judgement = verdicts!.judge({
      kind: event.kind,
      time: event.time,
      emailId: event.emailId,
      // The full address, whatever the privacy policy stores: it is held in memory for the window only.
      clientIp: typeof ip === 'string' ? ip : null,
      destination: event.destination,
      label: event.label,
      machine: event.machine,
      trap: event.kind === 'click' && result.metadata[TRAP_METADATA_KEY] === true,
      issuedAt: issuedAtOf(tokenOfTarget(target), codec, result.metadata),
    })
    if (judgement.label !== null) {
      event.labels = [
        { time: event.time, label: event.label, machine: event.machine, reason: event.labelReason },
        { time: event.time, label: judgement.label, machine: true, reason: judgement.reason },
      ]
      event.label = judgement.label
      event.machine = true
      event.labelReason = judgement.reason
    }
    return judgement
  }

  const recordEvent = (result: TrackingResult, request: Request, context: TrackingContext): Promise<void> | undefined => {
    // Do-not-track: answered as usual, nothing stored, nothing forwarded.
    if (isDoNotTrack(result.metadata)) return undefined
    // The label was computed from the full request; only what the policy keeps is written.
    const data = requestDataUnder(options.privacy, result.requestData)
    const event = eventOf(result, data, emailKey, clock())
    const judgement = verdicts === null ? null : judge(result, event, targetOf(request, context))
    // pytracking's payload; its request_data also says the label when answered (client_kind is the per-hit one).
    const payload =
      webhookUrls.length === 0 ? '' : JSON.stringify({ ...result.toJSON(), request_data: data === null ? null : { ...data, label: event.label, machine: event.machine } })
    const committing = commits.add({ event, outbox: outboxFor(webhookUrls, payload) } satisfies RecordRequest)
    if (judgement === null) return committing.then(committed, notRecorded)
    judgement.entry.stored = committing
    return committing.then((recorded) => {
      judgement.entry.id = recorded.id
      if (judgement.changes.length > 0) {
        const writing = reclassify(judgement, recorded.id, event.emailId).catch((error: unknown) => {
          logger.error({ err: error }, 'could not write a verdict that relabels earlier events; their labels stand')
        })
        relabelling.add(writing)
        void writing.finally(() => relabelling.delete(writing))
      }
      committed(recorded)
    }, notRecorded)
  }

  const handler = createTrackingHandler({
    configuration,
    prefix: '',
    routes: { open: openRoute, click: clickRoute },
    trustedProxies: options.trustedProxies,
    allowedDestinations: options.redirectAllow,
    classification: options.classification,
    recordEvent,
    onDecodingError: (error: PytrackError) => {
      logger.debug({ code: error.code }, 'tracking link refused')
    },
    onHookError: (error: unknown) => {
      if (isPytrackError(error, 'ERR_PYTRACK_STORE')) logger.error({ err: error }, 'tracking event could not be recorded; answered 503')
      else logger.error({ err: error }, 'tracking handler failed')
    },
  })
  return Object.assign(toNodeHandler(handler), { settled: async (): Promise<void> => void (await Promise.all([...relabelling])) })
}
