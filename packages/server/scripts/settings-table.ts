// `pnpm --filter @pytrack/server docs:settings`: writes the settings table of the README from
// the declarations in src/settings.ts (a test fails while the two disagree).
import { readFileSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { replaceSettingsTable } from '../src/_internal/settings-docs'

const readme = fileURLToPath(new URL('../README.md', import.meta.url))
const before = readFileSync(readme, 'utf8')
const after = replaceSettingsTable(before)
if (after === before) console.log('README settings table is up to date')
else {
  writeFileSync(readme, after)
  console.log('README settings table written')
}
