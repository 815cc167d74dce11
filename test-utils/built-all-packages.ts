// Vitest global setup of the monorepo project (test/), whose tests pack every package: builds
// each one whose dist is missing or older than its sources (`pnpm test:all` builds first anyway).
import { buildStale } from './built-packages'
import { workspacePackages } from './consumer'

export default function setup(): void {
  buildStale(workspacePackages())
}
