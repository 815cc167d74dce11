export { PostgresEventStore, openPostgresEventStore } from './postgres-event-store'
export type { PostgresEventStoreOptions } from './postgres-event-store'
