// Vitest global setup of the server project: the server, tested from its sources, starts its adapt
// worker thread from the built dist/adapt-worker.mjs, which loads the built packages it imports.
import { buildStale } from './built-packages'

export default function setup(): void {
  buildStale(['core', 'crypto', 'html', 'http', 'webhook', 'server'])
}
