// `npm start` as a user and a process manager run it: the real npm, scripts/bootstrap.mjs, and
// the built server. Stopping the npm process must stop everything it started.
import { spawn, spawnSync } from 'node:child_process'
import { existsSync, mkdirSync, readdirSync, readFileSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { repoRoot } from '../../../test-utils/vectors'
import { tempDir } from './helpers'

const dir = tempDir('pytrack-npm-start-')
afterAll(() => dir.remove())

/** Process id -> parent id, and whether it is still running (not a zombie), from /proc. */
function processTable(): Map<number, { ppid: number; alive: boolean }> {
  const table = new Map<number, { ppid: number; alive: boolean }>()
  for (const name of readdirSync('/proc')) {
    if (!/^\d+$/.test(name)) continue
    try {
      // pid (comm) state ppid ...: comm may hold spaces, so read after its closing parenthesis.
      const stat = readFileSync(`/proc/${name}/stat`, 'utf8')
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ')
      table.set(Number(name), { ppid: Number(ppid), alive: state !== 'Z' && state !== 'X' })
    } catch {
      // gone meanwhile
    }
  }
  return table
}

function descendants(pid: number): number[] {
  const table = processTable()
  const found: number[] = []
  const queue = [pid]
  while (queue.length > 0) {
    const parent = queue.shift() as number
    for (const [child, { ppid }] of table) {
      if (ppid === parent && !found.includes(child)) {
        found.push(child)
        queue.push(child)
      }
    }
  }
  return found
}

describe.skipIf(process.platform !== 'linux')('npm start', () => {
  it('stops the bootstrap and the server when the npm process gets SIGTERM, and prints no Node 20 or pnpm update notice', { timeout: 180_000 }, async () => {
    const npm = spawn('npm', ['start', '--', '--port', '0'], {
      cwd: repoRoot,
      env: { ...process.env, PYTRACK_DATA_DIR: join(dir.path, 'data'), PYTRACK_LOG_LEVEL: 'info' },
      stdio: ['ignore', 'pipe', 'pipe'],
    })
    let output = ''
    // Every process npm started holds these pipes: they end once the last one has exited.
    const closed = Promise.all([
      new Promise((resolve) => npm.stdout.once('end', resolve)),
      new Promise((resolve) => npm.stderr.once('end', resolve)),
    ])
    const url = await new Promise<string>((resolve, reject) => {
      const onData = (data: Buffer): void => {
        output += String(data)
        const line = output.split('\n').find((text) => text.includes('"pytrack server listening"'))
        if (line !== undefined) resolve((JSON.parse(line) as { url: string }).url)
      }
      npm.stdout.on('data', onData)
      npm.stderr.on('data', onData)
      npm.once('exit', (code) => reject(new Error(`npm start exited with ${String(code)} before listening:\n${output}`)))
    })
    expect((await fetch(`${url}/healthz`)).status).toBe(200)
    const started = descendants(npm.pid as number)
    // npm, the shell it runs the script in, the bootstrap, and the server.
    expect(started.length).toBeGreaterThanOrEqual(2)

    npm.kill('SIGTERM')
    await closed
    const table = processTable()
    expect(started.filter((pid) => table.get(pid)?.alive === true)).toEqual([])
    await expect(fetch(`${url}/healthz`)).rejects.toThrow()
    expect(output).toMatch(/"signal received"/)
    expect(output).toMatch(/"pytrack server stopped"/)
    expect(output).not.toMatch(/is deprecated|Update available/i)
  })
})

describe('the build and install steps of npm start', () => {
  it('builds every package through scripts/build.mjs, which prints no Node 20 deprecation notice', () => {
    for (const name of readdirSync(join(repoRoot, 'packages'))) {
      const manifest = JSON.parse(readFileSync(join(repoRoot, 'packages', name, 'package.json'), 'utf8')) as { scripts: Record<string, string> }
      expect([name, manifest.scripts.build]).toEqual([name, 'node ../../scripts/build.mjs'])
    }
    // A package of its own, so no other test's dist is rebuilt under it.
    const scratch = join(dir.path, 'tiny')
    mkdirSync(join(scratch, 'src'), { recursive: true })
    writeFileSync(join(scratch, 'package.json'), '{"name": "tiny", "type": "module"}')
    writeFileSync(join(scratch, 'src', 'index.ts'), 'export const answer: number = 42\n')
    writeFileSync(join(scratch, 'tsdown.config.ts'), "export default { entry: ['src/index.ts'], format: ['esm'], dts: false }\n")
    const build = spawnSync(process.execPath, [join(repoRoot, 'scripts', 'build.mjs')], { cwd: scratch, encoding: 'utf8' })
    expect([build.status, build.stderr]).toEqual([0, expect.not.stringMatching(/deprecated/i)])
    expect(build.stdout).not.toMatch(/deprecated/i)
    expect(existsSync(join(scratch, 'dist', 'index.mjs'))).toBe(true)
  })

  it("turns pnpm's update notice off for the workspace", () => {
    const setting = spawnSync('pnpm', ['config', 'get', 'updateNotifier'], { cwd: repoRoot, encoding: 'utf8' })
    expect([setting.status, setting.stdout.trim()]).toEqual([0, 'false'])
  })
})
