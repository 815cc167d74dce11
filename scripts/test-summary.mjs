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
// Name what failed (and the first lines of why) before the closing line, so a CI log's tail says it.
for (const suite of report.testResults ?? []) {
  const failures = (suite.assertionResults ?? []).filter((t) => t.status === 'failed')
  if (suite.status === 'failed' && failures.length === 0) {
    console.log(`FAILED suite ${suite.name}: ${String(suite.message ?? '').split('\n').slice(0, 3).join(' | ')}`)
  }
  for (const t of failures) {
    const why = String((t.failureMessages ?? [])[0] ?? '').split('\n').slice(0, 3).join(' | ')
    console.log(`FAILED ${suite.name} > ${t.fullName}: ${why.slice(0, 400)}`)
  }
}
console.log(`${passed} passed, ${failed} failed, ${skipped} skipped`)
process.exit(failed > 0 || passed === 0 ? 1 : 0)
