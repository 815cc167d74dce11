import { createRequire } from 'node:module'
import { dirname } from 'node:path'
import type Database from 'better-sqlite3'
import { InvalidArgumentError, type JsonValue, type RequestData } from '@pytrack/core'
import { StoreError } from '../errors/store-error'
import { makeDirectory } from '../_internal/make-directory'
import { HOUR_MS, INTERVAL_MS, outboxItemOf, pageOf, statsCountsOf, stepRange, timeseriesOf, trackingEventOf, type OutboxRow } from '../store-kit'
import type {
  AnonymizePass,
  ErasedCounts,
  LabelChange,
  ReclassifyRequest,
  VerdictStats,
  EventStore,
  EventSubject,
  ListEventsQuery,
  ListOutboxQuery,
  NewOutboxItem,
  NewTrackingEvent,
  OutboxClaim,
  OutboxFailure,
  OutboxItem,
  Page,
  RecordedEvent,
  RecordRequest,
  RetentionPass,
  Stats,
  StatsCounts,
  StatsQuery,
  DestinationCounts,
  TimeRange,
  Timeseries,
  TimeseriesQuery,
  TopDestinationsQuery,
  TopValuesQuery,
  TrackingEvent,
  ValueCounts,
} from './event-store'

/**
 * Options of {@link openSqliteEventStore}.
 *
 * @example
 * ```ts
 * const options: SqliteEventStoreOptions = { file: './data/pytrack.db', synchronous: 'full' }
 * ```
 */
export interface SqliteEventStoreOptions {
  /** The database file; its folder is created (owner-only) when missing. `:memory:` for tests. */
  file: string
  /**
   * SQLite's `synchronous` in WAL mode. `normal` (default): a committed event survives a crash
   * or `kill -9` of the process (the WAL write is in the OS before the commit returns);
   * `full`: it also survives power loss and OS crashes, at one fsync per event.
   */
  synchronous?: 'normal' | 'full' | undefined
}

// What one event counts for in its email's kept figures (1 or 0 each, in EMAIL_SUMS' order):
// human opens and clicks, machine opens and clicks (current label), human opens and clicks by
// the per-hit label (older rows: their one label), Apple prefetches. `row`: `NEW.`, `OLD.` or ''.
function eventFigures(row: string): string[] {
  const hitHuman = `COALESCE(${row}hit_machine, ${row}machine) = 0`
  return [
    `${row}kind = 'open' AND ${row}machine = 0`,
    `${row}kind = 'click' AND ${row}machine = 0`,
    `${row}kind = 'open' AND ${row}machine = 1`,
    `${row}kind = 'click' AND ${row}machine = 1`,
    `${row}kind = 'open' AND ${hitHuman}`,
    `${row}kind = 'click' AND ${hitHuman}`,
    `${row}kind = 'open' AND ${row}label = 'privacy-prefetch'`,
  ].map((figure) => `(${figure})`)
}

const EMAIL_SUMS = ['opens', 'clicks', 'machine_opens', 'machine_clicks', 'hit_opens', 'hit_clicks', 'prefetches'] as const
const METADATA_SUMS = EMAIL_SUMS.slice(0, 4)
const added = (columns: readonly string[]): string => columns.map((column) => `${column} = ${column} + excluded.${column}`).join(', ')

/** The statements that move the kept figures by one event `row` in (d = 1) or out (d = -1). */
function keepEvent(row: 'NEW' | 'OLD', d: 1 | -1): string {
  const figures = eventFigures(`${row}.`).map((figure) => `${d} * ${figure}`)
  return `
  INSERT INTO stats_emails (email_id, ${EMAIL_SUMS.join(', ')}) VALUES (${row}.email_id, ${figures.join(', ')})
    ON CONFLICT (email_id) DO UPDATE SET ${added(EMAIL_SUMS)};
  INSERT INTO stats_email_metadata (email_id, metadata, ${METADATA_SUMS.join(', ')}) VALUES (${row}.email_id, ${row}.metadata, ${figures.slice(0, 4).join(', ')})
    ON CONFLICT (email_id, metadata) DO UPDATE SET ${added(METADATA_SUMS)};
  INSERT INTO stats_reasons (kind, label, n) SELECT ${row}.kind, ${row}.label, ${d} WHERE ${row}.machine = 1
    ON CONFLICT (kind, label) DO UPDATE SET n = n + excluded.n;`
}

// An email, an email's metadata or a label with no event left leaves no row (erasure, retention).
const FORGET_EMPTY = `
  DELETE FROM stats_emails WHERE email_id = OLD.email_id AND opens + clicks + machine_opens + machine_clicks = 0;
  DELETE FROM stats_email_metadata WHERE email_id = OLD.email_id AND metadata = OLD.metadata AND opens + clicks + machine_opens + machine_clicks = 0;
  DELETE FROM stats_reasons WHERE kind = OLD.kind AND label = OLD.label AND n = 0;`

// The distinct-email figures of a stats_emails row (1 or 0 each), in stats_totals' order.
function emailFlags(row: 'NEW' | 'OLD'): string[] {
  const people = `${row}.opens + ${row}.clicks`
  return [
    `${people} > 0`,
    `${row}.clicks > 0`,
    `${row}.hit_opens + ${row}.hit_clicks > 0`,
    `${row}.hit_clicks > 0`,
    `${row}.prefetches > 0`,
    `${row}.prefetches > 0 AND ${people} = 0`,
    `${people} + ${row}.machine_opens + ${row}.machine_clicks > 0`,
  ]
}
const FLAGS = ['unique_opens', 'unique_clicks', 'hit_unique_opens', 'hit_unique_clicks', 'apple_emails', 'apple_alone', 'opened_emails'] as const

/** The stats_totals update for a stats_emails row going from OLD to NEW (OLD absent for an insert). */
function totalsUpdate(insert: boolean): string {
  const sums = EMAIL_SUMS.map((column) => `${column} = ${column} + NEW.${column}${insert ? '' : ` - OLD.${column}`}`)
  const oldFlags = emailFlags('OLD')
  const flags = emailFlags('NEW').map((flag, i) => `${FLAGS[i] ?? ''} = ${FLAGS[i] ?? ''} + (${flag})${insert ? '' : ` - (${oldFlags[i] ?? ''})`}`)
  return `UPDATE stats_totals SET ${[...sums, ...flags].join(', ')} WHERE id = 1;`
}

const COUNTED = ['kind', 'email_id', 'metadata', 'machine', 'label', 'hit_machine']

/**
 * Migration 6, stats kept: each email's counts (stats_emails), each email's counts under each
 * metadata it had (stats_email_metadata, for groups), machine hits by current label, and one row
 * of sums and distinct-email counts, kept by triggers on events. A trigger runs inside the
 * statement that changes the events, so in the same write transaction as every write, relabel,
 * anonymisation, erasure and retention pass: with several processes on the file (--workers)
 * SQLite serialises those transactions, and no figure can miss or double-count another writer's
 * events. Triggers rather than code beside each write: every path that changes an event keeps
 * the figures, future ones included. Filled from the events once, under the migration's write lock.
 */
function statsMigration(): string {
  // No NOT NULL on the kept figures (every value is computed, never null): a constraint that
  // could abort a trigger's statement makes SQLite journal each of its writes (see insertEvent).
  const whenCounted = COUNTED.map((column) => `OLD.${column} IS NOT NEW.${column}`).join(' OR ')
  return `
CREATE TABLE stats_emails (
  email_id TEXT PRIMARY KEY,
  ${EMAIL_SUMS.map((column) => `${column} INTEGER`).join(', ')}
) WITHOUT ROWID;
CREATE TABLE stats_email_metadata (
  email_id TEXT, metadata TEXT,
  ${METADATA_SUMS.map((column) => `${column} INTEGER`).join(', ')},
  PRIMARY KEY (email_id, metadata)
) WITHOUT ROWID;
CREATE TABLE stats_reasons (kind TEXT, label TEXT, n INTEGER, PRIMARY KEY (kind, label)) WITHOUT ROWID;
CREATE TABLE stats_totals (
  id INTEGER PRIMARY KEY CHECK (id = 1),
  ${[...EMAIL_SUMS, ...FLAGS].map((column) => `${column} INTEGER`).join(', ')}
);
INSERT INTO stats_totals VALUES (1, ${[...EMAIL_SUMS, ...FLAGS].map(() => '0').join(', ')});
-- A row of stats_emails is deleted only once every figure of it is 0, so only inserts and updates move the totals.
CREATE TRIGGER stats_emails_inserted AFTER INSERT ON stats_emails BEGIN ${totalsUpdate(true)} END;
CREATE TRIGGER stats_emails_updated AFTER UPDATE ON stats_emails BEGIN ${totalsUpdate(false)} END;
INSERT INTO stats_emails (email_id, ${EMAIL_SUMS.join(', ')})
  SELECT email_id, ${eventFigures('').map((figure) => `SUM${figure}`).join(', ')}
  FROM events GROUP BY email_id;
INSERT INTO stats_email_metadata (email_id, metadata, ${METADATA_SUMS.join(', ')})
  SELECT email_id, metadata, ${eventFigures('').slice(0, 4).map((figure) => `SUM${figure}`).join(', ')}
  FROM events GROUP BY email_id, metadata;
INSERT INTO stats_reasons (kind, label, n) SELECT kind, label, COUNT(*) FROM events WHERE machine = 1 GROUP BY kind, label;
CREATE TRIGGER events_inserted_stats AFTER INSERT ON events BEGIN ${keepEvent('NEW', 1)}
END;
CREATE TRIGGER events_updated_stats AFTER UPDATE OF ${COUNTED.join(', ')} ON events WHEN ${whenCounted} BEGIN ${keepEvent('OLD', -1)}${keepEvent('NEW', 1)}${FORGET_EMPTY}
END;
CREATE TRIGGER events_deleted_stats AFTER DELETE ON events BEGIN ${keepEvent('OLD', -1)}${FORGET_EMPTY}
END;
`
}

// Versioned: MIGRATIONS[i] takes a database from user_version i to i + 1, in one transaction.
const MIGRATIONS = [
  `
CREATE TABLE IF NOT EXISTS events (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  kind TEXT NOT NULL CHECK (kind IN ('open', 'click')),
  time INTEGER NOT NULL,
  email_id TEXT NOT NULL,
  metadata TEXT NOT NULL,
  destination TEXT,
  client_ip TEXT,
  user_agent TEXT,
  machine INTEGER NOT NULL,
  label TEXT NOT NULL,
  label_reason TEXT,
  request_data TEXT
);
CREATE TABLE IF NOT EXISTS outbox (
  id INTEGER PRIMARY KEY AUTOINCREMENT,
  webhook_id TEXT NOT NULL UNIQUE,
  event_id INTEGER NOT NULL,
  url TEXT NOT NULL,
  payload TEXT NOT NULL,
  status TEXT NOT NULL CHECK (status IN ('pending', 'delivering', 'delivered', 'failed')),
  attempts INTEGER NOT NULL DEFAULT 0,
  next_attempt_at INTEGER NOT NULL,
  lease_until INTEGER,
  last_error TEXT,
  last_status INTEGER,
  created_at INTEGER NOT NULL,
  updated_at INTEGER NOT NULL,
  delivered_at INTEGER
);
CREATE INDEX IF NOT EXISTS outbox_due ON outbox (status, next_attempt_at);
`,
  // Leases name their holder, so several processes on one file never take one row twice.
  `ALTER TABLE outbox ADD COLUMN lease TEXT;`,
  // Hourly counts for the time queries, filled lazily from the events (see #catchUp). firsts:
  // the first human open, click, and click on each destination ('d:' + URL) of each email.
  `
CREATE TABLE IF NOT EXISTS rollup_progress (name TEXT PRIMARY KEY, done INTEGER NOT NULL) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS firsts (email_id TEXT NOT NULL, what TEXT NOT NULL, event_id INTEGER NOT NULL, PRIMARY KEY (email_id, what)) WITHOUT ROWID;
CREATE INDEX IF NOT EXISTS firsts_event ON firsts (event_id);
CREATE TABLE IF NOT EXISTS rollup_hours (
  key TEXT NOT NULL, value TEXT NOT NULL, hour INTEGER NOT NULL,
  opens INTEGER NOT NULL, clicks INTEGER NOT NULL, machine_opens INTEGER NOT NULL, machine_clicks INTEGER NOT NULL,
  unique_opens INTEGER NOT NULL, unique_clicks INTEGER NOT NULL,
  PRIMARY KEY (key, value, hour)
) WITHOUT ROWID;
CREATE TABLE IF NOT EXISTS rollup_destinations (
  key TEXT NOT NULL, value TEXT NOT NULL, hour INTEGER NOT NULL, destination TEXT NOT NULL,
  clicks INTEGER NOT NULL, machine_clicks INTEGER NOT NULL, unique_clicks INTEGER NOT NULL,
  PRIMARY KEY (key, value, hour, destination)
) WITHOUT ROWID;
`,
  // Retention and privacy requests: the job finds events not yet anonymised by time through a
  // partial index (anonymised rows drop out of it, so a pass never rescans them), deletes by
  // time, erases by email, and takes outbox rows with their event.
  `
ALTER TABLE events ADD COLUMN anonymized_at INTEGER;
CREATE INDEX IF NOT EXISTS events_identified ON events (time) WHERE anonymized_at IS NULL;
CREATE INDEX IF NOT EXISTS events_time ON events (time);
CREATE INDEX IF NOT EXISTS events_email ON events (email_id);
CREATE INDEX IF NOT EXISTS outbox_event ON outbox (event_id);
CREATE INDEX IF NOT EXISTS outbox_delivered ON outbox (delivered_at) WHERE status = 'delivered';
`,
  // Verdicts that change: the label when answered, whether the per-hit label was a machine's,
  // and every label once there is more than one (all null on older rows: their one label).
  `
ALTER TABLE events ADD COLUMN first_label TEXT;
ALTER TABLE events ADD COLUMN first_machine INTEGER;
ALTER TABLE events ADD COLUMN hit_machine INTEGER;
ALTER TABLE events ADD COLUMN labels TEXT;
`,
  statsMigration(),
]

/** Events rolled up a transaction: each is a few tens of milliseconds, so hits are never held up long. */
const CATCH_UP_CHUNK = 5_000

/**
 * The text form of metadata[key] in SQL (see TimeRange.value), reading the JSON once (json_type
 * only tells booleans from numbers); NULL for null and a missing key.
 */
function valueSql(key: string): string {
  if (key === '') return "''"
  const path = `'$."${key.replaceAll('"', '').replaceAll("'", '')}"'`
  return `(SELECT CASE typeof(x) WHEN 'text' THEN x WHEN 'real' THEN CAST(x AS TEXT)
      WHEN 'integer' THEN CASE json_type(e.metadata, ${path}) WHEN 'true' THEN 'true' WHEN 'false' THEN 'false' ELSE CAST(x AS TEXT) END
    END FROM (SELECT json_extract(e.metadata, ${path}) AS x))`
}

const HOUR_SQL = `e.time - (((e.time % ${HOUR_MS}) + ${HOUR_MS}) % ${HOUR_MS})`

/** The JSON path of a top-level metadata key: quoted, so dots and colons are part of the name. */
function keyPath(key: string): string {
  return `$."${key.replaceAll('"', '')}"`
}

/** The SQL condition (and its values) that selects the events of a privacy request's subject. */
function subjectCondition(subject: EventSubject): [string, unknown[]] {
  if ('emailId' in subject) return ['email_id = ?', [subject.emailId]]
  const path = keyPath(subject.key)
  const value = subject.value
  if (value === null) return ["json_type(metadata, ?) = 'null'", [path]]
  if (typeof value === 'boolean') return ['json_type(metadata, ?) = ?', [path, String(value)]]
  if (typeof value === 'number') return ["json_type(metadata, ?) IN ('integer', 'real') AND json_extract(metadata, ?) = ?", [path, path, value]]
  if (typeof value === 'string') return ["json_type(metadata, ?) = 'text' AND json_extract(metadata, ?) = ?", [path, path, value]]
  return ['json_type(metadata, ?) = ? AND json_extract(metadata, ?) = json(?)', [path, Array.isArray(value) ? 'array' : 'object', path, JSON.stringify(value)]]
}

// What anonymising removes from request data, and from a webhook payload's request data.
const CLIENT_PATHS = ['$.user_ip', '$.user_agent', '$.referer']
const PAYLOAD_PATHS = CLIENT_PATHS.map((path) => path.replace('$.', '$.request_data.'))

type DatabaseConstructor = typeof Database
let driver: DatabaseConstructor | undefined

// better-sqlite3 is an optional dependency (a native module): loaded on first use, so users of
// another store need not build it.
function loadDriver(): DatabaseConstructor {
  if (driver !== undefined) return driver
  try {
    driver = createRequire(import.meta.url)('better-sqlite3') as DatabaseConstructor
    return driver
  } catch (error) {
    throw new StoreError(
      `the SQLite event store needs the better-sqlite3 package, which could not be loaded (${(error as Error).message}); install it with "npm install better-sqlite3", or set PYTRACK_DATABASE_URL to use PostgreSQL`,
      { cause: error },
    )
  }
}

interface EventRow {
  id: number
  kind: 'open' | 'click'
  time: number
  email_id: string
  metadata: string
  destination: string | null
  client_ip: string | null
  user_agent: string | null
  machine: number
  label: string
  label_reason: string | null
  request_data: string | null
  first_label: string | null
  first_machine: number | null
  labels: string | null
}

interface CountsRow {
  value?: unknown
  opens: number | null
  unique_opens: number
  clicks: number | null
  unique_clicks: number
  machine_opens: number | null
  machine_clicks: number | null
}


function eventOf(row: EventRow): TrackingEvent {
  return trackingEventOf({
    ...row,
    metadata: JSON.parse(row.metadata) as Record<string, JsonValue>,
    machine: row.machine === 1,
    request_data: row.request_data === null ? null : (JSON.parse(row.request_data) as RequestData),
    first_machine: row.first_machine === null ? null : row.first_machine === 1,
    labels: row.labels === null ? null : (JSON.parse(row.labels) as LabelChange[]),
  })
}

type LabelsRow = Pick<EventRow, 'time' | 'label' | 'machine' | 'label_reason' | 'labels'>

/** Every label of a row: its `labels` once it had more than one, else its one label. */
function labelsOf(row: LabelsRow): LabelChange[] {
  if (row.labels !== null) return JSON.parse(row.labels) as LabelChange[]
  return [{ time: row.time, label: row.label, machine: row.machine === 1, reason: row.label_reason }]
}

function wrap<T>(what: string, run: () => T): T {
  try {
    return run()
  } catch (error) {
    if (error instanceof InvalidArgumentError || error instanceof StoreError) throw error
    throw new StoreError(`the SQLite event store could not ${what}: ${(error as Error).message}`, { cause: error })
  }
}

/**
 * The {@link EventStore} on SQLite (better-sqlite3, WAL). Synchronous: when `recordEvent`
 * returns, the event and its outbox rows are committed. Several processes on one machine may
 * open the same file (SQLite serialises the writers); it must not be on a network file system.
 *
 * @example
 * ```ts
 * const store = openSqliteEventStore({ file: './data/pytrack.db' })
 * store.recordEvent(event, [])
 * store.close()
 * ```
 */
export class SqliteEventStore implements EventStore {
  /** The database file. */
  readonly file: string
  readonly #db: Database.Database
  readonly #record: (event: NewTrackingEvent, outbox: readonly NewOutboxItem[]) => RecordedEvent
  readonly #recordMany: (batch: readonly RecordRequest[]) => RecordedEvent[]
  readonly #reclassify: (request: ReclassifyRequest) => number[]
  #closed = false

  constructor(options: SqliteEventStoreOptions) {
    this.file = options.file
    const synchronous = options.synchronous ?? 'normal'
    if (synchronous !== 'normal' && synchronous !== 'full') {
      throw new InvalidArgumentError(`synchronous must be "normal" or "full"; got "${String(synchronous)}"`)
    }
    try {
      if (options.file !== ':memory:') {
        makeDirectory(dirname(options.file))
      }
      const Driver = loadDriver()
      this.#db = new Driver(options.file)
      this.#db.pragma('busy_timeout = 5000')
      this.#db.pragma('journal_mode = WAL')
      this.#db.pragma(`synchronous = ${synchronous.toUpperCase()}`)
      // Erased and anonymised data is overwritten, not left in free pages of the file.
      this.#db.pragma('secure_delete = ON')
      this.#migrate()
    } catch (error) {
      if (error instanceof StoreError) throw error
      throw new StoreError(
        `cannot open the SQLite database ${options.file}: ${(error as Error).message}; check the data folder exists and is writable`,
        { cause: error },
      )
    }
    // OR ROLLBACK: an insert that fails ends the whole transaction (as the caller's rollback would),
    // so SQLite keeps no statement journal (a temporary file) for the writes of the stats triggers,
    // which cost 10 times more with one (55 µs against 5 µs an event).
    const insertEvent = this.#db.prepare(
      `INSERT OR ROLLBACK INTO events (kind, time, email_id, metadata, destination, client_ip, user_agent, machine, label, label_reason, request_data,
         first_label, first_machine, hit_machine, labels)
       VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)`,
    )
    const insertOutbox = this.#db.prepare(
      `INSERT INTO outbox (webhook_id, event_id, url, payload, status, attempts, next_attempt_at, created_at, updated_at)
       VALUES (?, ?, ?, ?, 'pending', 0, ?, ?, ?)`,
    )
    // BEGIN IMMEDIATE: the write lock is taken up front, so a busy writer in another process is
    // waited for (busy_timeout) instead of failing the transaction half way.
    const insert = (event: NewTrackingEvent, outbox: readonly NewOutboxItem[]): RecordedEvent => {
      const info = insertEvent.run(
        event.kind,
        event.time,
        event.emailId,
        JSON.stringify(event.metadata),
        event.destination,
        event.clientIp,
        event.userAgent,
        event.machine ? 1 : 0,
        event.label,
        event.labelReason,
        event.requestData === null ? null : JSON.stringify(event.requestData),
        event.label,
        event.machine ? 1 : 0,
        (event.labels?.[0]?.machine ?? event.machine) ? 1 : 0,
        event.labels === undefined || event.labels.length === 0 ? null : JSON.stringify(event.labels),
      )
      const id = Number(info.lastInsertRowid)
      const written: RecordedEvent['outbox'] = []
      for (const item of outbox) {
        const row = insertOutbox.run(item.webhookId, id, item.url, item.payload, event.time, event.time, event.time)
        written.push({ id: Number(row.lastInsertRowid), webhookId: item.webhookId })
      }
      return { id, outbox: written }
    }
    this.#record = this.#db.transaction(insert).immediate
    this.#reclassify = this.#db.transaction((request: ReclassifyRequest): number[] => {
      const changed: number[] = []
      for (const change of request.changes) {
        const row = this.#prepare('SELECT id, kind, email_id, destination, time, label, machine, label_reason, labels FROM events WHERE id = ?').get(change.id) as
          | (LabelsRow & Pick<EventRow, 'id' | 'kind' | 'email_id' | 'destination'>)
          | undefined
        if (row === undefined) continue
        const labels = labelsOf(row)
        labels.push({ time: request.time, label: change.label, machine: true, reason: change.reason })
        // OR ROLLBACK, as insertEvent: no statement journal for the stats triggers' writes.
        this.#prepare(
          // SET reads the row as it was: rows from before the labels migration keep their one label as the first and per-hit one.
          `UPDATE OR ROLLBACK events SET first_label = coalesce(first_label, label), first_machine = coalesce(first_machine, machine),
             hit_machine = coalesce(hit_machine, machine), label = ?, machine = 1, label_reason = ?, labels = ? WHERE id = ?`,
        ).run(change.label, change.reason, JSON.stringify(labels), change.id)
        if (row.machine === 0) this.#rollUpAsMachine(row)
        changed.push(change.id)
      }
      for (const item of request.outbox) insertOutbox.run(item.webhookId, request.eventId, item.url, item.payload, request.time, request.time, request.time)
      return changed
    }).immediate
    this.#recordMany = this.#db.transaction((batch: readonly RecordRequest[]) => batch.map((item) => insert(item.event, item.outbox))).immediate
  }

  // Several processes may open the file at once: the first to take the write lock migrates.
  #migrate(): void {
    const db = this.#db
    db.transaction(() => {
      const version = db.pragma('user_version', { simple: true }) as number
      if (version > MIGRATIONS.length) {
        throw new StoreError(`the SQLite database ${this.file} has schema version ${version}, newer than this pytrack knows (${MIGRATIONS.length}); upgrade pytrack`)
      }
      for (const sql of MIGRATIONS.slice(version)) db.exec(sql)
      db.pragma(`user_version = ${MIGRATIONS.length}`)
    }).immediate()
  }

  readonly #statements = new Map<string, Database.Statement>()

  #open(): void {
    if (this.#closed) throw new StoreError('the event store is closed')
  }

  // Prepared statements are cached: the outbox queries run once per delivery.
  #prepare(sql: string): Database.Statement {
    let statement = this.#statements.get(sql)
    if (statement === undefined) {
      statement = this.#db.prepare(sql)
      this.#statements.set(sql, statement)
    }
    return statement
  }

  recordEvent(event: NewTrackingEvent, outbox: readonly NewOutboxItem[] = []): RecordedEvent {
    this.#open()
    return wrap('record the event', () => this.#record(event, outbox))
  }

  recordEvents(batch: readonly RecordRequest[]): RecordedEvent[] {
    this.#open()
    if (batch.length === 0) return []
    return wrap('record events', () => this.#recordMany(batch))
  }

  listEvents(query: ListEventsQuery = {}): Page<TrackingEvent> {
    this.#open()
    const after = query.after ?? 0
    const limit = query.limit ?? 100
    return wrap('list events', () => {
      const conditions = ['id > ?']
      const values: unknown[] = [after]
      if (query.kind !== undefined) {
        conditions.push('kind = ?')
        values.push(query.kind)
      }
      if (query.subject !== undefined) {
        const [condition, subjectValues] = subjectCondition(query.subject)
        conditions.push(condition)
        values.push(...subjectValues)
      }
      const sql = `SELECT * FROM events WHERE ${conditions.join(' AND ')} ORDER BY id LIMIT ?`
      const rows = this.#prepare(sql).all(...values, limit + 1) as EventRow[]
      return pageOf(rows.map(eventOf), limit)
    })
  }

  // Deletes the events whose ids are in the JSON array `ids`, and their outbox rows.
  #deleteIds(ids: string): ErasedCounts {
    const outbox = this.#prepare('DELETE FROM outbox WHERE event_id IN (SELECT value FROM json_each(?))').run(ids).changes
    const events = this.#prepare('DELETE FROM events WHERE id IN (SELECT value FROM json_each(?))').run(ids).changes
    // The time rollups counted the deleted events (and name their emails): rebuilt lazily from what is left.
    if (events > 0) this.#db.exec('DELETE FROM rollup_progress; DELETE FROM firsts; DELETE FROM rollup_hours; DELETE FROM rollup_destinations;')
    return { events, outbox }
  }

  #selectIds(sql: string, ...values: unknown[]): string {
    return JSON.stringify((this.#prepare(sql).all(...values) as { id: number }[]).map((row) => row.id))
  }

  eraseEvents(subject: EventSubject): ErasedCounts {
    this.#open()
    const [condition, values] = subjectCondition(subject)
    return wrap('erase events', () => {
      const erased = this.#db.transaction(() => this.#deleteIds(this.#selectIds(`SELECT id FROM events WHERE ${condition}`, ...values))).immediate()
      // The WAL still holds the erased rows' old pages until they are folded back into the file.
      if (erased.events > 0) this.#db.pragma('wal_checkpoint(TRUNCATE)')
      return erased
    })
  }

  anonymizeEvents(pass: AnonymizePass): number {
    this.#open()
    const dropped = pass.dropKeys.map(keyPath)
    const metadata = dropped.length === 0 ? 'metadata' : `json_remove(metadata, ${dropped.map(() => '?').join(', ')})`
    const payloadPaths = [...PAYLOAD_PATHS, ...dropped.map((path) => path.replace('$.', '$.metadata.'))]
    return wrap('anonymise events', () =>
      this.#db.transaction(() => {
        const ids = this.#selectIds(
          'SELECT id FROM events WHERE anonymized_at IS NULL AND time < ? ORDER BY time LIMIT ?',
          pass.before,
          pass.limit,
        )
        const changed = this.#prepare(
            `UPDATE events SET client_ip = NULL, user_agent = NULL, metadata = ${metadata}, anonymized_at = ?,
               request_data = CASE WHEN json_valid(request_data) THEN json_remove(request_data, ?, ?, ?) ELSE request_data END
             WHERE id IN (SELECT value FROM json_each(?))`,
          )
          .run(...dropped, Date.now(), ...CLIENT_PATHS, ids).changes
        this.#prepare(
            `UPDATE outbox SET payload = json_remove(payload, ${payloadPaths.map(() => '?').join(', ')})
             WHERE event_id IN (SELECT value FROM json_each(?)) AND json_valid(payload)`,
          )
          .run(...payloadPaths, ids)
        // Rollups by a dropped key hold its values: rebuilt lazily, without the anonymised events' values.
        if (changed > 0 && pass.dropKeys.length > 0) {
          const keys = JSON.stringify(pass.dropKeys)
          for (const table of ['rollup_hours', 'rollup_destinations']) this.#prepare(`DELETE FROM ${table} WHERE key IN (SELECT value FROM json_each(?))`).run(keys)
          this.#prepare("DELETE FROM rollup_progress WHERE name IN (SELECT 'key:' || value FROM json_each(?))").run(keys)
        }
        return changed
      }).immediate(),
    )
  }

  deleteEvents(pass: RetentionPass): ErasedCounts {
    this.#open()
    return wrap('delete old events', () =>
      this.#db.transaction(() =>
        this.#deleteIds(this.#selectIds('SELECT id FROM events WHERE time < ? ORDER BY time LIMIT ?', pass.before, pass.limit)),
      ).immediate(),
    )
  }

  pruneOutbox(pass: RetentionPass): number {
    this.#open()
    return wrap('prune delivered webhook deliveries', () =>
      this.#prepare(
          `DELETE FROM outbox WHERE id IN (
             SELECT id FROM outbox WHERE status = 'delivered' AND delivered_at < ? ORDER BY delivered_at LIMIT ?)`,
        )
        .run(pass.before, pass.limit).changes,
    )
  }

  reclassifyEvents(request: ReclassifyRequest): number[] {
    this.#open()
    if (request.changes.length === 0 && request.outbox.length === 0) return []
    return wrap('reclassify events', () => this.#reclassify(request))
  }

  // Every figure from the rows migration 6's triggers keep: one row of sums, machine hits by label,
  // and for groups each email's counts under each metadata (read, not every event).
  #keptStats(groupBy: string | undefined): Stats {
    const kept = this.#prepare('SELECT * FROM stats_totals WHERE id = 1').get() as Record<(typeof EMAIL_SUMS)[number] | (typeof FLAGS)[number], number>
    const total: StatsCounts = {
      opens: kept.opens,
      uniqueOpens: kept.unique_opens,
      clicks: kept.clicks,
      uniqueClicks: kept.unique_clicks,
      machineOpens: kept.machine_opens,
      machineClicks: kept.machine_clicks,
    }
    // Every event is an open or a click under both labels: the per-hit machine counts are the rest.
    const perHit: StatsCounts = {
      opens: kept.hit_opens,
      uniqueOpens: kept.hit_unique_opens,
      clicks: kept.hit_clicks,
      uniqueClicks: kept.hit_unique_clicks,
      machineOpens: kept.opens + kept.machine_opens - kept.hit_opens,
      machineClicks: kept.clicks + kept.machine_clicks - kept.hit_clicks,
    }
    const machineOpensByReason: Record<string, number> = {}
    const machineClicksByReason: Record<string, number> = {}
    const reasons = this.#prepare('SELECT kind, label, n FROM stats_reasons ORDER BY label').all() as { kind: 'open' | 'click'; label: string; n: number }[]
    for (const { kind, label, n } of reasons) (kind === 'open' ? machineOpensByReason : machineClicksByReason)[label] = n
    const verdicts: VerdictStats = {
      perHit,
      machineOpensByReason,
      machineClicksByReason,
      applePrefetch: { opens: kept.prefetches, emails: kept.apple_emails, emailsWithoutPerson: kept.apple_alone, openedEmails: kept.opened_emails },
    }
    if (groupBy === undefined) return { groupBy: null, groups: [], total, verdicts }
    const path = keyPath(groupBy)
    // Each email's counts within the group first (an email may have had several metadata), then the sums and the emails with any.
    const rows = this.#prepare(
        `SELECT value, type, SUM(opens) AS opens, SUM(opens + clicks > 0) AS unique_opens, SUM(clicks) AS clicks, SUM(clicks > 0) AS unique_clicks,
           SUM(machine_opens) AS machine_opens, SUM(machine_clicks) AS machine_clicks
         FROM (SELECT json_extract(metadata, ?) AS value, nullif(json_type(metadata, ?), 'null') AS type, email_id,
                 SUM(opens) AS opens, SUM(clicks) AS clicks, SUM(machine_opens) AS machine_opens, SUM(machine_clicks) AS machine_clicks
               FROM stats_email_metadata GROUP BY value, type, email_id)
         GROUP BY value, type ORDER BY SUM(opens + clicks + machine_opens + machine_clicks) DESC, value LIMIT 10000`,
      )
      .all(path, path) as (CountsRow & { type: string | null })[]
    const groups = rows.map((row) => {
      let value: JsonValue = (row.value ?? null) as JsonValue
      if (row.type === 'object' || row.type === 'array') value = JSON.parse(String(row.value)) as JsonValue
      else if (row.type === 'true' || row.type === 'false') value = row.type === 'true'
      return { value, ...statsCountsOf(row) }
    })
    return { groupBy, groups, total, verdicts }
  }

  stats(query: StatsQuery = {}): Stats {
    this.#open()
    // One read transaction: every figure from one snapshot, whatever other processes commit meanwhile.
    return wrap('compute stats', () => this.#db.transaction(() => this.#keptStats(query.groupBy)).deferred())
  }

  async timeseries(query: TimeseriesQuery): Promise<Timeseries> {
    const { key, value } = await this.#rolledUp(query)
    const { from, to, step } = stepRange(query, INTERVAL_MS[query.interval])
    return wrap('compute a time series', () => {
      const rows = this.#prepare(
          `SELECT hour - (((hour % ?) + ?) % ?) AS bucket, SUM(opens) AS opens, SUM(clicks) AS clicks,
             SUM(machine_opens) AS machine_opens, SUM(machine_clicks) AS machine_clicks,
             SUM(unique_opens) AS unique_opens, SUM(unique_clicks) AS unique_clicks
           FROM rollup_hours WHERE key = ? AND value = ? AND hour >= ? AND hour < ? GROUP BY bucket`,
        )
        .all(step, step, step, key, value, from, to) as (CountsRow & { bucket: number })[]
      return timeseriesOf(query, new Map(rows.map((row) => [row.bucket, statsCountsOf(row)])))
    })
  }

  async topDestinations(query: TopDestinationsQuery): Promise<DestinationCounts[]> {
    const { key, value } = await this.#rolledUp(query)
    const hours = stepRange(query)
    return wrap('list the top destinations', () => {
      const rows = this.#prepare(
          `SELECT destination, SUM(clicks) AS clicks, SUM(unique_clicks) AS unique_clicks, SUM(machine_clicks) AS machine_clicks
           FROM rollup_destinations WHERE key = ? AND value = ? AND hour >= ? AND hour < ?
           GROUP BY destination ORDER BY clicks DESC, destination LIMIT ?`,
        )
        .all(key, value, hours.from, hours.to, query.limit ?? 10) as {
        destination: string
        clicks: number
        unique_clicks: number
        machine_clicks: number
      }[]
      return rows.map((row) => ({ destination: row.destination, clicks: row.clicks, uniqueClicks: row.unique_clicks, machineClicks: row.machine_clicks }))
    })
  }

  async topValues(query: TopValuesQuery): Promise<ValueCounts[]> {
    await this.#rolledUp({ ...query, value: '' })
    const hours = stepRange(query)
    return wrap('list the values of a key', () => {
      const rows = this.#prepare(
          `SELECT value, SUM(opens) AS opens, SUM(clicks) AS clicks, SUM(machine_opens) AS machine_opens, SUM(machine_clicks) AS machine_clicks,
             SUM(unique_opens) AS unique_opens, SUM(unique_clicks) AS unique_clicks
           FROM rollup_hours WHERE key = ? AND hour >= ? AND hour < ?
           GROUP BY value ORDER BY SUM(opens + clicks + machine_opens + machine_clicks) DESC, value LIMIT ?`,
        )
        .all(query.groupBy, hours.from, hours.to, query.limit ?? 100) as (CountsRow & { value: string })[]
      return rows.map((row) => ({ value: row.value, ...statsCountsOf(row) }))
    })
  }

  /**
   * Brings the hourly counts of the range's key up to the newest event, a chunk a transaction,
   * letting other work run in between. A key's counts are first built when it is first asked
   * for; after that each query only adds the events recorded since the last one. Safe with
   * several processes: each chunk is one write transaction that reads the progress it extends,
   * and ids are visible in commit order, so no event is skipped or counted twice.
   */
  async #rolledUp(range: TimeRange): Promise<{ key: string; value: string }> {
    this.#open()
    const filtered = range.groupBy !== undefined && range.value !== undefined
    const key = filtered ? (range.groupBy ?? '') : ''
    const value = filtered ? (range.value ?? '') : ''
    const name = `key:${key}`
    for (;;) {
      this.#open()
      const done = wrap('read the rollup progress', () => {
        const newest = (this.#prepare('SELECT MAX(id) AS id FROM events').get() as { id: number | null }).id ?? 0
        const progress = this.#prepare('SELECT done FROM rollup_progress WHERE name = ?').get(name) as { done: number } | undefined
        return (progress?.done ?? 0) >= newest
      })
      if (done) return { key, value }
      wrap('roll up events', () => this.#db.transaction(() => this.#catchUp(key, name)).immediate())
      await new Promise((resolve) => setImmediate(resolve))
    }
  }

  /** Where event `id` is counted in a key's rollups: its value of the key and its hour; null when the key does not count it. */
  #cellOf(key: string, id: number): { v: string; hour: number } | null {
    const cell = this.#prepare(`SELECT ${valueSql(key)} AS v, ${HOUR_SQL} AS hour FROM events e WHERE e.id = ?`).get(id) as { v: string | null; hour: number } | undefined
    return cell === undefined || cell.v === null ? null : { v: cell.v, hour: cell.hour }
  }

  /**
   * Keeps the rollups true when an event they already count turns machine: its hour's human
   * count becomes a machine count, and when it was its email's first human open, click or
   * click on its destination, the next human one already rolled up takes its place in the
   * unique counts (one not rolled up yet is counted by the catch-up, which reads `firsts`).
   * Runs inside the reclassifying transaction; a few indexed statements a changed event.
   */
  #rollUpAsMachine(event: Pick<EventRow, 'id' | 'kind' | 'email_id' | 'destination'>): void {
    const firstsDone = (this.#prepare("SELECT done FROM rollup_progress WHERE name = '#firsts'").get() as { done: number } | undefined)?.done ?? 0
    if (event.id > firstsDone) return
    const keys = (this.#prepare("SELECT substr(name, 5) AS key, done FROM rollup_progress WHERE name LIKE 'key:%' AND done >= ?").all(event.id) as { key: string; done: number }[])
    const click = event.kind === 'click' ? 1 : 0
    const destination = click === 1 ? event.destination : null
    for (const { key } of keys) {
      const cell = this.#cellOf(key, event.id)
      if (cell === null) continue
      this.#prepare(
        `UPDATE rollup_hours SET opens = opens - ?, clicks = clicks - ?, machine_opens = machine_opens + ?, machine_clicks = machine_clicks + ?
         WHERE key = ? AND value = ? AND hour = ?`,
      ).run(1 - click, click, 1 - click, click, key, cell.v, cell.hour)
      if (destination !== null) {
        this.#prepare('UPDATE rollup_destinations SET clicks = clicks - 1, machine_clicks = machine_clicks + 1 WHERE key = ? AND value = ? AND hour = ? AND destination = ?')
          .run(key, cell.v, cell.hour, destination)
      }
    }
    const firsts: [what: string, condition: string, values: unknown[]][] = [['open', '', []]]
    if (click === 1) firsts.push(['click', "AND kind = 'click'", []])
    if (destination !== null) firsts.push([`d:${destination}`, "AND kind = 'click' AND destination = ?", [destination]])
    for (const [what, condition, values] of firsts) {
      const first = this.#prepare('SELECT event_id FROM firsts WHERE email_id = ? AND what = ?').get(event.email_id, what) as { event_id: number } | undefined
      if (first?.event_id !== event.id) continue
      const next = (this.#prepare(`SELECT MIN(id) AS id FROM events WHERE email_id = ? AND machine = 0 AND id <= ? ${condition}`).get(event.email_id, firstsDone, ...values) as { id: number | null }).id
      if (next === null) this.#prepare('DELETE FROM firsts WHERE email_id = ? AND what = ?').run(event.email_id, what)
      else this.#prepare('UPDATE firsts SET event_id = ? WHERE email_id = ? AND what = ?').run(next, event.email_id, what)
      for (const { key, done } of keys) {
        for (const [id, delta] of next === null || next > done ? [[event.id, -1]] : [[event.id, -1], [next, 1]]) {
          const cell = this.#cellOf(key, id!)
          if (cell === null) continue
          if (destination !== null && what !== 'open' && what !== 'click') {
            this.#prepare('UPDATE rollup_destinations SET unique_clicks = unique_clicks + ? WHERE key = ? AND value = ? AND hour = ? AND destination = ?')
              .run(delta, key, cell.v, cell.hour, destination)
          } else {
            const column = what === 'open' ? 'unique_opens' : 'unique_clicks'
            this.#prepare(`UPDATE rollup_hours SET ${column} = ${column} + ? WHERE key = ? AND value = ? AND hour = ?`).run(delta, key, cell.v, cell.hour)
          }
        }
      }
    }
  }

  /** One chunk: the firsts, then the key's hourly counts, up to CATCH_UP_CHUNK events further. */
  #catchUp(key: string, name: string): void {
    const progress = (of: string): number =>
      (this.#prepare('SELECT done FROM rollup_progress WHERE name = ?').get(of) as { done: number } | undefined)?.done ?? 0
    const setProgress = this.#prepare('INSERT INTO rollup_progress (name, done) VALUES (?, ?) ON CONFLICT (name) DO UPDATE SET done = excluded.done')
    const newest = (this.#prepare('SELECT MAX(id) AS id FROM events').get() as { id: number | null }).id ?? 0
    let firsts = progress('#firsts')
    if (firsts < newest) {
      const upto = Math.min(newest, firsts + CATCH_UP_CHUNK)
      for (const [what, where, groupBy] of [
        ["'open'", '', 'email_id'],
        ["'click'", "AND kind = 'click'", 'email_id'],
        ["'d:' || destination", "AND kind = 'click' AND destination IS NOT NULL", 'email_id, destination'],
      ]) {
        this.#prepare(
          `INSERT OR IGNORE INTO firsts (email_id, what, event_id)
           SELECT email_id, ${what ?? ''}, MIN(id) FROM events WHERE id > ? AND id <= ? AND machine = 0 ${where ?? ''} GROUP BY ${groupBy ?? ''}`,
        ).run(firsts, upto)
      }
      setProgress.run('#firsts', upto)
      firsts = upto
    }
    const done = progress(name)
    if (done >= firsts) return
    const upto = Math.min(firsts, done + CATCH_UP_CHUNK)
    // Counts first, then the uniques from the few firsts of the chunk (found by event id).
    this.#prepare(
      `INSERT INTO rollup_hours (key, value, hour, opens, clicks, machine_opens, machine_clicks, unique_opens, unique_clicks)
       SELECT ?, v, hour, SUM(kind = 'open' AND machine = 0), SUM(kind = 'click' AND machine = 0),
         SUM(kind = 'open' AND machine = 1), SUM(kind = 'click' AND machine = 1), 0, 0
       FROM (SELECT ${valueSql(key)} AS v, ${HOUR_SQL} AS hour, e.kind, e.machine FROM events e WHERE e.id > ? AND e.id <= ?)
       WHERE v IS NOT NULL GROUP BY v, hour
       ON CONFLICT (key, value, hour) DO UPDATE SET opens = opens + excluded.opens, clicks = clicks + excluded.clicks,
         machine_opens = machine_opens + excluded.machine_opens, machine_clicks = machine_clicks + excluded.machine_clicks`,
    ).run(key, done, upto)
    this.#prepare(
      `INSERT INTO rollup_hours (key, value, hour, opens, clicks, machine_opens, machine_clicks, unique_opens, unique_clicks)
       SELECT ?, v, hour, 0, 0, 0, 0, SUM(what = 'open'), SUM(what = 'click')
       FROM (SELECT ${valueSql(key)} AS v, ${HOUR_SQL} AS hour, f.what FROM firsts f JOIN events e ON e.id = f.event_id
             WHERE f.event_id > ? AND f.event_id <= ? AND f.what IN ('open', 'click'))
       WHERE v IS NOT NULL GROUP BY v, hour
       ON CONFLICT (key, value, hour) DO UPDATE SET unique_opens = unique_opens + excluded.unique_opens, unique_clicks = unique_clicks + excluded.unique_clicks`,
    ).run(key, done, upto)
    this.#prepare(
      `INSERT INTO rollup_destinations (key, value, hour, destination, clicks, machine_clicks, unique_clicks)
       SELECT ?, v, hour, destination, SUM(machine = 0), SUM(machine = 1), 0
       FROM (SELECT ${valueSql(key)} AS v, ${HOUR_SQL} AS hour, e.destination, e.machine
             FROM events e WHERE e.id > ? AND e.id <= ? AND e.kind = 'click' AND e.destination IS NOT NULL)
       WHERE v IS NOT NULL GROUP BY v, hour, destination
       ON CONFLICT (key, value, hour, destination) DO UPDATE SET clicks = clicks + excluded.clicks, machine_clicks = machine_clicks + excluded.machine_clicks`,
    ).run(key, done, upto)
    this.#prepare(
      `INSERT INTO rollup_destinations (key, value, hour, destination, clicks, machine_clicks, unique_clicks)
       SELECT ?, v, hour, destination, 0, 0, COUNT(*)
       FROM (SELECT ${valueSql(key)} AS v, ${HOUR_SQL} AS hour, e.destination FROM firsts f JOIN events e ON e.id = f.event_id
             WHERE f.event_id > ? AND f.event_id <= ? AND f.what = 'd:' || e.destination)
       WHERE v IS NOT NULL GROUP BY v, hour, destination
       ON CONFLICT (key, value, hour, destination) DO UPDATE SET unique_clicks = unique_clicks + excluded.unique_clicks`,
    ).run(key, done, upto)
    setProgress.run(name, upto)
  }

  claimOutbox(claim: OutboxClaim): OutboxItem[] {
    this.#open()
    const now = claim.now ?? Date.now()
    return wrap('claim webhook deliveries', () => {
      const rows = this.#prepare(
          `UPDATE outbox SET status = 'delivering', lease = ?, lease_until = ?, updated_at = ?
           WHERE id IN (
             SELECT id FROM outbox
             WHERE (status = 'pending' AND next_attempt_at <= ?) OR (status = 'delivering' AND lease_until <= ?)
             ORDER BY next_attempt_at, id LIMIT ?)
           RETURNING *`,
        )
        .all(claim.lease, now + claim.leaseMs, now, now, now, claim.limit) as OutboxRow[]
      return rows.map(outboxItemOf).sort((a, b) => a.id - b.id)
    })
  }

  // Changes a row only while `lease` holds it: a holder whose lease expired changes nothing.
  #whileHeld(what: string, sql: string, ...values: unknown[]): boolean {
    this.#open()
    return wrap(what, () => this.#prepare(`${sql} WHERE id = ? AND lease = ? AND status = 'delivering'`).run(...values).changes === 1)
  }

  completeOutbox(id: number, lease: string, status: number | null): boolean {
    const now = Date.now()
    return this.#whileHeld(
      'mark a delivery delivered',
      `UPDATE outbox SET status = 'delivered', attempts = attempts + 1, last_status = ?, last_error = NULL,
         lease = NULL, lease_until = NULL, updated_at = ?, delivered_at = ?`,
      status, now, now, id, lease,
    )
  }

  failOutbox(id: number, lease: string, failure: OutboxFailure): boolean {
    const now = Date.now()
    return this.#whileHeld(
      'record a failed delivery',
      `UPDATE outbox SET status = ?, attempts = attempts + 1, last_status = ?, last_error = ?,
         next_attempt_at = ?, lease = NULL, lease_until = NULL, updated_at = ?`,
      failure.retryAt === null ? 'failed' : 'pending',
      failure.status,
      failure.error.slice(0, 500),
      failure.retryAt ?? now,
      now,
      id,
      lease,
    )
  }

  releaseOutbox(id: number, lease: string): boolean {
    const now = Date.now()
    return this.#whileHeld(
      'release a delivery',
      `UPDATE outbox SET status = 'pending', next_attempt_at = ?, lease = NULL, lease_until = NULL, updated_at = ?`,
      now, now, id, lease,
    )
  }

  retryOutbox(id: number): boolean {
    this.#open()
    const now = Date.now()
    return wrap('requeue a delivery', () => {
      const info = this.#prepare(
          `UPDATE outbox SET status = 'pending', attempts = 0, next_attempt_at = ?, updated_at = ?
           WHERE id = ? AND status = 'failed'`,
        )
        .run(now, now, id)
      return info.changes === 1
    })
  }

  listOutbox(query: ListOutboxQuery = {}): Page<OutboxItem> {
    this.#open()
    const after = query.after ?? 0
    const limit = query.limit ?? 100
    const status = query.status
    return wrap('list webhook deliveries', () => {
      const rows = (
        status === undefined
          ? this.#prepare('SELECT * FROM outbox WHERE id > ? ORDER BY id LIMIT ?').all(after, limit + 1)
          : this.#prepare('SELECT * FROM outbox WHERE id > ? AND status = ? ORDER BY id LIMIT ?').all(after, status, limit + 1)
      ) as OutboxRow[]
      return pageOf(rows.map(outboxItemOf), limit)
    })
  }

  nextOutboxDue(): number | null {
    this.#open()
    return wrap('read the outbox', () => {
      const row = this.#prepare(
          `SELECT MIN(CASE WHEN status = 'pending' THEN next_attempt_at ELSE lease_until END) AS due
           FROM outbox WHERE status IN ('pending', 'delivering')`,
        )
        .get() as { due: number | null } | undefined
      return row?.due ?? null
    })
  }

  check(): void {
    this.#open()
    wrap('answer a health check', () => this.#prepare('SELECT 1').get())
  }

  close(): void {
    if (this.#closed) return
    this.#closed = true
    wrap('close the database', () => {
      // Folds the WAL back into the database file so a copied file is complete on its own.
      this.#db.pragma('wal_checkpoint(TRUNCATE)')
      this.#db.close()
    })
  }
}

/**
 * Opens (creating when missing) the SQLite event store at `options.file`.
 *
 * @example
 * ```ts
 * const store = openSqliteEventStore({ file: './data/pytrack.db', synchronous: 'full' })
 * ```
 */
export function openSqliteEventStore(options: SqliteEventStoreOptions): SqliteEventStore {
  return new SqliteEventStore(options)
}
