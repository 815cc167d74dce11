// The schema, as numbered migrations applied in order at start (see migrate() in the store).
// Never edit a migration that has shipped: add the next one.

/** The advisory lock key every writer of events takes (`pytrack` in ASCII). */
export const WRITE_LOCK = 0x7079747261636b

/** The advisory lock key taken while migrating, so two instances starting together are safe. */
export const MIGRATE_LOCK = 0x7079747261636c

// The six StatsCounts figures as columns, in pytrack_totals (migration 1) and
// pytrack_verdict_totals (migration 4). The SQL of a shipped migration never changes: this is
// the same text it always was (a test compares each migration with its SHA-256).
const COUNT_COLUMNS = `
  opens bigint NOT NULL,
  unique_opens bigint NOT NULL,
  clicks bigint NOT NULL,
  unique_clicks bigint NOT NULL,
  machine_opens bigint NOT NULL,
  machine_clicks bigint NOT NULL`.slice(1)

const SHIPPED: readonly string[] = [
  `
CREATE TABLE pytrack_events (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  kind text NOT NULL CHECK (kind IN ('open', 'click')),
  time bigint NOT NULL,
  email_id text NOT NULL,
  metadata jsonb NOT NULL,
  destination text,
  client_ip text,
  user_agent text,
  machine boolean NOT NULL,
  label text NOT NULL,
  label_reason text,
  request_data jsonb,
  -- Written with the event (under the writer lock): the first human event of its email, its first
  -- human click, its first human click on this destination. The time queries count uniques so.
  first_open boolean NOT NULL DEFAULT false,
  first_click boolean NOT NULL DEFAULT false,
  first_destination boolean NOT NULL DEFAULT false
);
-- Pages of one kind: id order within the kind, no scan of the other.
CREATE INDEX pytrack_events_kind ON pytrack_events (kind, id);
-- Time queries: the events of a range.
CREATE INDEX pytrack_events_time ON pytrack_events (time);

-- The stats, kept as events are written: the counts of each email under each distinct metadata
-- (usually one or a few a email), so stats read these rows instead of every event.
CREATE TABLE pytrack_email_counts (
  email_id text NOT NULL,
  digest text NOT NULL,
  metadata jsonb NOT NULL,
  opens bigint NOT NULL,
  clicks bigint NOT NULL,
  machine_opens bigint NOT NULL,
  machine_clicks bigint NOT NULL,
  PRIMARY KEY (email_id, digest)
);

CREATE TABLE pytrack_outbox (
  id bigint GENERATED ALWAYS AS IDENTITY PRIMARY KEY,
  webhook_id text NOT NULL UNIQUE,
  event_id bigint NOT NULL REFERENCES pytrack_events (id),
  url text NOT NULL,
  payload text NOT NULL,
  status text NOT NULL CHECK (status IN ('pending', 'delivering', 'delivered', 'failed')),
  attempts integer NOT NULL DEFAULT 0,
  -- Pending: when the next attempt is due. Delivering: when the lease ends (then it is due again).
  next_attempt_at bigint NOT NULL,
  lease text,
  last_error text,
  last_status integer,
  created_at bigint NOT NULL,
  updated_at bigint NOT NULL,
  delivered_at bigint
);
CREATE INDEX pytrack_outbox_due ON pytrack_outbox (next_attempt_at, id) WHERE status IN ('pending', 'delivering');
CREATE INDEX pytrack_outbox_status ON pytrack_outbox (status, id);
CREATE INDEX pytrack_outbox_event ON pytrack_outbox (event_id);

-- The totals, kept as events are written so the dashboard's numbers cost one row: each email's
-- human events and human clicks (to see when an email counts once more), and one row of sums.
CREATE TABLE pytrack_emails (
  email_id text PRIMARY KEY,
  human bigint NOT NULL,
  clicks bigint NOT NULL
);
CREATE TABLE pytrack_email_destinations (
  email_id text NOT NULL,
  destination text NOT NULL,
  PRIMARY KEY (email_id, destination)
);
CREATE TABLE pytrack_totals (
  id integer PRIMARY KEY CHECK (id = 1),
${COUNT_COLUMNS}
);
INSERT INTO pytrack_totals VALUES (1, 0, 0, 0, 0, 0, 0);

-- What the instances on this database seal links with (a fingerprint of the first key, never the key).
CREATE TABLE pytrack_instances (
  name text PRIMARY KEY,
  value text NOT NULL,
  updated_at bigint NOT NULL
);

-- One round trip a group commit: the writer lock (so ids are visible in commit order), the
-- events, then their outbox rows. Under the lock, the ids of one call are consecutive.
CREATE FUNCTION pytrack_record(events jsonb, outbox jsonb) RETURNS TABLE (first_event bigint, first_outbox bigint)
LANGUAGE plpgsql AS $fn$
DECLARE
  event_ids bigint[];
BEGIN
  PERFORM pg_advisory_xact_lock(${WRITE_LOCK});
  WITH input AS (
    SELECT e.value AS v, e.ordinality AS o, e.value->>'email_id' AS email, (e.value->>'machine')::boolean AS machine,
      e.value->>'kind' AS kind, e.value->>'destination' AS destination
    FROM jsonb_array_elements(events) WITH ORDINALITY AS e(value, ordinality)
  ), batch_firsts AS (
    SELECT email, min(o) FILTER (WHERE NOT machine) AS open_o, min(o) FILTER (WHERE NOT machine AND kind = 'click') AS click_o
    FROM input GROUP BY email
  ), known AS (
    SELECT m.email_id, m.clicks FROM pytrack_emails m WHERE m.email_id IN (SELECT email FROM batch_firsts)
  ), destination_firsts AS (
    SELECT email, destination, min(o) AS o FROM input WHERE NOT machine AND kind = 'click' AND destination IS NOT NULL GROUP BY 1, 2
  ), destinations_known AS (
    SELECT d.email_id, d.destination FROM pytrack_email_destinations d JOIN destination_firsts f ON d.email_id = f.email AND d.destination = f.destination
  ), inserted AS (
    INSERT INTO pytrack_events (kind, time, email_id, metadata, destination, client_ip, user_agent, machine, label, label_reason, request_data,
      first_open, first_click, first_destination)
    SELECT i.kind, (i.v->>'time')::bigint, i.email, i.v->'metadata', i.destination,
      i.v->>'client_ip', i.v->>'user_agent', i.machine, i.v->>'label', i.v->>'label_reason', nullif(i.v->'request_data', 'null'::jsonb),
      coalesce(i.o = f.open_o AND k.email_id IS NULL, false),
      coalesce(i.o = f.click_o AND coalesce(k.clicks, 0) = 0, false),
      coalesce(i.o = df.o AND dk.email_id IS NULL, false)
    FROM input i
    JOIN batch_firsts f ON f.email = i.email
    LEFT JOIN known k ON k.email_id = i.email
    LEFT JOIN destination_firsts df ON df.email = i.email AND df.destination = i.destination
    LEFT JOIN destinations_known dk ON dk.email_id = i.email AND dk.destination = i.destination
    ORDER BY i.o
    RETURNING id
  )
  SELECT array_agg(id ORDER BY id) INTO event_ids FROM inserted;
  first_event := event_ids[1];
  INSERT INTO pytrack_email_destinations (email_id, destination)
  SELECT DISTINCT e.value->>'email_id', e.value->>'destination' FROM jsonb_array_elements(events) AS e(value)
  WHERE e.value->>'kind' = 'click' AND e.value->>'destination' IS NOT NULL AND NOT (e.value->>'machine')::boolean
  ON CONFLICT DO NOTHING;
  INSERT INTO pytrack_email_counts AS c (email_id, digest, metadata, opens, clicks, machine_opens, machine_clicks)
  SELECT e.value->>'email_id', md5((e.value->'metadata')::text), e.value->'metadata',
    count(*) FILTER (WHERE e.value->>'kind' = 'open' AND NOT (e.value->>'machine')::boolean),
    count(*) FILTER (WHERE e.value->>'kind' = 'click' AND NOT (e.value->>'machine')::boolean),
    count(*) FILTER (WHERE e.value->>'kind' = 'open' AND (e.value->>'machine')::boolean),
    count(*) FILTER (WHERE e.value->>'kind' = 'click' AND (e.value->>'machine')::boolean)
  FROM jsonb_array_elements(events) AS e(value)
  GROUP BY 1, 2, 3
  ON CONFLICT (email_id, digest) DO UPDATE SET opens = c.opens + excluded.opens, clicks = c.clicks + excluded.clicks,
    machine_opens = c.machine_opens + excluded.machine_opens, machine_clicks = c.machine_clicks + excluded.machine_clicks;
  -- Read before the upsert (one snapshot for the whole statement): an email that had no human
  -- event (or no human click) counts once more in the unique figures.
  WITH batch AS (
    SELECT e.value->>'email_id' AS email_id,
      count(*) FILTER (WHERE NOT (e.value->>'machine')::boolean) AS human,
      count(*) FILTER (WHERE e.value->>'kind' = 'click' AND NOT (e.value->>'machine')::boolean) AS clicks
    FROM jsonb_array_elements(events) AS e(value)
    GROUP BY 1
    HAVING count(*) FILTER (WHERE NOT (e.value->>'machine')::boolean) > 0
  ), before AS (
    SELECT m.email_id, m.clicks FROM pytrack_emails m WHERE m.email_id IN (SELECT email_id FROM batch)
  ), counted AS (
    INSERT INTO pytrack_emails AS m (email_id, human, clicks) SELECT email_id, human, clicks FROM batch
    ON CONFLICT (email_id) DO UPDATE SET human = m.human + excluded.human, clicks = m.clicks + excluded.clicks
    RETURNING 1
  ), sums AS (
    SELECT
      count(*) FILTER (WHERE e.value->>'kind' = 'open' AND NOT (e.value->>'machine')::boolean) AS opens,
      count(*) FILTER (WHERE e.value->>'kind' = 'click' AND NOT (e.value->>'machine')::boolean) AS clicks,
      count(*) FILTER (WHERE e.value->>'kind' = 'open' AND (e.value->>'machine')::boolean) AS machine_opens,
      count(*) FILTER (WHERE e.value->>'kind' = 'click' AND (e.value->>'machine')::boolean) AS machine_clicks
    FROM jsonb_array_elements(events) AS e(value)
  )
  UPDATE pytrack_totals AS t SET
    opens = t.opens + sums.opens,
    unique_opens = t.unique_opens + (SELECT count(*) FROM batch b LEFT JOIN before o USING (email_id) WHERE o.email_id IS NULL),
    clicks = t.clicks + sums.clicks,
    unique_clicks = t.unique_clicks + (SELECT count(*) FROM batch b LEFT JOIN before o USING (email_id) WHERE coalesce(o.clicks, 0) = 0 AND b.clicks > 0),
    machine_opens = t.machine_opens + sums.machine_opens,
    machine_clicks = t.machine_clicks + sums.machine_clicks
  FROM sums WHERE t.id = 1 AND (SELECT count(*) FROM counted) >= 0;
  WITH inserted AS (
    INSERT INTO pytrack_outbox (webhook_id, event_id, url, payload, status, attempts, next_attempt_at, created_at, updated_at)
    SELECT o.value->>'webhook_id', event_ids[(o.value->>'event')::integer], o.value->>'url', o.value->>'payload', 'pending', 0,
      (o.value->>'time')::bigint, (o.value->>'time')::bigint, (o.value->>'time')::bigint
    FROM jsonb_array_elements(outbox) WITH ORDINALITY AS o(value, ordinality)
    ORDER BY o.ordinality
    RETURNING id
  )
  SELECT min(id) INTO first_outbox FROM inserted;
  RETURN NEXT;
END
$fn$;
`,
  // Privacy requests and retention: old events not yet anonymised found by time through a partial
  // index (anonymised rows drop out of it, so a pass never rescans them), an email's events by its
  // id, delivered outbox rows by delivery time.
  `
ALTER TABLE pytrack_events ADD COLUMN anonymized_at bigint;
CREATE INDEX pytrack_events_identified ON pytrack_events (time) WHERE anonymized_at IS NULL;
CREATE INDEX pytrack_events_email ON pytrack_events (email_id, id);
CREATE INDEX pytrack_outbox_delivered ON pytrack_outbox (delivered_at) WHERE status = 'delivered';

-- After events of \`emails\` were deleted or their metadata changed (under the writer lock): their
-- kept counts, first flags and destinations again from the events left, and the totals moved by
-- the difference, so stats and time queries tell of the events that are still there.
CREATE FUNCTION pytrack_recount(emails text[]) RETURNS void
LANGUAGE plpgsql AS $fn$
DECLARE
  old_counts record;
  new_counts record;
BEGIN
  SELECT coalesce(sum(opens), 0) AS opens, coalesce(sum(clicks), 0) AS clicks,
    coalesce(sum(machine_opens), 0) AS machine_opens, coalesce(sum(machine_clicks), 0) AS machine_clicks,
    (SELECT count(*) FROM pytrack_emails WHERE email_id = ANY(emails) AND human > 0) AS unique_opens,
    (SELECT count(*) FROM pytrack_emails WHERE email_id = ANY(emails) AND clicks > 0) AS unique_clicks
  INTO old_counts FROM pytrack_email_counts WHERE email_id = ANY(emails);
  DELETE FROM pytrack_email_counts WHERE email_id = ANY(emails);
  DELETE FROM pytrack_emails WHERE email_id = ANY(emails);
  DELETE FROM pytrack_email_destinations WHERE email_id = ANY(emails);
  INSERT INTO pytrack_email_counts (email_id, digest, metadata, opens, clicks, machine_opens, machine_clicks)
  SELECT email_id, md5(metadata::text), metadata,
    count(*) FILTER (WHERE kind = 'open' AND NOT machine), count(*) FILTER (WHERE kind = 'click' AND NOT machine),
    count(*) FILTER (WHERE kind = 'open' AND machine), count(*) FILTER (WHERE kind = 'click' AND machine)
  FROM pytrack_events WHERE email_id = ANY(emails) GROUP BY email_id, metadata;
  INSERT INTO pytrack_emails (email_id, human, clicks)
  SELECT email_id, count(*), count(*) FILTER (WHERE kind = 'click')
  FROM pytrack_events WHERE email_id = ANY(emails) AND NOT machine GROUP BY email_id;
  INSERT INTO pytrack_email_destinations (email_id, destination)
  SELECT DISTINCT email_id, destination FROM pytrack_events
  WHERE email_id = ANY(emails) AND kind = 'click' AND destination IS NOT NULL AND NOT machine;
  UPDATE pytrack_events AS e SET first_open = f.first_open, first_click = f.first_click, first_destination = f.first_destination
  FROM (
    SELECT id,
      coalesce(id = min(id) FILTER (WHERE NOT machine) OVER (PARTITION BY email_id), false) AS first_open,
      coalesce(id = min(id) FILTER (WHERE NOT machine AND kind = 'click') OVER (PARTITION BY email_id), false) AS first_click,
      coalesce(id = min(id) FILTER (WHERE NOT machine AND kind = 'click' AND destination IS NOT NULL) OVER (PARTITION BY email_id, destination), false)
        AS first_destination
    FROM pytrack_events WHERE email_id = ANY(emails)
  ) AS f
  WHERE e.id = f.id AND (e.first_open, e.first_click, e.first_destination) IS DISTINCT FROM (f.first_open, f.first_click, f.first_destination);
  SELECT coalesce(sum(opens), 0) AS opens, coalesce(sum(clicks), 0) AS clicks,
    coalesce(sum(machine_opens), 0) AS machine_opens, coalesce(sum(machine_clicks), 0) AS machine_clicks,
    (SELECT count(*) FROM pytrack_emails WHERE email_id = ANY(emails) AND human > 0) AS unique_opens,
    (SELECT count(*) FROM pytrack_emails WHERE email_id = ANY(emails) AND clicks > 0) AS unique_clicks
  INTO new_counts FROM pytrack_email_counts WHERE email_id = ANY(emails);
  UPDATE pytrack_totals SET
    opens = opens + new_counts.opens - old_counts.opens,
    unique_opens = unique_opens + new_counts.unique_opens - old_counts.unique_opens,
    clicks = clicks + new_counts.clicks - old_counts.clicks,
    unique_clicks = unique_clicks + new_counts.unique_clicks - old_counts.unique_clicks,
    machine_opens = machine_opens + new_counts.machine_opens - old_counts.machine_opens,
    machine_clicks = machine_clicks + new_counts.machine_clicks - old_counts.machine_clicks
  WHERE id = 1;
END
$fn$;
`,
]

/**
 * Migration 3, verdicts that change: the label an event got when answered, whether its per-hit
 * label was a machine's, and every label once there is more than one (null on older rows: their
 * one label); `pytrack_record` again, writing them. The function's text is migration 1's with
 * the new columns added, so the two never drift apart.
 */
function labelsMigration(first: string): string {
  const start = first.indexOf('CREATE FUNCTION pytrack_record')
  const end = first.indexOf('$fn$;', start) + '$fn$;'.length
  let record = first.slice(start, end).replace('CREATE FUNCTION', 'CREATE OR REPLACE FUNCTION')
  for (const [from, to] of [
    ['first_open, first_click, first_destination)', 'first_open, first_click, first_destination, first_label, first_machine, hit_machine, labels)'],
    [
      'coalesce(i.o = df.o AND dk.email_id IS NULL, false)\n',
      "coalesce(i.o = df.o AND dk.email_id IS NULL, false),\n      i.v->>'label', i.machine, coalesce((i.v->'labels'->0->>'machine')::boolean, i.machine), nullif(i.v->'labels', 'null'::jsonb)\n",
    ],
  ] as const) {
    if (!record.includes(from)) throw new Error(`migration 3 cannot find "${from}" in pytrack_record`)
    record = record.replace(from, to)
  }
  return `
ALTER TABLE pytrack_events ADD COLUMN first_label text, ADD COLUMN first_machine boolean, ADD COLUMN hit_machine boolean, ADD COLUMN labels jsonb;
${record}
`
}

// Per email, what Stats.verdicts counts distinct emails by: its events, those a person's by
// their per-hit label (and of them clicks), its opens labelled privacy-prefetch, its events a
// person's by their current label. \`changes\` is the net change, one row an event in or out.
const VERDICT_CHANGES = `emails AS (
    SELECT email_id, sum(d) AS events,
      coalesce(sum(d) FILTER (WHERE NOT hit_machine), 0) AS hit_human,
      coalesce(sum(d) FILTER (WHERE NOT hit_machine AND kind = 'click'), 0) AS hit_clicks,
      coalesce(sum(d) FILTER (WHERE kind = 'open' AND label = 'privacy-prefetch'), 0) AS prefetches,
      coalesce(sum(d) FILTER (WHERE NOT machine), 0) AS people
    FROM changes GROUP BY email_id
  ), moved AS (
    SELECT * FROM emails WHERE (events, hit_human, hit_clicks, prefetches, people) <> (0, 0, 0, 0, 0)
  ), before AS (
    SELECT v.* FROM pytrack_email_verdicts v WHERE v.email_id IN (SELECT email_id FROM moved)
  ), after AS (
    INSERT INTO pytrack_email_verdicts AS v (email_id, events, hit_human, hit_clicks, prefetches, people)
    SELECT email_id, events, hit_human, hit_clicks, prefetches, people FROM moved
    ON CONFLICT (email_id) DO UPDATE SET events = v.events + excluded.events, hit_human = v.hit_human + excluded.hit_human,
      hit_clicks = v.hit_clicks + excluded.hit_clicks, prefetches = v.prefetches + excluded.prefetches, people = v.people + excluded.people
    RETURNING v.*
  ), reasons AS (
    INSERT INTO pytrack_machine_reasons AS r (kind, label, n)
    SELECT kind, label, sum(d) FROM changes WHERE machine GROUP BY 1, 2 HAVING sum(d) <> 0
    ON CONFLICT (kind, label) DO UPDATE SET n = r.n + excluded.n
    RETURNING 1
  ), sums AS (
    SELECT
      coalesce(sum(d) FILTER (WHERE kind = 'open' AND NOT hit_machine), 0) AS opens,
      coalesce(sum(d) FILTER (WHERE kind = 'click' AND NOT hit_machine), 0) AS clicks,
      coalesce(sum(d) FILTER (WHERE kind = 'open' AND hit_machine), 0) AS machine_opens,
      coalesce(sum(d) FILTER (WHERE kind = 'click' AND hit_machine), 0) AS machine_clicks,
      coalesce(sum(d) FILTER (WHERE kind = 'open' AND label = 'privacy-prefetch'), 0) AS apple_opens
    FROM changes
  ), flags AS (
    SELECT sum(sign * (hit_human > 0)::int) AS unique_opens, sum(sign * (hit_clicks > 0)::int) AS unique_clicks,
      sum(sign * (prefetches > 0)::int) AS apple_emails, sum(sign * (prefetches > 0 AND people = 0)::int) AS apple_alone,
      sum(sign * (events > 0)::int) AS opened_emails
    FROM (SELECT 1 AS sign, * FROM after UNION ALL SELECT -1, * FROM before) AS f
  )
  UPDATE pytrack_verdict_totals AS t SET
    opens = t.opens + s.opens, clicks = t.clicks + s.clicks, machine_opens = t.machine_opens + s.machine_opens,
    machine_clicks = t.machine_clicks + s.machine_clicks, apple_opens = t.apple_opens + s.apple_opens,
    unique_opens = t.unique_opens + coalesce(f.unique_opens, 0), unique_clicks = t.unique_clicks + coalesce(f.unique_clicks, 0),
    apple_emails = t.apple_emails + coalesce(f.apple_emails, 0), apple_alone = t.apple_alone + coalesce(f.apple_alone, 0),
    opened_emails = t.opened_emails + coalesce(f.opened_emails, 0)
  FROM sums AS s, flags AS f WHERE t.id = 1 AND (SELECT count(*) FROM reasons) >= 0`

const VERDICT_ROW = 'email_id, kind, label, machine, coalesce(hit_machine, machine) AS hit_machine'

/**
 * Three statement triggers on pytrack_events (after INSERT, UPDATE and DELETE) that run `keep`
 * on `changes`, the rows of their transition tables (each of `row`'s columns and d = 1 for a row
 * in, -1 for a row out), then after an update or a delete `cleanup(gone)`; and `keep` run once
 * on every event there is (the migration filling its rows).
 */
function keptByTriggers(what: string, row: string, keep: string, cleanup: (gone: string) => string): string {
  const trigger = (op: 'INSERT' | 'UPDATE' | 'DELETE', changes: string, referencing: string, gone: string): string => {
    const name = `pytrack_events_${op.toLowerCase()}d_${what}`
    return `
CREATE FUNCTION ${name}() RETURNS trigger LANGUAGE plpgsql AS $fn$
BEGIN
  WITH changes AS (${changes}), ${keep};${gone === '' ? '' : cleanup(gone)}
  RETURN NULL;
END
$fn$;
CREATE TRIGGER ${name} AFTER ${op} ON pytrack_events REFERENCING ${referencing} FOR EACH STATEMENT EXECUTE FUNCTION ${name}();
`
  }
  return `${trigger('INSERT', `SELECT ${row}, 1 AS d FROM new_rows`, 'NEW TABLE AS new_rows', '')}
${trigger('UPDATE', `SELECT ${row}, -1 AS d FROM old_rows UNION ALL SELECT ${row}, 1 FROM new_rows`, 'OLD TABLE AS old_rows NEW TABLE AS new_rows', 'old_rows')}
${trigger('DELETE', `SELECT ${row}, -1 AS d FROM old_rows`, 'OLD TABLE AS old_rows', 'old_rows')}
WITH changes AS (SELECT ${row}, 1 AS d FROM pytrack_events), ${keep};`
}

/**
 * Migration 4, Stats.verdicts kept: per-email flags (pytrack_email_verdicts), machine hits by
 * current label, and one row of sums, kept by statement triggers on pytrack_events in the same
 * transaction as every write, relabel, anonymisation, erasure and deletion, so stats read rows,
 * not events. Filled from the events under the writer lock (writers wait meanwhile).
 */
const VERDICTS_MIGRATION = `
SELECT pg_advisory_xact_lock(${WRITE_LOCK});
CREATE TABLE pytrack_email_verdicts (
  email_id text PRIMARY KEY,
  events bigint NOT NULL,
  hit_human bigint NOT NULL,
  hit_clicks bigint NOT NULL,
  prefetches bigint NOT NULL,
  people bigint NOT NULL
);
CREATE TABLE pytrack_machine_reasons (
  kind text NOT NULL,
  label text NOT NULL,
  n bigint NOT NULL,
  PRIMARY KEY (kind, label)
);
CREATE TABLE pytrack_verdict_totals (
  id integer PRIMARY KEY CHECK (id = 1),
${COUNT_COLUMNS},
  apple_opens bigint NOT NULL,
  apple_emails bigint NOT NULL,
  apple_alone bigint NOT NULL,
  opened_emails bigint NOT NULL
);
INSERT INTO pytrack_verdict_totals VALUES (1, 0, 0, 0, 0, 0, 0, 0, 0, 0, 0);
${keptByTriggers('verdicts', VERDICT_ROW, VERDICT_CHANGES, (gone) => `
  -- An email with no event left leaves no trace here (erasure); a label with no machine hit, no row.
  DELETE FROM pytrack_email_verdicts WHERE events = 0 AND email_id IN (SELECT email_id FROM ${gone});
  DELETE FROM pytrack_machine_reasons WHERE n = 0;`)}
`

/** A UTC hour's start, of an event time in ms. */
const HOUR_OF = 'time - ((time % 3600000) + 3600000) % 3600000'

// What the time queries count of all events, per hour and per hour and destination, moved by
// `changes` (one row an event in or out, d = 1 or -1). A cell whose counts do not move is left alone.
const ROLLUP_CHANGES = `hours AS (
    SELECT ${HOUR_OF} AS hour,
      coalesce(sum(d) FILTER (WHERE kind = 'open' AND NOT machine), 0) AS opens,
      coalesce(sum(d) FILTER (WHERE first_open), 0) AS unique_opens,
      coalesce(sum(d) FILTER (WHERE kind = 'click' AND NOT machine), 0) AS clicks,
      coalesce(sum(d) FILTER (WHERE first_click), 0) AS unique_clicks,
      coalesce(sum(d) FILTER (WHERE kind = 'open' AND machine), 0) AS machine_opens,
      coalesce(sum(d) FILTER (WHERE kind = 'click' AND machine), 0) AS machine_clicks
    FROM changes GROUP BY 1
  ), moved_hours AS (
    INSERT INTO pytrack_rollup_hours AS r (hour, opens, unique_opens, clicks, unique_clicks, machine_opens, machine_clicks)
    SELECT * FROM hours WHERE (opens, unique_opens, clicks, unique_clicks, machine_opens, machine_clicks) <> (0, 0, 0, 0, 0, 0)
    ON CONFLICT (hour) DO UPDATE SET opens = r.opens + excluded.opens, unique_opens = r.unique_opens + excluded.unique_opens,
      clicks = r.clicks + excluded.clicks, unique_clicks = r.unique_clicks + excluded.unique_clicks,
      machine_opens = r.machine_opens + excluded.machine_opens, machine_clicks = r.machine_clicks + excluded.machine_clicks
    RETURNING 1
  )
  INSERT INTO pytrack_rollup_destinations AS r (hour, destination, clicks, unique_clicks, machine_clicks)
  SELECT ${HOUR_OF}, destination, coalesce(sum(d) FILTER (WHERE NOT machine), 0), coalesce(sum(d) FILTER (WHERE first_destination), 0),
    coalesce(sum(d) FILTER (WHERE machine), 0)
  FROM changes WHERE kind = 'click' AND destination IS NOT NULL AND (SELECT count(*) FROM moved_hours) >= 0
  GROUP BY 1, 2
  HAVING (coalesce(sum(d) FILTER (WHERE NOT machine), 0), coalesce(sum(d) FILTER (WHERE first_destination), 0), coalesce(sum(d) FILTER (WHERE machine), 0)) <> (0, 0, 0)
  ON CONFLICT (hour, destination) DO UPDATE SET clicks = r.clicks + excluded.clicks, unique_clicks = r.unique_clicks + excluded.unique_clicks,
    machine_clicks = r.machine_clicks + excluded.machine_clicks`

const ROLLUP_ROW = 'kind, time, machine, destination, first_open, first_click, first_destination'

/**
 * Migration 5, hourly rollups: what timeseries and topDestinations count of all events, per UTC
 * hour and per hour and destination, kept by statement triggers on pytrack_events (as migration
 * 4's verdicts) in the same transaction as every write, relabel, recount of first flags,
 * erasure and deletion, so a query over 30 days reads 720 rows, not the events. Safe with several
 * instances: every writer holds the writer lock, and the upserts lock the rows they move.
 * Filled from the events under the writer lock (writes wait meanwhile).
 */
const ROLLUPS_MIGRATION = `
SELECT pg_advisory_xact_lock(${WRITE_LOCK});
CREATE TABLE pytrack_rollup_hours (
  hour bigint PRIMARY KEY,
${COUNT_COLUMNS}
);
CREATE TABLE pytrack_rollup_destinations (
  hour bigint NOT NULL,
  destination text NOT NULL,
  clicks bigint NOT NULL,
  unique_clicks bigint NOT NULL,
  machine_clicks bigint NOT NULL,
  PRIMARY KEY (hour, destination)
);
${keptByTriggers('rollups', ROLLUP_ROW, ROLLUP_CHANGES, (gone) => `
  -- An hour or a destination with no event left leaves no row (erasure, retention).
  DELETE FROM pytrack_rollup_hours WHERE (opens, clicks, machine_opens, machine_clicks) = (0, 0, 0, 0) AND hour IN (SELECT ${HOUR_OF} FROM ${gone});
  DELETE FROM pytrack_rollup_destinations WHERE (clicks, machine_clicks) = (0, 0)
    AND (hour, destination) IN (SELECT ${HOUR_OF}, destination FROM ${gone} WHERE kind = 'click' AND destination IS NOT NULL);`)}
`

export const MIGRATIONS: readonly string[] = [...SHIPPED, labelsMigration(SHIPPED[0] ?? ''), VERDICTS_MIGRATION, ROLLUPS_MIGRATION]
