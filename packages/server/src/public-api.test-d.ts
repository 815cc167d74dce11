// Type tests of the public API, checked by `pnpm typecheck` (tsc): a wrong type fails the build.
// Each `@ts-expect-error` is a call or value the types must refuse.
import { Configuration, PytrackError, isPytrackError } from '@pytrack/core'
import { expectTypeOf } from 'vitest'
import {
  ApiError,
  SettingsError,
  SqliteEventStore,
  StoreError,
  linkConfiguration,
  loadSettings,
  openSqliteEventStore,
  startServer,
  type ApiErrorReason,
  type Awaitable,
  type CodecName,
  type EventStore,
  type LoadSettingsOptions,
  type Page,
  type RunningServer,
  type ServerSettings,
  type StartServerOptions,
  type TrackingEvent,
  type LabelChange,
  type ReclassifyRequest,
  type VerdictStats,
  type Stats,
  type OutboxItem,
  type StatsCounts,
  type Timeseries,
} from '@pytrack/server'
import { outboxItemOf, pageOf, statsCountsOf, stepRange, timeseriesOf, trackingEventOf, type EventRow, type OutboxRow, type StatsCountsRow, type StepRange } from '@pytrack/server/store-kit'

// Settings: read from the environment, flags, a file and overrides into one typed object.
const settings = loadSettings({ env: { PYTRACK_PORT: '9000' }, argv: ['--port', '9000'], overrides: { logLevel: 'silent' } })
expectTypeOf(settings).toEqualTypeOf<ServerSettings>()
expectTypeOf(settings.port).toEqualTypeOf<number>()
expectTypeOf(settings.codec).toEqualTypeOf<CodecName>()
expectTypeOf<CodecName>().toEqualTypeOf<'fernet' | 'signed' | 'base64'>()
expectTypeOf<LoadSettingsOptions['overrides']>().toEqualTypeOf<Partial<ServerSettings> | undefined>()
// @ts-expect-error: overrides are typed like the settings
loadSettings({ overrides: { port: '9000' } })
// @ts-expect-error: no such codec
loadSettings({ overrides: { codec: 'rot13' } })

// Starting: any EventStore, a RunningServer back.
expectTypeOf(startServer(settings)).resolves.toEqualTypeOf<RunningServer>()
expectTypeOf(startServer).parameter(1).toEqualTypeOf<StartServerOptions | undefined>()
expectTypeOf<RunningServer['store']>().toEqualTypeOf<EventStore>()
expectTypeOf<RunningServer['close']>().returns.resolves.toBeVoid()
expectTypeOf(linkConfiguration(settings, console)).toEqualTypeOf<Configuration>()

// The store contract: the SQLite store is one; others may answer with promises.
expectTypeOf<SqliteEventStore>().toExtend<EventStore>()
expectTypeOf(openSqliteEventStore({ file: ':memory:' })).toEqualTypeOf<SqliteEventStore>()
expectTypeOf<EventStore['listEvents']>().returns.toEqualTypeOf<Awaitable<Page<TrackingEvent>>>()
expectTypeOf<Awaitable<number>>().toEqualTypeOf<number | Promise<number>>()
// Verdicts that change: every label kept, relabelling in one call, the stats beside the counts.
expectTypeOf<EventStore['reclassifyEvents']>().parameter(0).toEqualTypeOf<ReclassifyRequest>()
expectTypeOf<EventStore['reclassifyEvents']>().returns.toEqualTypeOf<Awaitable<number[]>>()
expectTypeOf<TrackingEvent['labels']>().toEqualTypeOf<LabelChange[]>()
expectTypeOf<Stats['verdicts']>().toEqualTypeOf<VerdictStats>()
// @ts-expect-error: a reclassification only makes events machine traffic; it takes no `machine`
expectTypeOf<ReclassifyRequest['changes'][number]['machine']>()
// @ts-expect-error: the store opens a file
openSqliteEventStore({ path: 'events.db' })

// Errors.
expectTypeOf<SettingsError>().toExtend<PytrackError>()
expectTypeOf<StoreError>().toExtend<PytrackError>()
expectTypeOf<ApiError>().toExtend<PytrackError>()
expectTypeOf<ApiError['status']>().toEqualTypeOf<number>()
expectTypeOf<ApiError['reason']>().toEqualTypeOf<ApiErrorReason>()
declare const caught: unknown
if (isPytrackError(caught, 'ERR_PYTRACK_SETTINGS')) expectTypeOf(caught.setting).toEqualTypeOf<string>()
if (isPytrackError(caught, 'ERR_PYTRACK_API')) expectTypeOf(caught).toEqualTypeOf<ApiError>()
new SettingsError('PYTRACK_PORT must be a port number', { setting: 'PYTRACK_PORT' })
new ApiError('not found', { status: 404, reason: 'not_found' })

// The store kit: conversions for writing a store.
expectTypeOf(outboxItemOf).parameter(0).toEqualTypeOf<OutboxRow>()
expectTypeOf(outboxItemOf).returns.toEqualTypeOf<OutboxItem>()
expectTypeOf(pageOf([1, 2], 1)).toEqualTypeOf<Page<number>>()
expectTypeOf(statsCountsOf).parameter(0).toEqualTypeOf<StatsCountsRow | undefined>()
expectTypeOf(statsCountsOf(undefined)).toEqualTypeOf<StatsCounts>()
expectTypeOf(stepRange({ from: 0, to: 1 })).toEqualTypeOf<StepRange>()
expectTypeOf(timeseriesOf).returns.toEqualTypeOf<Timeseries>()
// @ts-expect-error: a time series query needs its interval
timeseriesOf({ from: 0, to: 1 }, new Map())
expectTypeOf(trackingEventOf).parameter(0).toEqualTypeOf<EventRow>()
expectTypeOf(trackingEventOf).returns.toEqualTypeOf<TrackingEvent>()
