// The OpenAPI 3.1 document of the HTTP API: the one truth. The server checks query parameters,
// path parameters and JSON bodies against it before a handler runs (openapi-validator.ts), serves
// it at /api/v1/openapi.json, refuses to start when a handler has no operation here (or an
// operation no handler), and every server test validates each API answer it gets against it.
//
// Adding an endpoint: add its operation to `paths` with `operation({...})` (it adds the error
// answers every operation can give), its schemas to `schemas`, then its handler in api.ts.
import type { ApiErrorReason } from '../errors/api-error'

type Schema = Record<string, unknown>

const ref = (name: string): Schema => ({ $ref: `#/components/schemas/${name}` })
const nullable = (schema: Schema): Schema => ({ anyOf: [schema, { type: 'null' }] })
/** An object whose listed properties are all there and no others (answers must not drift). */
const record = (description: string, properties: Record<string, Schema>): Schema => ({
  type: 'object',
  description,
  required: Object.keys(properties),
  properties,
  additionalProperties: false,
})

const TIME = { type: 'integer', description: 'Milliseconds since the epoch.' }
const CURSOR: Schema = {
  name: 'cursor',
  in: 'query',
  description: 'A `nextCursor` from a previous page, passed back unchanged; the oldest items first when absent.',
  schema: { type: 'string', pattern: '^[A-Za-z0-9_-]{0,40}$' },
}
const LIMIT: Schema = {
  name: 'limit',
  in: 'query',
  description: 'Items a page.',
  schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 },
}
const GROUP_KEY = { type: 'string', pattern: '^[A-Za-z0-9_\\-.:]{1,64}$', examples: ['campaign'] }
const TIME_PARAMETER = { type: 'string', pattern: '^(\\d{1,15}|\\d{4}-\\d{2}-\\d{2}(T\\d{2}:\\d{2}(:\\d{2}(\\.\\d{1,9})?)?(Z|[+-]\\d{2}:\\d{2})?)?)$', examples: ['2026-11-01T00:00:00Z', '1793491200000'] }
const RANGE_PARAMETERS: Schema[] = [
  { name: 'groupBy', in: 'query', description: 'With value: count only events whose metadata has this value under this top-level key.', schema: GROUP_KEY },
  { name: 'value', in: 'query', description: 'The value of groupBy, in its text form: a string as it is, a number in decimal, true or false.', schema: { type: 'string', maxLength: 1000 } },
  { name: 'from', in: 'query', description: 'The start of the range: ms since the epoch or an ISO 8601 time (rounded down to the hour or day).', schema: TIME_PARAMETER },
  { name: 'to', in: 'query', description: 'The end of the range, not included: ms since the epoch or an ISO 8601 time (rounded up). Default: now.', schema: TIME_PARAMETER },
]

/** Which codes each error status carries; the `Error` answers below are built from it. */
export const ERROR_CODES: Record<number, readonly ApiErrorReason[]> = {
  400: ['invalid_request', 'invalid_json', 'invalid_metadata', 'link_too_long'],
  401: ['unauthorized'],
  404: ['not_found'],
  405: ['method_not_allowed'],
  408: ['request_timeout'],
  413: ['body_too_large'],
  415: ['unsupported_media_type'],
  500: ['internal'],
  503: ['unavailable'],
}

const ERROR_WHEN: Record<number, string> = {
  400: 'The request is wrong: `invalid_json` (the body is not JSON, not UTF-8, or nests arrays and objects more than 64 levels deep), `invalid_request` (a field or query parameter has the wrong type or value, or a query parameter is given twice), `invalid_metadata` (metadata pytracking cannot carry), `link_too_long` (over 2048 characters).',
  401: 'The bearer token is missing or wrong (with `WWW-Authenticate: Bearer`).',
  404: 'No such endpoint, or no such item.',
  405: 'The path does not answer this method; `Allow` names the ones it does.',
  408: 'The body did not arrive in time: a request\'s whole body must arrive within 10 s of its headers; the batch endpoint has no limit as a whole, but each of its lines must arrive within 8 s of the server asking for it (else an error line ends the answer and the connection is closed).',
  413: 'The body is over the limit of the endpoint: 64 KiB, 1 MiB for the adapt endpoints, a line over its limit for the batch endpoint.',
  415: 'The body is not sent as `Content-Type: application/json` (`application/x-ndjson` for the batch endpoint), or is sent with a `Content-Encoding` (never decoded) or a charset other than UTF-8.',
  500: 'A bug; the server log has it.',
  503: 'The event store failed, or the server is adapting as many emails as it queues; try again later.',
}

const json = (schema: Schema, description: string, mediaType = 'application/json'): Schema => ({ description, content: { [mediaType]: { schema } } })
/** JSON lines (one JSON value a line, each ending with \n), streamed both ways by the batch endpoint. */
const JSON_LINES = 'application/x-ndjson'

interface OperationSpec {
  summary: string
  description?: string
  tags: string[]
  /** Public: no bearer token needed. */
  public?: boolean
  parameters?: Schema[]
  body?: Schema
  /** The body's media type. Default: application/json. */
  bodyType?: string
  /** Success answers: status -> [schema, description, media type (default application/json)]. */
  answers: Record<number, [Schema, string, string?]>
  /** Error statuses beyond the ones every operation of its kind can give. */
  errors?: number[]
}

/** An operation with the error answers its kind can give (401 and 503 when it needs the token, 400/408/413/415 with a body). */
function operation(spec: OperationSpec): Schema {
  const statuses = new Set<number>(spec.errors ?? [])
  statuses.add(500)
  if (spec.public !== true) statuses.add(401).add(503)
  if ((spec.parameters ?? []).length > 0) statuses.add(400)
  if (spec.body !== undefined) statuses.add(400).add(408).add(413).add(415)
  const responses: Record<string, Schema> = {}
  for (const [status, [schema, description, mediaType]] of Object.entries(spec.answers)) responses[status] = json(schema, description, mediaType)
  for (const status of [...statuses].sort()) responses[String(status)] = { $ref: `#/components/responses/Error${status}` }
  return {
    operationId: spec.summary.replace(/[^A-Za-z ]/g, '').replace(/ (\w)/g, (_, c: string) => c.toUpperCase()).replace(/^\w/, (c) => c.toLowerCase()),
    summary: spec.summary,
    ...(spec.description === undefined ? {} : { description: spec.description }),
    tags: spec.tags,
    ...(spec.public === true ? { security: [] } : {}),
    ...(spec.parameters === undefined ? {} : { parameters: spec.parameters }),
    ...(spec.body === undefined ? {} : { requestBody: { required: true, content: { [spec.bodyType ?? 'application/json']: { schema: spec.body } } } }),
    responses,
  }
}

const LINK_FIELDS: Record<string, Schema> = {
  url: { type: 'string', description: 'The destination, as found.' },
  trackingUrl: { type: 'string', description: 'The click tracking link that replaced it.' },
}

/** The options both adapt endpoints take. */
const ADAPT_FIELDS: Record<string, Schema> = {
  metadata: ref('Metadata'),
  clickTracking: nullable({ type: 'boolean', description: 'Track the http(s) links. Default: true.' }),
  linkMetadata: nullable({ type: 'boolean', description: "Add link_index and link_id to each link's metadata. Default: false." }),
  allowDomains: nullable({ type: 'array', items: { type: 'string' }, description: 'Track only links to these hosts.' }),
  denyDomains: nullable({ type: 'array', items: { type: 'string' }, description: 'Never track links to these hosts.' }),
}

const COUNT_FIELDS: Record<string, Schema> = {
  opens: { type: 'integer', description: 'Human opens, every one.' },
  uniqueOpens: { type: 'integer', description: 'Emails with at least one human open or click (a click counts as an open).' },
  clicks: { type: 'integer', description: 'Human clicks, every one.' },
  uniqueClicks: { type: 'integer', description: 'Emails with at least one human click.' },
  machineOpens: { type: 'integer', description: 'Opens made by machines (privacy prefetch, preview bots).' },
  machineClicks: { type: 'integer', description: 'Clicks made by machines (link scanners).' },
}

const schemas: Record<string, Schema> = {
  Metadata: {
    description: 'The metadata a link carries, a JSON object such as {"message_id": "m-1", "campaign": "fall"}; the server adds its default metadata. Null: none.',
    anyOf: [{ type: 'object' }, { type: 'null' }],
  },
  OpenLinkRequest: { type: 'object', properties: { metadata: ref('Metadata') } },
  ClickLinkRequest: {
    type: 'object',
    required: ['url'],
    properties: {
      url: { type: 'string', description: 'Where the link redirects: an absolute http(s) URL such as https://example.com/sale that browsers read as written (core parseClickDestination: no https:/host, no backslash before the query, no control characters).' },
      metadata: ref('Metadata'),
    },
  },
  LinkResponse: record('A tracking link.', { url: { type: 'string', description: 'The tracking link.' } }),
  AdaptRequest: {
    type: 'object',
    required: ['html'],
    properties: {
      html: { type: 'string', description: 'The HTML email.' },
      ...ADAPT_FIELDS,
      openTracking: nullable({ type: 'boolean', description: 'Add the open tracking pixel. Default: true.' }),
      pixelPosition: nullable({ enum: ['top', 'bottom'], description: 'Where the pixel goes in the body. Default: bottom.' }),
      trapLink: nullable({
        description: "Add @pytrack/html's trap link, which no person can see or reach: true (it redirects to the origin of the first tracked link) or {url}. A click on it makes the email's clicks around it machine clicks (README, Machine verdicts). Default: false.",
        anyOf: [{ type: 'boolean' }, { type: 'object', required: ['url'], properties: { url: { type: 'string' } }, additionalProperties: false }],
      }),
    },
  },
  AdaptTextRequest: {
    type: 'object',
    required: ['text'],
    properties: {
      text: { type: 'string', description: 'The text/plain part of an email.' },
      ...ADAPT_FIELDS,
      // A text part has no pixel: these are refused, not ignored.
      openTracking: false,
      pixelPosition: false,
      trapLink: false,
    },
  },
  TrackedLink: record('A link that was rewritten.', LINK_FIELDS),
  AdaptWarning: record('Something the rewrite could not do as asked.', {
    code: { type: 'string', description: 'What kind of warning it is, for code to test.' },
    message: { type: 'string', description: 'What happened and what to do about it.' },
  }),
  AdaptResponse: record('The rewritten email.', {
    html: { type: 'string' },
    links: { type: 'array', items: ref('TrackedLink') },
    pixelUrl: nullable({ type: 'string', description: 'The open tracking URL of the pixel; null without one.' }),
    trapUrl: nullable({ type: 'string', description: 'The click tracking URL of the trap link; null without one.' }),
    warnings: { type: 'array', items: ref('AdaptWarning') },
  }),
  AdaptTextResponse: record('The rewritten text.', {
    text: { type: 'string' },
    links: { type: 'array', items: ref('TrackedLink') },
    warnings: { type: 'array', items: ref('AdaptWarning') },
  }),
  BatchTemplate: {
    type: 'object',
    description: 'The first line of a batch: the email (its HTML part, its text part, or both) and the options of the adapt endpoints; `metadata` goes into every recipient\'s links, under their own.',
    anyOf: [{ required: ['html'] }, { required: ['text'] }],
    properties: {
      html: { type: 'string', description: 'The HTML part.' },
      text: { type: 'string', description: 'The text/plain part.' },
      ...ADAPT_FIELDS,
      openTracking: nullable({ type: 'boolean', description: 'Add the open tracking pixel to the HTML part. Default: true.' }),
      pixelPosition: nullable({ enum: ['top', 'bottom'], description: 'Where the pixel goes in the body. Default: bottom.' }),
    },
  },
  BatchRecipient: {
    type: 'object',
    description: 'A line after the template: one recipient.',
    properties: {
      metadata: { type: 'object', description: 'This recipient\'s metadata, such as {"message_id": "m-1", "customer_id": 42}, added to the template\'s (this one wins on a shared key).' },
      id: { type: 'string', maxLength: 1000, description: 'Your name for this recipient, given back in its answer line.' },
    },
  },
  BatchLine: {
    description: 'A line of the answer: a recipient\'s email, a recipient that failed, the end of the batch, or the error that stopped it.',
    oneOf: [
      record('The email of one recipient, in the order sent.', {
        index: { type: 'integer', description: 'The recipient\'s position, from 0.' },
        id: nullable({ type: 'string', description: 'The recipient\'s id, as sent.' }),
        html: nullable({ type: 'string', description: 'The HTML part; null when the template has none.' }),
        text: nullable({ type: 'string', description: 'The text part; null when the template has none.' }),
        pixelUrl: nullable({ type: 'string' }),
        warnings: { type: 'array', items: ref('AdaptWarning') },
      }),
      record('A recipient whose line was refused (bad JSON, metadata a link cannot carry...); the batch goes on.', {
        index: { type: 'integer' },
        id: nullable({ type: 'string' }),
        error: { $ref: '#/components/schemas/Error/properties/error' },
      }),
      record('The last line of a batch that went through to its end.', {
        done: { const: true },
        count: { type: 'integer', description: 'Recipients answered, failed ones included.' },
        failed: { type: 'integer', description: 'Recipients that got an error line.' },
      }),
      record('The last line of a batch stopped by an error (a line over its limit or late, too many recipients, a body cut off): the recipients before it were answered.', {
        error: { $ref: '#/components/schemas/Error/properties/error' },
        count: { type: 'integer', description: 'Recipients answered before it.' },
      }),
    ],
  },
  TrackingEvent: record('An open or a click, as recorded.', {
    id: { type: 'integer', description: 'Increasing in insertion order.' },
    kind: { enum: ['open', 'click'] },
    time: TIME,
    emailId: { type: 'string', description: 'Which email it belongs to, for unique counts.' },
    metadata: { type: 'object', description: 'The metadata the link carried.' },
    destination: nullable({ type: 'string', description: 'Where a click redirected; null for opens.' }),
    clientIp: nullable({ type: 'string' }),
    userAgent: nullable({ type: 'string' }),
    machine: { type: 'boolean', description: 'The current verdict: true when a machine made the request (privacy prefetch, scanner, preview bot, or a verdict across the hits of the email such as burst or trap).' },
    label: { type: 'string', description: 'The current label, such as human, privacy-prefetch, scanner, burst or trap.' },
    labelReason: nullable({ type: 'string', description: 'Why it has the current label.' }),
    requestData: nullable({ type: 'object', description: "pytracking's request_data." }),
    firstLabel: { type: 'string', description: 'The label the hit got when it was answered.' },
    firstMachine: { type: 'boolean', description: 'Whether the first label counted as machine traffic.' },
    labels: {
      type: 'array',
      minItems: 1,
      description: 'Every label the event has had, first to current: the per-hit label of @pytrack/http first, then each verdict across the hits of its email, with its time and reason.',
      items: record('One label of an event.', {
        time: TIME,
        label: { type: 'string' },
        machine: { type: 'boolean' },
        reason: nullable({ type: 'string' }),
      }),
    },
  }),
  EventPage: record('A page of events, oldest first.', {
    events: { type: 'array', items: ref('TrackingEvent') },
    nextCursor: nullable({ type: 'string', description: 'Pass back as cursor for the next page; also given on the last page, to poll for new events.' }),
    hasMore: { type: 'boolean' },
  }),
  StatsCounts: record('Counts. Machine traffic is counted apart and in no other figure.', COUNT_FIELDS),
  StatsGroup: record('The counts of one value of the grouping key.', {
    value: { description: 'The metadata value; null for events without the key.' },
    ...COUNT_FIELDS,
  }),
  Stats: record('Counts of all events, and of each value of a metadata key when grouped.', {
    groupBy: nullable(GROUP_KEY),
    groups: { type: 'array', items: ref('StatsGroup') },
    total: { ...ref('StatsCounts'), description: 'The counts of all events, by their current labels: after the machine verdicts across hits.' },
    verdicts: ref('VerdictStats'),
  }),
  VerdictStats: record('Machine traffic in detail, of all events (not grouped). Definitions and sources: the server README, "Stats".', {
    perHit: { ...ref('StatsCounts'), description: "The counts of total from each event's per-hit label alone, as if there were no verdicts across hits." },
    machineOpensByReason: { type: 'object', additionalProperties: { type: 'integer' }, description: 'Machine opens by current label, such as privacy-prefetch or delivery-scan.' },
    machineClicksByReason: { type: 'object', additionalProperties: { type: 'integer' }, description: 'Machine clicks by current label, such as scanner, burst or trap.' },
    applePrefetch: record("Apple Mail Privacy Protection's prefetches (label privacy-prefetch).", {
      opens: { type: 'integer', description: 'Opens labelled privacy-prefetch.' },
      emails: { type: 'integer', description: 'Emails with at least one such open.' },
      emailsWithoutPerson: { type: 'integer', description: 'Emails whose only hits are such opens and other machine hits: opened by the prefetch alone.' },
      openedEmails: { type: 'integer', description: 'Emails with any open or click at all, machines included.' },
    }),
  }),
  TimeseriesBucket: record('The counts of one bucket. Unique figures count each email once, in the bucket of its first human open (or click).', {
    time: { ...TIME, description: 'When the bucket starts (a UTC hour or day), in ms since the epoch.' },
    ...COUNT_FIELDS,
  }),
  Timeseries: record('Counts over time.', {
    groupBy: nullable(GROUP_KEY),
    value: nullable({ type: 'string' }),
    interval: { enum: ['hour', 'day'] },
    from: { ...TIME, description: 'The start of the first bucket.' },
    to: { ...TIME, description: 'The end of the last bucket (not included).' },
    buckets: { type: 'array', items: ref('TimeseriesBucket'), description: 'Every bucket of the range, oldest first, empty ones included.' },
    total: { ...ref('StatsCounts'), description: 'The sums of the buckets: unique figures count the emails first opened (or clicked) in the range.' },
  }),
  DestinationCounts: record('The clicks of one destination.', {
    destination: { type: 'string' },
    clicks: { type: 'integer', description: 'Human clicks in the range.' },
    uniqueClicks: { type: 'integer', description: 'Emails whose first human click on this destination falls in the range.' },
    machineClicks: { type: 'integer', description: 'Clicks made by machines (link scanners), counted apart.' },
  }),
  TopDestinations: record('The most clicked destinations.', {
    groupBy: nullable(GROUP_KEY),
    value: nullable({ type: 'string' }),
    from: TIME,
    to: TIME,
    destinations: { type: 'array', items: ref('DestinationCounts'), description: 'Most human clicks first.' },
  }),
  ValueCounts: record('The counts of one value over the range, as a timeseries total.', {
    value: { type: 'string', description: 'The value in its text form: a string as it is, a number in decimal, true or false, an object or array as JSON.' },
    ...COUNT_FIELDS,
  }),
  TopValues: record('The values of a metadata key.', {
    groupBy: GROUP_KEY,
    from: TIME,
    to: TIME,
    values: { type: 'array', items: ref('ValueCounts'), description: 'Most events (of any kind) first.' },
  }),
  WebhookDelivery: record('A webhook delivery from the outbox.', {
    id: { type: 'integer' },
    webhookId: { type: 'string', description: 'The Standard Webhooks webhook-id, the same on every retry.' },
    eventId: { type: 'integer' },
    url: { type: 'string', description: 'The receiver\'s origin only: its path and query often hold its secret.' },
    payload: { type: 'string', description: 'The JSON delivered.' },
    status: { enum: ['pending', 'delivering', 'delivered', 'failed'] },
    attempts: { type: 'integer' },
    nextAttemptAt: TIME,
    lastError: nullable({ type: 'string' }),
    lastStatus: nullable({ type: 'integer' }),
    createdAt: TIME,
    updatedAt: TIME,
    deliveredAt: nullable(TIME),
  }),
  DeliveryPage: record('A page of webhook deliveries, oldest first.', {
    deliveries: { type: 'array', items: ref('WebhookDelivery') },
    nextCursor: nullable({ type: 'string' }),
    hasMore: { type: 'boolean' },
  }),
  PrivacySubject: {
    description: 'Whose events: one email (`emailId`, as events show it), or every event whose metadata has `value` under the top-level `key` (a recipient id such as customer_id; 1 and "1" are different values).',
    oneOf: [
      { type: 'object', required: ['emailId'], properties: { emailId: { type: 'string', minLength: 1 } }, additionalProperties: false },
      {
        type: 'object',
        required: ['key', 'value'],
        properties: { key: GROUP_KEY, value: { description: 'Any JSON value but null.', not: { type: 'null' } } },
        additionalProperties: false,
      },
    ],
  },
  PrivacyExport: record('Every stored event of the subject, oldest first (an access request).', {
    events: { type: 'array', items: ref('TrackingEvent') },
    count: { type: 'integer' },
  }),
  Erased: record('What the erasure removed.', {
    events: { type: 'integer', description: 'Events erased.' },
    outbox: { type: 'integer', description: 'Webhook outbox rows erased with them, delivered or not.' },
  }),
  Requeued: record('The delivery is back in the queue.', { status: { const: 'pending' } }),
  Health: record('Whether the server and its store answer.', { status: { enum: ['ok', 'unavailable'] } }),
  Error: record('An error answer.', {
    error: record('What went wrong.', {
      code: { enum: [...new Set(Object.values(ERROR_CODES).flat())], description: 'Stable, for code to test.' },
      message: { type: 'string', description: 'What was wrong and how to fix it, for people.' },
    }),
  }),
}

const responses: Record<string, Schema> = {}
for (const [status, codes] of Object.entries(ERROR_CODES)) {
  const schema = {
    allOf: [ref('Error'), { properties: { error: { properties: { code: { enum: codes } } } } }],
  }
  responses[`Error${status}`] = json(schema, ERROR_WHEN[Number(status)] ?? 'An error.')
}

const paths: Record<string, Record<string, Schema>> = {
  '/healthz': {
    get: operation({
      summary: 'Check health',
      tags: ['server'],
      public: true,
      answers: { 200: [ref('Health'), 'The server and its store answer.'], 503: [ref('Health'), 'The store does not answer.'] },
    }),
  },
  '/api/v1/openapi.json': {
    get: operation({
      summary: 'Get the OpenAPI document',
      description: 'This document. Public: it holds nothing secret.',
      tags: ['server'],
      public: true,
      answers: { 200: [{ type: 'object', required: ['openapi', 'paths'] }, 'The OpenAPI 3.1 document of the API.'] },
    }),
  },
  '/api/v1/links/open': {
    post: operation({
      summary: 'Make an open link',
      description: 'An open tracking (pixel) URL carrying the metadata.',
      tags: ['links'],
      body: ref('OpenLinkRequest'),
      answers: { 201: [ref('LinkResponse'), 'The open tracking URL.'] },
    }),
  },
  '/api/v1/links/click': {
    post: operation({
      summary: 'Make a click link',
      description: 'A click tracking URL that redirects to `url`.',
      tags: ['links'],
      body: ref('ClickLinkRequest'),
      answers: { 201: [ref('LinkResponse'), 'The click tracking URL.'] },
    }),
  },
  '/api/v1/adapt': {
    post: operation({
      summary: 'Adapt an HTML email',
      description: 'Rewrites every http(s) link to a click tracking link and adds the open tracking pixel.',
      tags: ['links'],
      body: ref('AdaptRequest'),
      answers: { 200: [ref('AdaptResponse'), 'The rewritten email.'] },
    }),
  },
  '/api/v1/adapt-text': {
    post: operation({
      summary: 'Adapt a text email',
      description: 'Rewrites every http(s) URL of a text/plain part to a click tracking link.',
      tags: ['links'],
      body: ref('AdaptTextRequest'),
      answers: { 200: [ref('AdaptTextResponse'), 'The rewritten text.'] },
    }),
  },
  '/api/v1/adapt/batch': {
    post: operation({
      summary: 'Adapt an email for many recipients',
      description:
        'One template and many recipients\' metadata in, each recipient\'s email out, both as JSON lines (`application/x-ndjson`, each line ending with \\n): the first line of the body is a BatchTemplate, each further line a BatchRecipient; each answer line is a BatchLine, in the order of the recipients, written as they are made, and the last one is `{"done": true, ...}`. The template is parsed once and every recipient\'s links spliced in, exactly what /api/v1/adapt gives for the same email and metadata. Streamed with backpressure both ways: the body is read only as fast as the answers are made and the client reads them (at most 64 KiB of it ahead), so a batch of any size never sits in memory: at most 1 MiB for the template line, 64 KiB a recipient line, 1,000,000 recipients and 500 links a template. No time limit as a whole, but each line must arrive within 8 s of the server asking for it. Errors before the first recipient are ordinary error answers; after that the answer is 200 and an error is a line.',
      tags: ['links'],
      body: { anyOf: [ref('BatchTemplate'), ref('BatchRecipient')], description: 'One line of the body: the template first, then the recipients.' },
      bodyType: JSON_LINES,
      answers: { 200: [ref('BatchLine'), 'The emails, one line a recipient, then the end line.', JSON_LINES] },
    }),
  },
  '/api/v1/events': {
    get: operation({
      summary: 'List events',
      description: 'Opens and clicks in insertion order, oldest first. Poll with the last nextCursor for new ones.',
      tags: ['events'],
      parameters: [
        CURSOR,
        LIMIT,
        { name: 'kind', in: 'query', description: 'Only opens or only clicks.', schema: { enum: ['open', 'click'] } },
        { name: 'latest', in: 'query', description: 'Instead of a page: the newest this many events (oldest first) and the cursor to poll after them. Not with cursor or kind.', schema: { type: 'integer', minimum: 1, maximum: 1000 } },
      ],
      answers: { 200: [ref('EventPage'), 'A page of events.'] },
    }),
  },
  '/api/v1/stats': {
    get: operation({
      summary: 'Get stats',
      description: 'Total and unique counts of all events, grouped by a top-level metadata key when asked.',
      tags: ['events'],
      parameters: [{ name: 'groupBy', in: 'query', description: 'A top-level metadata key, such as campaign.', schema: GROUP_KEY }],
      answers: { 200: [ref('Stats'), 'The counts.'] },
    }),
  },
  '/api/v1/stats/timeseries': {
    get: operation({
      summary: 'Get counts over time',
      description: 'Opens and clicks, people and machines apart, in buckets of a UTC hour or day, of all events or of one metadata value. Default range: the last 7 days; at most 10,000 buckets.',
      tags: ['events'],
      parameters: [
        ...RANGE_PARAMETERS,
        { name: 'interval', in: 'query', description: 'The width of a bucket. Default: hour for ranges up to 14 days, else day.', schema: { enum: ['hour', 'day'] } },
      ],
      answers: { 200: [ref('Timeseries'), 'The buckets and their sums.'] },
    }),
  },
  '/api/v1/stats/destinations': {
    get: operation({
      summary: 'Get the top destinations',
      description: 'The most clicked destinations (by human clicks) of all events or of one metadata value. Default range: everything.',
      tags: ['events'],
      parameters: [...RANGE_PARAMETERS, { name: 'limit', in: 'query', description: 'How many destinations at most.', schema: { type: 'integer', minimum: 1, maximum: 100, default: 10 } }],
      answers: { 200: [ref('TopDestinations'), 'The destinations.'] },
    }),
  },
  '/api/v1/stats/values': {
    get: operation({
      summary: 'Get the values of a metadata key',
      description: 'The values of a top-level metadata key (such as campaign) seen in the range, most events first, with their counts: what a campaign picker lists. Default range: everything.',
      tags: ['events'],
      parameters: [
        { ...RANGE_PARAMETERS[0], required: true, description: 'The top-level metadata key, such as campaign.' },
        ...RANGE_PARAMETERS.slice(2),
        { name: 'limit', in: 'query', description: 'How many values at most.', schema: { type: 'integer', minimum: 1, maximum: 1000, default: 100 } },
      ],
      answers: { 200: [ref('TopValues'), 'The values.'] },
    }),
  },
  '/api/v1/privacy/export': {
    post: operation({
      summary: 'Export the events of a recipient',
      description: 'Every stored event of one email or of one metadata value (a recipient id), for a data access request. With a metadata subject the store reads every event: meant for rare requests.',
      tags: ['privacy'],
      body: ref('PrivacySubject'),
      answers: { 200: [ref('PrivacyExport'), 'The events.'] },
    }),
  },
  '/api/v1/privacy/erase': {
    post: operation({
      summary: 'Erase the events of a recipient',
      description: 'Deletes every event of one email or of one metadata value (a recipient id) and all their webhook outbox rows, in one transaction, for an erasure request. The server logs that an erasure happened and its counts, never the subject.',
      tags: ['privacy'],
      body: ref('PrivacySubject'),
      answers: { 200: [ref('Erased'), 'What was erased.'] },
    }),
  },
  '/api/v1/webhooks/deliveries': {
    get: operation({
      summary: 'List webhook deliveries',
      tags: ['webhooks'],
      parameters: [
        CURSOR,
        LIMIT,
        { name: 'status', in: 'query', description: 'Only deliveries in this status; failed: the retry budget ran out.', schema: { enum: ['pending', 'delivering', 'delivered', 'failed'] } },
      ],
      answers: { 200: [ref('DeliveryPage'), 'A page of deliveries.'] },
    }),
  },
  '/api/v1/webhooks/deliveries/{id}/retry': {
    post: operation({
      summary: 'Retry a failed delivery',
      description: 'Puts a failed delivery back in the queue with a fresh retry budget. No body.',
      tags: ['webhooks'],
      parameters: [{ name: 'id', in: 'path', required: true, description: 'The delivery id.', schema: { type: 'integer', minimum: 1, maximum: 999_999_999_999_999 } }],
      answers: { 202: [ref('Requeued'), 'Queued again.'] },
      errors: [404],
    }),
  },
}

/**
 * The OpenAPI 3.1 document of the API (served at /api/v1/openapi.json). Plain JSON data.
 */
export const OPENAPI_DOCUMENT: Readonly<Record<string, unknown>> = {
  openapi: '3.1.0',
  info: {
    title: 'pytrack server API',
    version: '1',
    description:
      'Make tracking links, adapt emails, read events and stats, and watch webhook deliveries. Answers are JSON; errors are `{"error": {"code", "message"}}` with a stable code. Send `Authorization: Bearer <PYTRACK_API_TOKEN>` when the server has a token (without one, on localhost only, the API is open). The tracking routes themselves (the pixel and the redirect, at the paths of PYTRACK_OPEN_URL and PYTRACK_CLICK_URL) are not part of this API.',
    license: { name: 'MIT', identifier: 'MIT' },
  },
  servers: [{ url: '/', description: 'The server that serves this document.' }],
  security: [{ bearerToken: [] }],
  tags: [
    { name: 'links', description: 'Make tracking links and adapt emails.' },
    { name: 'events', description: 'Recorded opens and clicks.' },
    { name: 'webhooks', description: 'The webhook outbox.' },
    { name: 'privacy', description: 'Access and erasure requests of recipients.' },
    { name: 'server', description: 'Health and this document.' },
  ],
  paths,
  components: {
    securitySchemes: { bearerToken: { type: 'http', scheme: 'bearer', description: 'The PYTRACK_API_TOKEN.' } },
    schemas,
    responses,
  },
}
