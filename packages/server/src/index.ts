export { startServer, linkConfiguration } from './server'
export type { StartServerOptions, RunningServer, LinkConfigurationOptions } from './server'
export { loadSettings } from './settings'
export type { ServerSettings, LoadSettingsOptions, CodecName, LogLevel, AddressPolicy, UserAgentPolicy } from './settings'
export { SqliteEventStore, openSqliteEventStore } from './store/sqlite-event-store'
export type { SqliteEventStoreOptions } from './store/sqlite-event-store'
export type {
  EventStore,
  Awaitable,
  NewTrackingEvent,
  TrackingEvent,
  NewOutboxItem,
  OutboxItem,
  OutboxStatus,
  OutboxFailure,
  OutboxClaim,
  RecordedEvent,
  RecordRequest,
  Page,
  ListEventsQuery,
  ListOutboxQuery,
  Stats,
  StatsCounts,
  StatsGroup,
  StatsQuery,
  TimeRange,
  TimeseriesInterval,
  TimeseriesQuery,
  TimeseriesBucket,
  Timeseries,
  TopDestinationsQuery,
  DestinationCounts,
  TopValuesQuery,
  ValueCounts,
  EventSubject,
  RetentionPass,
  AnonymizePass,
  ErasedCounts,
  LabelChange,
  EventReclassification,
  ReclassifyRequest,
  VerdictStats,
  ApplePrefetchStats,
} from './store/event-store'
export { SettingsError } from './errors/settings-error'
export type { SettingsErrorOptions } from './errors/settings-error'
export { StoreError } from './errors/store-error'
export { ApiError } from './errors/api-error'
export type { ApiErrorReason } from './errors/api-error'
export type { ApiErrorOptions } from './errors/api-error'
