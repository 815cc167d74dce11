// Shared benchmark helpers: ops/s as the median of several timed runs after a warm-up.
import { cpus } from 'node:os'

/** Prints the machine the figures come from, as ../shared/bench/README.md asks. */
export function printMachine(title: string): void {
  console.log(`\n## ${title}`)
  console.log(`node ${process.version}, ${cpus()[0]?.model ?? 'unknown CPU'} (${cpus().length} cores), one core used`)
}

export interface Measurement {
  name: string
  opsPerSecond: number
  runs: number[]
}

/**
 * Calls `fn` in a tight loop for `runMs` per run, `runs` times after a warm-up run, and
 * returns the median rate. `fn` returns something so the work cannot be optimised away.
 */
export function measure(
  name: string,
  fn: () => unknown,
  { runs = 7, runMs = 400 }: { runs?: number; runMs?: number } = {},
): Measurement {
  let sink: unknown
  const once = (ms: number): number => {
    let count = 0
    const start = performance.now()
    let now = start
    while (now - start < ms) {
      for (let i = 0; i < 100; i++) sink = fn()
      count += 100
      now = performance.now()
    }
    return (count * 1000) / (now - start)
  }
  once(runMs)
  const rates = Array.from({ length: runs }, () => once(runMs)).sort((a, b) => a - b)
  if (sink === Symbol.for('never')) console.log(sink)
  return { name, opsPerSecond: rates[Math.floor(rates.length / 2)] ?? 0, runs: rates }
}

/** Formats a rate like `1,234,567/s`. */
export function formatRate(opsPerSecond: number): string {
  return `${Math.round(opsPerSecond).toLocaleString('en-US')}/s`
}

/** Prints a measurement, with its ratio to a reference figure when given. */
export function report(m: Measurement, reference?: { label: string; opsPerSecond: number }): void {
  const ratio = reference ? `  (${(m.opsPerSecond / reference.opsPerSecond).toFixed(1)}x ${reference.label} ${formatRate(reference.opsPerSecond)})` : ''
  console.log(`${m.name.padEnd(44)} ${formatRate(m.opsPerSecond).padStart(14)}${ratio}`)
}
