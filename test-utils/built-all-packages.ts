// Vitest global setup of the monorepo project (test/), whose tests install the packed packages in
// a new app: builds each package whose dist is missing or older than its sources (`pnpm test:all`
// builds first anyway), then packs the workspace once for every test file (`inject('packedTarballs')`).
import type { TestProject } from 'vitest/node'
import { buildStale } from './built-packages'
import { packWorkspace, workspacePackages } from './consumer'

declare module 'vitest' {
  export interface ProvidedContext {
    /** Package folder name → its `pnpm pack` tarball. */
    packedTarballs: [string, string][]
  }
}

export default function setup(project: TestProject): void {
  buildStale(workspacePackages())
  project.provide('packedTarballs', [...packWorkspace()])
}
