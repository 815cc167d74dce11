import { InvalidArgumentError, type JsonValue, type RequestData } from '@pytrack/core'
import {
  StoreError,
  type AnonymizePass,
  type ErasedCounts,
  type EventStore,
  type LabelChange,
  type ReclassifyRequest,
  type VerdictStats,
  type EventSubject,
  type ListEventsQuery,
  type ListOutboxQuery,
  type NewOutboxItem,
  type NewTrackingEvent,
  type OutboxClaim,
  type OutboxFailure,
  type OutboxItem,
  type Page,
  type RecordedEvent,
  type RecordRequest,
  type RetentionPass,
  type Stats,
  type StatsQuery,
  type DestinationCounts,
  type Timeseries,
  type TimeseriesQuery,
  type TimeRange,
  type TopDestinationsQuery,
  type TopValuesQuery,
  type TrackingEvent,
  type ValueCounts,
} from '@pytrack/server'
import { INTERVAL_MS, outboxItemOf, trackingEventOf, type EventRow, pageOf, statsCountsOf, stepRange, timeseriesOf, type OutboxRow } from '@pytrack/server/store-kit'
import pg from 'pg'
import { MIGRATE_LOCK, MIGRATIONS, WRITE_LOCK } from './_internal/migrations'

/**
 * Options of {@link openPostgresEventStore}.
 *
 * @example
 * ```ts
 * const options: PostgresEventStoreOptions = { url: 'postgres://pytrack:secret@db.internal:5432/pytrack', poolSize: 10 }
 * ```
 */
export interface PostgresEventStoreOptions {
  /**
   * The database, as a `postgres://user:password@host:port/database` URL (libpq parameters
   * such as `?sslmode=require` work). The user needs to create tables on first start.
   */
  url: string
  /** Connections to keep at most. Default 10. */
  poolSize?: number | undefined
  /** How long to wait for a connection, in ms. Default 10,000. */
  connectTimeoutMs?: number | undefined
}

type CountsRow = Record<'opens' | 'unique_opens' | 'clicks' | 'unique_clicks' | 'machine_opens' | 'machine_clicks', number>

// Groups from the kept counts of each email under each metadata (pytrack_email_counts), in two
// hash aggregates PostgreSQL may run in parallel: each email's counts within the group, then the
// sums and the emails with any. Totals are one kept row (pytrack_totals).
// A missing key and JSON null are one group; jsonb equality keeps 1, "1" and true apart.
const GROUPS = `
  SELECT value,
    sum(opens)::int8 AS opens, count(*) FILTER (WHERE opens + clicks > 0)::int8 AS unique_opens,
    sum(clicks)::int8 AS clicks, count(*) FILTER (WHERE clicks > 0)::int8 AS unique_clicks,
    sum(machine_opens)::int8 AS machine_opens, sum(machine_clicks)::int8 AS machine_clicks
  FROM (
    SELECT nullif(metadata -> $1::text, 'null'::jsonb) AS value, email_id,
      sum(opens) AS opens, sum(clicks) AS clicks, sum(machine_opens) AS machine_opens, sum(machine_clicks) AS machine_clicks
    FROM pytrack_email_counts GROUP BY 1, email_id
  ) AS emails
  GROUP BY value ORDER BY sum(opens + clicks + machine_opens + machine_clicks) DESC LIMIT 10000`

const TOTALS = 'SELECT opens, unique_opens, clicks, unique_clicks, machine_opens, machine_clicks FROM pytrack_totals WHERE id = 1'

const EVENT_COLUMNS =
  'id, kind, time, email_id, metadata, destination, client_ip, user_agent, machine, label, label_reason, request_data, first_label, first_machine, labels'

// Machine traffic in detail (Stats.verdicts), from the rows migration 4's triggers keep as events
// change: the counts by per-hit label, Apple's prefetch share, machines by current label.
const VERDICTS = `SELECT opens, unique_opens, clicks, unique_clicks, machine_opens, machine_clicks, apple_opens, apple_emails, apple_alone, opened_emails
FROM pytrack_verdict_totals WHERE id = 1`
const MACHINE_REASONS = 'SELECT kind, label, n FROM pytrack_machine_reasons WHERE n > 0 ORDER BY label'
const OUTBOX_COLUMNS =
  'id, webhook_id, event_id, url, payload, status, attempts, next_attempt_at, last_error, last_status, created_at, updated_at, delivered_at'

// Ids and times are int8: well inside 2^53, so plain numbers. Set per pool, never globally.
const TYPES = {
  getTypeParser: ((oid: number, format?: 'text' | 'binary') =>
    oid === 20 ? (value: string) => Number(value) : pg.types.getTypeParser(oid, format)) as typeof pg.types.getTypeParser,
}

/** The text form of metadata[$n] (see TimeRange.value): strings as they are, numbers and booleans as written; objects and arrays as jsonb text (turned into JSON's compact form in JS). */
const textForm = (n: number): string => `CASE jsonb_typeof(metadata -> $${n}::text)
    WHEN 'string' THEN metadata ->> $${n}::text WHEN 'number' THEN (metadata -> $${n}::text)::text WHEN 'boolean' THEN (metadata -> $${n}::text)::text
    WHEN 'object' THEN (metadata -> $${n}::text)::text WHEN 'array' THEN (metadata -> $${n}::text)::text END`

const TIME_COUNTS = `
  count(*) FILTER (WHERE kind = 'open' AND NOT machine)::int8 AS opens,
  count(*) FILTER (WHERE first_open)::int8 AS unique_opens,
  count(*) FILTER (WHERE kind = 'click' AND NOT machine)::int8 AS clicks,
  count(*) FILTER (WHERE first_click)::int8 AS unique_clicks,
  count(*) FILTER (WHERE kind = 'open' AND machine)::int8 AS machine_opens,
  count(*) FILTER (WHERE kind = 'click' AND machine)::int8 AS machine_clicks`

// The same figures from the hourly rollup's rows.
const ROLLUP_SUMS = ['opens', 'unique_opens', 'clicks', 'unique_clicks', 'machine_opens', 'machine_clicks'].map((name) => `sum(${name})::int8 AS ${name}`).join(', ')

/** The events of a range, and of one value when asked: the SQL condition (from $1) and its values. */
function rangeFilter(range: TimeRange, from: number, to: number): { where: string; values: unknown[] } {
  if (range.groupBy === undefined || range.value === undefined) return { where: 'time >= $1 AND time < $2', values: [from, to] }
  // An object or array value matches by JSON equality (jsonb orders keys its own way).
  let json: unknown
  try {
    json = JSON.parse(range.value)
  } catch {
    json = undefined
  }
  if (json !== null && typeof json === 'object') {
    return { where: 'time >= $1 AND time < $2 AND metadata -> $3::text = $4::jsonb', values: [from, to, range.groupBy, range.value] }
  }
  return { where: `time >= $1 AND time < $2 AND ${textForm(3)} = $4`, values: [from, to, range.groupBy, range.value] }
}

/** The SQL condition (from $`first`) and its values that select the events of a privacy request's subject. */
function subjectCondition(subject: EventSubject, first: number): { where: string; values: unknown[] } {
  if ('emailId' in subject) return { where: `email_id = $${first}`, values: [subject.emailId] }
  // jsonb equality: 1, "1" and true apart; a JSON null only where the key holds null.
  return { where: `metadata -> $${first}::text = $${first + 1}::jsonb`, values: [subject.key, JSON.stringify(subject.value)] }
}

// What anonymising removes from request data (and from a webhook payload's request_data).
const CLIENT_KEYS = ['user_ip', 'user_agent', 'referer']

/** A webhook payload without the client fields and dropped keys, its other members in their order; null when it is not a JSON object. */
function anonymizedPayload(payload: string, dropKeys: readonly string[]): string | null {
  let parsed: unknown
  try {
    parsed = JSON.parse(payload)
  } catch {
    return null
  }
  if (parsed === null || typeof parsed !== 'object' || Array.isArray(parsed)) return null
  const body = parsed as Record<string, unknown>
  for (const [member, keys] of [['request_data', CLIENT_KEYS], ['metadata', dropKeys]] as const) {
    const value = body[member]
    if (value === null || typeof value !== 'object' || Array.isArray(value)) continue
    for (const key of keys) delete (value as Record<string, unknown>)[key]
  }
  return JSON.stringify(body)
}

/** The URL without its password, for messages. */
function shown(url: string): string {
  try {
    const parsed = new URL(url)
    parsed.password = ''
    parsed.search = ''
    return parsed.href
  } catch {
    return 'the database URL'
  }
}

/**
 * The {@link EventStore} on PostgreSQL (node-postgres), for one or several server instances on
 * one database. Every hit batch is one statement and one transaction (`pytrack_record`); writers
 * take one advisory lock for the length of their transaction, so ids become visible in commit
 * order and pagers never miss an event. Outbox claims use `FOR UPDATE SKIP LOCKED` and
 * holder-named leases. Open it with {@link openPostgresEventStore}, which migrates the schema.
 *
 * @example
 * ```ts
 * const store = await openPostgresEventStore({ url: process.env.PYTRACK_DATABASE_URL! })
 * const page = await store.listEvents({ limit: 50 })
 * await store.close()
 * ```
 */
export class PostgresEventStore implements EventStore {
  readonly #pool: pg.Pool
  readonly #where: string
  #closed = false

  /** Use {@link openPostgresEventStore}: it also checks the connection and migrates the schema. */
  constructor(options: PostgresEventStoreOptions) {
    if (options === null || typeof options !== 'object' || typeof options.url !== 'string' || !/^postgres(ql)?:\/\//.test(options.url)) {
      throw new InvalidArgumentError('the PostgreSQL event store needs { url: "postgres://user:password@host:5432/database" }')
    }
    const poolSize = options.poolSize ?? 10
    if (!Number.isInteger(poolSize) || poolSize < 1 || poolSize > 1000) {
      throw new InvalidArgumentError(`poolSize must be a whole number from 1 to 1000; got ${String(poolSize)}`)
    }
    this.#where = shown(options.url)
    this.#pool = new pg.Pool({
      connectionString: options.url,
      max: poolSize,
      connectionTimeoutMillis: options.connectTimeoutMs ?? 10_000,
      application_name: 'pytrack',
      types: TYPES,
    })
    // An idle connection that dies (a database restart) must not take the process down: the
    // next query opens a new one, or fails with a StoreError.
    this.#pool.on('error', () => undefined)
  }

  async #query<R extends pg.QueryResultRow>(what: string, text: string, values: unknown[] = []): Promise<pg.QueryResult<R>> {
    if (this.#closed) throw new StoreError('the event store is closed')
    try {
      return await this.#pool.query<R>(text, values)
    } catch (error) {
      throw new StoreError(`the PostgreSQL event store (${this.#where}) could not ${what}: ${(error as Error).message}`, { cause: error })
    }
  }

  /** Applies the migrations this database lacks, under an advisory lock (instances starting together wait for each other). */
  async migrate(): Promise<void> {
    let client: pg.PoolClient
    try {
      client = await this.#pool.connect()
    } catch (error) {
      throw new StoreError(
        `cannot connect to PostgreSQL at ${this.#where}: ${(error as Error).message}; check PYTRACK_DATABASE_URL and that the server is up`,
        { cause: error },
      )
    }
    try {
      await client.query('SELECT pg_advisory_lock($1)', [MIGRATE_LOCK])
      try {
        await client.query('CREATE TABLE IF NOT EXISTS pytrack_migrations (version integer PRIMARY KEY, applied_at bigint NOT NULL)')
        const { rows } = await client.query<{ version: number | null }>('SELECT max(version) AS version FROM pytrack_migrations')
        const version = rows[0]?.version ?? 0
        if (version > MIGRATIONS.length) {
          throw new StoreError(`the PostgreSQL database ${this.#where} has schema version ${version}, newer than this pytrack knows (${MIGRATIONS.length}); upgrade pytrack`)
        }
        for (const [index, sql] of MIGRATIONS.entries()) {
          if (index < version) continue
          await client.query('BEGIN')
          try {
            await client.query(sql)
            await client.query('INSERT INTO pytrack_migrations (version, applied_at) VALUES ($1, $2)', [index + 1, Date.now()])
            await client.query('COMMIT')
          } catch (error) {
            await client.query('ROLLBACK')
            throw error
          }
        }
      } finally {
        await client.query('SELECT pg_advisory_unlock($1)', [MIGRATE_LOCK])
      }
    } catch (error) {
      if (error instanceof StoreError) throw error
      throw new StoreError(`cannot migrate the PostgreSQL database ${this.#where}: ${(error as Error).message}`, { cause: error })
    } finally {
      client.release()
    }
  }

  /**
   * Runs `work` in one transaction that holds the writer lock, so what it changes and the kept
   * counts it recounts are never interleaved with a group commit.
   */
  async #writeTransaction<T>(what: string, work: (client: pg.PoolClient) => Promise<T>): Promise<T> {
    if (this.#closed) throw new StoreError('the event store is closed')
    let client: pg.PoolClient | undefined
    try {
      client = await this.#pool.connect()
      await client.query('BEGIN')
      await client.query('SELECT pg_advisory_xact_lock($1)', [WRITE_LOCK])
      const result = await work(client)
      await client.query('COMMIT')
      client.release()
      return result
    } catch (error) {
      if (client !== undefined) {
        // A connection that cannot even roll back is dropped, not handed to the next caller.
        const broken = await client.query('ROLLBACK').then(() => undefined, (rollbackError: unknown) => rollbackError as Error)
        client.release(broken)
      }
      throw new StoreError(`the PostgreSQL event store (${this.#where}) could not ${what}: ${(error as Error).message}`, { cause: error })
    }
  }

  // Deletes the events `ids` and their outbox rows, then recounts their emails (in a write transaction).
  async #deleteIds(client: pg.PoolClient, ids: readonly number[]): Promise<ErasedCounts> {
    if (ids.length === 0) return { events: 0, outbox: 0 }
    const outbox = await client.query('DELETE FROM pytrack_outbox WHERE event_id = ANY($1::int8[])', [ids])
    const events = await client.query<{ email_id: string }>('DELETE FROM pytrack_events WHERE id = ANY($1::int8[]) RETURNING email_id', [ids])
    await client.query('SELECT pytrack_recount($1::text[])', [[...new Set(events.rows.map((row) => row.email_id))]])
    return { events: events.rowCount ?? 0, outbox: outbox.rowCount ?? 0 }
  }

  async eraseEvents(subject: EventSubject): Promise<ErasedCounts> {
    const { where, values } = subjectCondition(subject, 1)
    // Found before the writer lock is taken (a metadata subject reads every event): hits keep
    // being recorded meanwhile; the deletion itself is one transaction.
    const { rows } = await this.#query<{ id: number }>('erase events', `SELECT id FROM pytrack_events WHERE ${where}`, values)
    if (rows.length === 0) return { events: 0, outbox: 0 }
    return this.#writeTransaction('erase events', (client) => this.#deleteIds(client, rows.map((row) => row.id)))
  }

  anonymizeEvents(pass: AnonymizePass): Promise<number> {
    return this.#writeTransaction('anonymise events', async (client) => {
      const { rows } = await client.query<{ id: number; email_id: string }>(
        `UPDATE pytrack_events AS e SET client_ip = NULL, user_agent = NULL, anonymized_at = $3,
           metadata = e.metadata - $4::text[],
           request_data = CASE WHEN jsonb_typeof(e.request_data) = 'object' THEN e.request_data - $5::text[] ELSE e.request_data END
         FROM (SELECT id FROM pytrack_events WHERE anonymized_at IS NULL AND time < $1 ORDER BY time, id LIMIT $2) AS picked
         WHERE e.id = picked.id
         RETURNING e.id, e.email_id`,
        [pass.before, pass.limit, Date.now(), pass.dropKeys, CLIENT_KEYS],
      )
      if (rows.length === 0) return 0
      const ids = rows.map((row) => row.id)
      const { rows: outbox } = await client.query<{ id: number; payload: string }>('SELECT id, payload FROM pytrack_outbox WHERE event_id = ANY($1::int8[])', [ids])
      const changed = outbox.flatMap((row) => {
        const payload = anonymizedPayload(row.payload, pass.dropKeys)
        return payload === null ? [] : [{ id: row.id, payload }]
      })
      if (changed.length > 0) {
        await client.query(
          'UPDATE pytrack_outbox AS o SET payload = u.payload FROM unnest($1::int8[], $2::text[]) AS u(id, payload) WHERE o.id = u.id',
          [changed.map((row) => row.id), changed.map((row) => row.payload)],
        )
      }
      // Stats grouped by a dropped key see these events under no value from now on.
      if (pass.dropKeys.length > 0) await client.query('SELECT pytrack_recount($1::text[])', [[...new Set(rows.map((row) => row.email_id))]])
      return rows.length
    })
  }

  deleteEvents(pass: RetentionPass): Promise<ErasedCounts> {
    return this.#writeTransaction('delete old events', async (client) => {
      const { rows } = await client.query<{ id: number }>('SELECT id FROM pytrack_events WHERE time < $1 ORDER BY time, id LIMIT $2', [pass.before, pass.limit])
      return this.#deleteIds(client, rows.map((row) => row.id))
    })
  }

  async pruneOutbox(pass: RetentionPass): Promise<number> {
    const { rowCount } = await this.#query(
      'prune delivered webhook deliveries',
      `DELETE FROM pytrack_outbox WHERE id IN (
         SELECT id FROM pytrack_outbox WHERE status = 'delivered' AND delivered_at < $1 ORDER BY delivered_at LIMIT $2)`,
      [pass.before, pass.limit],
    )
    return rowCount ?? 0
  }

  async recordEvent(event: NewTrackingEvent, outbox: readonly NewOutboxItem[] = []): Promise<RecordedEvent> {
    const [recorded] = await this.recordEvents([{ event, outbox }])
    return recorded as RecordedEvent
  }

  async recordEvents(batch: readonly RecordRequest[]): Promise<RecordedEvent[]> {
    if (this.#closed) throw new StoreError('the event store is closed')
    if (batch.length === 0) return []
    const events: unknown[] = []
    const outbox: unknown[] = []
    for (const [index, { event, outbox: items }] of batch.entries()) {
      events.push({
        kind: event.kind,
        time: event.time,
        email_id: event.emailId,
        metadata: event.metadata,
        destination: event.destination,
        client_ip: event.clientIp,
        user_agent: event.userAgent,
        machine: event.machine,
        label: event.label,
        label_reason: event.labelReason,
        request_data: event.requestData,
        labels: event.labels === undefined || event.labels.length === 0 ? null : event.labels,
      })
      for (const item of items) outbox.push({ webhook_id: item.webhookId, event: index + 1, url: item.url, payload: item.payload, time: event.time })
    }
    let body: [string, string]
    try {
      body = [JSON.stringify(events), JSON.stringify(outbox)]
    } catch (error) {
      throw new StoreError(`the PostgreSQL event store could not record events: ${(error as Error).message}`, { cause: error })
    }
    const { rows } = await this.#query<{ first_event: number; first_outbox: number | null }>(
      'record events',
      'SELECT first_event, first_outbox FROM pytrack_record($1::jsonb, $2::jsonb)',
      body,
    )
    const first = rows[0]
    if (first === undefined) throw new StoreError('the PostgreSQL event store answered a write with no ids')
    // Under the writer lock the ids of one call are consecutive, in the order given.
    let nextOutbox = first.first_outbox ?? 0
    return batch.map(({ outbox: items }, index) => ({
      id: first.first_event + index,
      outbox: items.map((item) => ({ id: nextOutbox++, webhookId: item.webhookId })),
    }))
  }

  async listEvents(query: ListEventsQuery = {}): Promise<Page<TrackingEvent>> {
    const limit = query.limit ?? 100
    const conditions = ['id > $1']
    const values: unknown[] = [query.after ?? 0]
    if (query.kind !== undefined) {
      values.push(query.kind)
      conditions.push(`kind = $${values.length}`)
    }
    if (query.subject !== undefined) {
      const subject = subjectCondition(query.subject, values.length + 1)
      conditions.push(subject.where)
      values.push(...subject.values)
    }
    const { rows } = await this.#query<EventRow>(
      'list events',
      `SELECT ${EVENT_COLUMNS} FROM pytrack_events WHERE ${conditions.join(' AND ')} ORDER BY id LIMIT $${values.length + 1}`,
      [...values, limit + 1],
    )
    return pageOf(rows.map(trackingEventOf), limit)
  }

  async reclassifyEvents(request: ReclassifyRequest): Promise<number[]> {
    if (this.#closed) throw new StoreError('the event store is closed')
    if (request.changes.length === 0 && request.outbox.length === 0) return []
    const changes = request.changes.map((change, o) => ({ id: change.id, label: change.label, reason: change.reason, o }))
    return this.#writeTransaction('reclassify events', async (client) => {
      // SET reads the row as it was: the first label, the per-hit verdict and the label history
      // start from it (rows from before migration 3 have them null: their one label).
      const { rows } = await client.query<{ id: number; email_id: string; o: number }>(
        `UPDATE pytrack_events AS e SET
           labels = coalesce(e.labels, jsonb_build_array(jsonb_build_object('time', e.time, 'label', e.label, 'machine', e.machine, 'reason', e.label_reason)))
             || jsonb_build_array(jsonb_build_object('time', $1::int8, 'label', c.label, 'machine', true, 'reason', c.reason)),
           first_label = coalesce(e.first_label, e.label), first_machine = coalesce(e.first_machine, e.machine),
           hit_machine = coalesce(e.hit_machine, e.machine),
           label = c.label, label_reason = c.reason, machine = true
         FROM jsonb_to_recordset($2::jsonb) AS c(id int8, label text, reason text, o int4)
         WHERE e.id = c.id
         RETURNING e.id, e.email_id, c.o`,
        [request.time, JSON.stringify(changes)],
      )
      // The kept counts, first flags and totals of the emails touched, again from their events.
      if (rows.length > 0) await client.query('SELECT pytrack_recount($1::text[])', [[...new Set(rows.map((row) => row.email_id))]])
      if (request.outbox.length > 0) {
        await client.query(
          `INSERT INTO pytrack_outbox (webhook_id, event_id, url, payload, status, attempts, next_attempt_at, created_at, updated_at)
           SELECT o.value->>'webhook_id', $1, o.value->>'url', o.value->>'payload', 'pending', 0, $2, $2, $2
           FROM jsonb_array_elements($3::jsonb) WITH ORDINALITY AS o(value, n) ORDER BY o.n`,
          [request.eventId, request.time, JSON.stringify(request.outbox.map((item) => ({ webhook_id: item.webhookId, url: item.url, payload: item.payload })))],
        )
      }
      return rows.sort((a, b) => a.o - b.o).map((row) => row.id)
    })
  }

  async #verdictStats(): Promise<VerdictStats> {
    const [kept, reasons] = await Promise.all([
      this.#query<CountsRow & Record<'apple_opens' | 'apple_emails' | 'apple_alone' | 'opened_emails', number>>('compute stats', VERDICTS),
      this.#query<{ kind: 'open' | 'click'; label: string; n: number }>('compute stats', MACHINE_REASONS),
    ])
    const machineOpensByReason: Record<string, number> = {}
    const machineClicksByReason: Record<string, number> = {}
    for (const { kind, label, n } of reasons.rows) (kind === 'open' ? machineOpensByReason : machineClicksByReason)[label] = n
    const row = kept.rows[0]
    return {
      perHit: statsCountsOf(row),
      machineOpensByReason,
      machineClicksByReason,
      applePrefetch: { opens: row?.apple_opens ?? 0, emails: row?.apple_emails ?? 0, emailsWithoutPerson: row?.apple_alone ?? 0, openedEmails: row?.opened_emails ?? 0 },
    }
  }

  async stats(query: StatsQuery = {}): Promise<Stats> {
    const groupBy = query.groupBy
    const [{ rows: totals }, verdicts] = await Promise.all([this.#query<CountsRow>('compute stats', TOTALS), this.#verdictStats()])
    const total = statsCountsOf(totals[0])
    if (groupBy === undefined) return { groupBy: null, groups: [], total, verdicts }
    const { rows } = await this.#query<CountsRow & { value: JsonValue | null }>('compute stats', GROUPS, [groupBy])
    return { groupBy, groups: rows.map((row) => ({ value: row.value ?? null, ...statsCountsOf(row) })), total, verdicts }
  }

  async timeseries(query: TimeseriesQuery): Promise<Timeseries> {
    const { from, to, step } = stepRange(query, INTERVAL_MS[query.interval])
    // All events: from the hourly rollup (migration 5), whose hours fall in a range of whole hours as their events do.
    if (query.groupBy === undefined || query.value === undefined) {
      const { rows } = await this.#query<CountsRow & { bucket: number }>(
        'compute a time series',
        `SELECT (hour - ((hour % ${step}) + ${step}) % ${step})::int8 AS bucket, ${ROLLUP_SUMS}
         FROM pytrack_rollup_hours WHERE hour >= $1 AND hour < $2 GROUP BY 1`,
        [from, to],
      )
      return timeseriesOf(query, new Map(rows.map((row) => [row.bucket, statsCountsOf(row)])))
    }
    const { where, values } = rangeFilter(query, from, to)
    const { rows } = await this.#query<CountsRow & { bucket: number }>(
      'compute a time series',
      `SELECT (time - ((time % ${step}) + ${step}) % ${step})::int8 AS bucket, ${TIME_COUNTS}
       FROM pytrack_events WHERE ${where} GROUP BY 1`,
      values,
    )
    return timeseriesOf(query, new Map(rows.map((row) => [row.bucket, statsCountsOf(row)])))
  }

  async topDestinations(query: TopDestinationsQuery): Promise<DestinationCounts[]> {
    const hours = stepRange(query)
    const { where, values } = rangeFilter(query, hours.from, hours.to)
    // All events: from the hourly rollup by destination (migration 5); one value: from its events.
    const all = query.groupBy === undefined || query.value === undefined
    const { rows } = await this.#query<{ destination: string; clicks: number; unique_clicks: number; machine_clicks: number }>(
      'list the top destinations',
      all
        ? `SELECT destination, sum(clicks)::int8 AS clicks, sum(unique_clicks)::int8 AS unique_clicks, sum(machine_clicks)::int8 AS machine_clicks
           FROM pytrack_rollup_destinations WHERE hour >= $1 AND hour < $2
           GROUP BY destination ORDER BY 2 DESC, destination COLLATE "C" LIMIT $3`
        : `SELECT destination, count(*) FILTER (WHERE NOT machine)::int8 AS clicks, count(*) FILTER (WHERE first_destination)::int8 AS unique_clicks,
             count(*) FILTER (WHERE machine)::int8 AS machine_clicks
           FROM pytrack_events WHERE kind = 'click' AND destination IS NOT NULL AND ${where}
           GROUP BY destination ORDER BY 2 DESC, destination COLLATE "C" LIMIT $${values.length + 1}`,
      [...values, query.limit ?? 10],
    )
    return rows.map((row) => ({ destination: row.destination, clicks: row.clicks, uniqueClicks: row.unique_clicks, machineClicks: row.machine_clicks }))
  }

  async topValues(query: TopValuesQuery): Promise<ValueCounts[]> {
    const hours = stepRange(query)
    const { rows } = await this.#query<CountsRow & { value: string; json: JsonValue }>(
      'list the values of a key',
      `SELECT value, (array_agg(json) FILTER (WHERE jsonb_typeof(json) IN ('object', 'array')))[1] AS json, ${TIME_COUNTS}
       FROM (SELECT ${textForm(3)} AS value, metadata -> $3::text AS json, kind, machine, first_open, first_click
             FROM pytrack_events WHERE time >= $1 AND time < $2 AND metadata ? $3::text) AS e
       WHERE value IS NOT NULL
       GROUP BY value ORDER BY count(*) DESC, value COLLATE "C" LIMIT $4`,
      [hours.from, hours.to, query.groupBy, query.limit ?? 100],
    )
    return rows.map((row) => ({
      value: row.json !== null && typeof row.json === 'object' ? JSON.stringify(row.json) : row.value,
      ...statsCountsOf(row),
    }))
  }

  async claimOutbox(claim: OutboxClaim): Promise<OutboxItem[]> {
    const now = claim.now ?? Date.now()
    // SKIP LOCKED: a row another dispatcher is claiming right now is passed over, not waited for;
    // the status and lease end are checked again on the row's newest version before it is taken.
    const { rows } = await this.#query<OutboxRow>(
      'claim webhook deliveries',
      `UPDATE pytrack_outbox SET status = 'delivering', lease = $1, next_attempt_at = $2, updated_at = $3
       WHERE id IN (
         SELECT id FROM pytrack_outbox
         WHERE status IN ('pending', 'delivering') AND next_attempt_at <= $3
         ORDER BY next_attempt_at, id LIMIT $4
         FOR UPDATE SKIP LOCKED)
       RETURNING ${OUTBOX_COLUMNS}`,
      [claim.lease, now + claim.leaseMs, now, claim.limit],
    )
    return rows.map(outboxItemOf).sort((a, b) => a.id - b.id)
  }

  // Changes a row only while `lease` holds it: a holder whose lease expired changes nothing.
  async #whileHeld(what: string, set: string, values: unknown[], id: number, lease: string): Promise<boolean> {
    const { rowCount } = await this.#query(
      what,
      `UPDATE pytrack_outbox SET ${set} WHERE id = $${values.length + 1} AND lease = $${values.length + 2} AND status = 'delivering'`,
      [...values, id, lease],
    )
    return rowCount === 1
  }

  completeOutbox(id: number, lease: string, status: number | null): Promise<boolean> {
    const now = Date.now()
    return this.#whileHeld(
      'mark a delivery delivered',
      `status = 'delivered', attempts = attempts + 1, last_status = $1, last_error = NULL, lease = NULL, updated_at = $2, delivered_at = $2`,
      [status, now], id, lease,
    )
  }

  failOutbox(id: number, lease: string, failure: OutboxFailure): Promise<boolean> {
    const now = Date.now()
    return this.#whileHeld(
      'record a failed delivery',
      `status = $1, attempts = attempts + 1, last_status = $2, last_error = $3, next_attempt_at = $4, lease = NULL, updated_at = $5`,
      [failure.retryAt === null ? 'failed' : 'pending', failure.status, failure.error.slice(0, 500), failure.retryAt ?? now, now],
      id,
      lease,
    )
  }

  releaseOutbox(id: number, lease: string): Promise<boolean> {
    const now = Date.now()
    return this.#whileHeld('release a delivery', `status = 'pending', next_attempt_at = $1, lease = NULL, updated_at = $1`, [now], id, lease)
  }

  async retryOutbox(id: number): Promise<boolean> {
    const now = Date.now()
    const { rowCount } = await this.#query(
      'requeue a delivery',
      `UPDATE pytrack_outbox SET status = 'pending', attempts = 0, next_attempt_at = $1, updated_at = $1 WHERE id = $2 AND status = 'failed'`,
      [now, id],
    )
    return rowCount === 1
  }

  async listOutbox(query: ListOutboxQuery = {}): Promise<Page<OutboxItem>> {
    const limit = query.limit ?? 100
    const { rows } =
      query.status === undefined
        ? await this.#query<OutboxRow>('list webhook deliveries', `SELECT ${OUTBOX_COLUMNS} FROM pytrack_outbox WHERE id > $1 ORDER BY id LIMIT $2`, [
            query.after ?? 0,
            limit + 1,
          ])
        : await this.#query<OutboxRow>(
            'list webhook deliveries',
            `SELECT ${OUTBOX_COLUMNS} FROM pytrack_outbox WHERE status = $1 AND id > $2 ORDER BY id LIMIT $3`,
            [query.status, query.after ?? 0, limit + 1],
          )
    return pageOf(rows.map(outboxItemOf), limit)
  }

  async nextOutboxDue(): Promise<number | null> {
    const { rows } = await this.#query<{ due: number | null }>(
      'read the outbox',
      `SELECT min(next_attempt_at) AS due FROM pytrack_outbox WHERE status IN ('pending', 'delivering')`,
    )
    return rows[0]?.due ?? null
  }

  /**
   * Checks the key this instance seals links with against the one the instances on this database
   * seal with, by fingerprint (never the key): the stored fingerprint must be one of `accepted`
   * (the fingerprints of the keys this instance opens links with). When it is, `fingerprint`
   * becomes the stored one (the first instance, or the newer side of a key rotation).
   *
   * @example
   * ```ts
   * const { accepted } = await store.recordSealingKey(fingerprintOfFirstKey, fingerprintsOfAllKeys)
   * if (!accepted) throw new Error('give every instance the same PYTRACK_KEYS')
   * ```
   */
  async recordSealingKey(
    fingerprint: string,
    accepted: readonly string[],
  ): Promise<{
    /** The fingerprint the database held before, or null for the first instance. */
    previous: string | null
    /** Whether this instance may start: the stored fingerprint is one of `accepted`. */
    accepted: boolean
  }> {
    const now = Date.now()
    const seeded = await this.#query('check the sealing key', `INSERT INTO pytrack_instances (name, value, updated_at) VALUES ('sealing-key', $1, $2) ON CONFLICT (name) DO NOTHING`, [fingerprint, now])
    if (seeded.rowCount === 1) return { previous: null, accepted: true }
    const { rows } = await this.#query<{ value: string }>('check the sealing key', `SELECT value FROM pytrack_instances WHERE name = 'sealing-key'`)
    const previous = rows[0]?.value ?? null
    if (previous === null || !accepted.includes(previous)) return { previous, accepted: false }
    if (previous !== fingerprint) {
      await this.#query('check the sealing key', `UPDATE pytrack_instances SET value = $1, updated_at = $2 WHERE name = 'sealing-key' AND value = $3`, [fingerprint, now, previous])
    }
    return { previous, accepted: true }
  }

  async check(): Promise<void> {
    await this.#query('answer a health check', 'SELECT 1')
  }

  async close(): Promise<void> {
    if (this.#closed) return
    this.#closed = true
    await this.#pool.end()
  }
}

/**
 * Connects to PostgreSQL, applies the schema migrations this database lacks (under an advisory
 * lock, so several instances may start at once), and answers the store.
 *
 * @example
 * ```ts
 * import { loadSettings, startServer } from '@pytrack/server'
 * import { openPostgresEventStore } from '@pytrack/store-postgres'
 *
 * const store = await openPostgresEventStore({ url: 'postgres://pytrack:secret@127.0.0.1:5432/pytrack' })
 * const server = await startServer(loadSettings(), { store })
 * ```
 */
export async function openPostgresEventStore(options: PostgresEventStoreOptions): Promise<PostgresEventStore> {
  const store = new PostgresEventStore(options)
  try {
    await store.migrate()
  } catch (error) {
    await store.close()
    throw error
  }
  return store
}
