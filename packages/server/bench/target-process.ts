// Starts bench/target.ts in its own process and reads the URL and links it prints; the CPU time
// of a process and everything below it (Linux /proc), for figures per CPU-second.
import { spawn } from 'node:child_process'
import { readdirSync, readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export interface Target {
  url: string
  open: string
  click: string
  /** The target's process id (its CPU time is the server's). */
  pid: number
  stop: () => Promise<unknown>
}

/** `mode` and `extra`: target.ts's arguments (`bare`, or `recorded` and its SQLite synchronous mode). */
export async function startTarget(mode: string, extra: string[] = []): Promise<Target> {
  const child = spawn(process.execPath, ['--import', 'tsx', fileURLToPath(new URL('target.ts', import.meta.url)), mode, ...extra], {
    stdio: ['pipe', 'pipe', 'inherit'],
  })
  const line = await new Promise<string>((resolve, reject) => {
    child.stdout.once('data', (data: Buffer) => resolve(String(data)))
    child.once('exit', (code) => reject(new Error(`bench target exited with ${String(code)}`)))
  })
  const exited = new Promise((resolve) => child.once('exit', resolve))
  return { ...(JSON.parse(line) as { url: string; open: string; click: string }), pid: child.pid ?? 0, stop: () => (child.stdin.end(), exited) }
}

/** Clock ticks a second in /proc/<pid>/stat (USER_HZ, 100 on Linux). */
const TICKS = 100

/** Every process below `roots` (and the roots): pid → parent, read from /proc. */
export function processTree(roots: readonly number[]): number[] {
  const parent = new Map<number, number>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      parent.set(Number(name), Number(stat.slice(stat.lastIndexOf(')') + 2).split(' ')[1]))
    } catch {
      // gone meanwhile
    }
  }
  const tree = new Set(roots)
  for (let grew = true; grew; ) {
    grew = false
    for (const [pid, ppid] of parent) {
      if (!tree.has(pid) && tree.has(ppid)) {
        tree.add(pid)
        grew = true
      }
    }
  }
  return [...tree]
}

/** CPU seconds (user + system) the processes below `roots` have used so far. */
export function cpuSeconds(roots: readonly number[]): number {
  let ticks = 0
  for (const pid of processTree(roots)) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8')
      const fields = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      ticks += Number(fields[11]) + Number(fields[12])
    } catch {
      // gone meanwhile
    }
  }
  return ticks / TICKS
}
