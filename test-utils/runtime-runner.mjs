// Runs a scenario module's `run(input)` on Bun or Deno: `<runtime> runtime-runner.mjs <scenario> <input.json>`.
// Prints the outcome as one line of JSON (see runtimes.ts).
import { readFileSync } from 'node:fs'
import process from 'node:process'
import { pathToFileURL } from 'node:url'
import { outcomeOf } from './runtime-outcome.mjs'

const [scenario, inputFile] = process.argv.slice(2)
const { run } = await import(pathToFileURL(scenario).href)
const outcome = await outcomeOf(run, JSON.parse(readFileSync(inputFile, 'utf8')))
process.stdout.write('\n' + JSON.stringify(outcome) + '\n')
