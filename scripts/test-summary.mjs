#!/usr/bin/env node
// Prints vitest's JSON report as the plain closing line `N passed, N failed, N skipped`.
import { readFileSync, existsSync } from 'node:fs'

const file = process.argv[2] ?? 'reports/vitest.json'
if (!existsSync(file)) {
  console.log('0 passed, 1 failed')
  console.error(`no test report at ${file}: the tests did not run`)
  process.exit(1)
}
const report = JSON.parse(readFileSync(file, 'utf8'))
const passed = report.numPassedTests ?? 0
const failed = (report.numFailedTests ?? 0) + (report.numFailedTestSuites ?? 0)
const skipped = (report.numPendingTests ?? 0) + (report.numTodoTests ?? 0)
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`)
process.exit(failed > 0 || passed === 0 ? 1 : 0)
