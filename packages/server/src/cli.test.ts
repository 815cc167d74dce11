import { spawnSync } from 'node:child_process'
import { existsSync, statSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { fileURLToPath } from 'node:url'
import { afterAll, describe, expect, it } from 'vitest'
import { Fernet } from '@pytrack/crypto'
import { runCli, type CliIo } from './_internal/cli-main'
import { BROWSER, tempDir } from '../test/helpers'
import { createWatch } from '../../../test-utils/wait'

const dir = tempDir('pytrack-cli-')
afterAll(() => dir.remove())

interface Run {
  code: number
  stdout: string
  stderr: string
}

async function cli(argv: string[], options: { env?: Record<string, string>; stdin?: string; tty?: boolean } = {}): Promise<Run> {
  let stdout = ''
  let stderr = ''
  const io: CliIo = {
    argv,
    env: { PYTRACK_DATA_DIR: join(dir.path, 'data'), ...options.env },
    cwd: dir.path,
    stdout: (text) => {
      stdout += text
    },
    stderr: (text) => {
      stderr += text
    },
    readStdin: async () => options.stdin ?? '',
    stdinIsTty: options.tty ?? false,
  }
  const code = await runCli(io)
  return { code, stdout, stderr }
}

/** `pytrack serve` through runCli on a free port, in the shared data folder; stop() sends it SIGTERM. */
async function startServe(): Promise<{ url: string; stop: () => Promise<number>; stderr: () => string }> {
  let handler: ((signal: string) => void) | undefined
  let stderr = ''
  let serving: (url: string) => void = () => undefined
  const listening = new Promise<string>((resolve) => {
    serving = resolve
  })
  const exit = runCli({
    argv: ['serve', '--port', '0', '--log-level', 'silent'],
    env: { PYTRACK_DATA_DIR: join(dir.path, 'data') },
    cwd: dir.path,
    stdout: () => undefined,
    stderr: (text) => {
      stderr += text
    },
    readStdin: async () => '',
    stdinIsTty: false,
    onServing: (server) => serving(server.url),
    onSignal: (h) => {
      handler = h
      return () => undefined
    },
  })
  const url = await Promise.race([listening, exit.then((code) => Promise.reject(new Error(`serve exited with ${code}: ${stderr}`)))])
  return {
    url,
    stderr: () => stderr,
    stop: () => {
      handler?.('SIGTERM')
      return exit
    },
  }
}

describe('pytrack (the CLI)', () => {
  it('prints help for every command with exit 0, and usage with exit 2 when no command is given', async () => {
    const main = await cli(['--help'])
    expect(main).toMatchObject({ code: 0, stderr: '' })
    expect(main.stdout).toMatch(/Usage: pytrack <command>/)
    for (const command of ['serve', 'encode', 'decode', 'adapt', 'keygen']) {
      for (const flag of ['--help', '-h']) {
        const run = await cli([command, flag])
        expect(run.code).toBe(0)
        expect(run.stdout).toMatch(new RegExp(`Usage: pytrack ${command}`))
      }
    }
    expect((await cli([])).code).toBe(2)
    expect((await cli(['--version'])).stdout).toMatch(/^\d+\.\d+\.\d+\n$/)
  })

  it('makes no key outside serve: encode, decode and adapt say where they looked and how to point at the server', async () => {
    const keyFile = join(dir.path, 'data', 'keys')
    for (const argv of [['encode', 'open'], ['decode', 'http://localhost:8080/open/x'], ['adapt']]) {
      const run = await cli(argv, { stdin: '<a href="https://example.com/">x</a>' })
      expect([argv.join(' '), run.code, run.stdout]).toEqual([argv.join(' '), 2, ''])
      expect(run.stderr).toContain(`pytrack: no link key: looked for ${keyFile} `)
      expect(run.stderr).toMatch(/--data-dir DIR .*--key-file FILE .*PYTRACK_KEYS\n$/)
      expect(run.stderr).not.toMatch(/created/)
      expect(existsSync(keyFile)).toBe(false)
    }
  })

  it('serve makes the key on its first start (0600); links from encode decode back', async () => {
    const serving = await startServe()
    await serving.stop()
    expect(serving.stderr()).toBe('')
    expect(statSync(join(dir.path, 'data', 'keys')).mode & 0o777).toBe(0o600)
    const click = await cli(['encode', 'click', 'https://example.com/sale?a=1', '--meta', 'message_id=m-1', '--metadata', '{"n": 2}'])
    expect(click.code).toBe(0)
    expect(click.stdout).toMatch(/^http:\/\/localhost:8080\/click\/gAAAAA\S+\n$/)
    expect(click.stderr).toBe('')

    const decoded = await cli(['decode', click.stdout.trim()])
    expect(decoded.code).toBe(0)
    expect(JSON.parse(decoded.stdout)).toEqual({ kind: 'click', url: 'https://example.com/sale?a=1', metadata: { n: 2, message_id: 'm-1' } })

    const open = await cli(['encode', 'open', '-m', 'message_id=m-1'])
    expect(open.stderr).toBe('')
    expect(JSON.parse((await cli(['decode', open.stdout.trim()])).stdout)).toEqual({ kind: 'open', url: null, metadata: { message_id: 'm-1' } })
  })

  it('rewrites HTML from stdin to stdout, and text with --text', async () => {
    const html = '<html><body><a href="https://example.com/x">x</a></body></html>'
    const run = await cli(['adapt', '--meta', 'message_id=m-2'], { stdin: html })
    expect(run.code).toBe(0)
    expect(run.stdout).toMatch(/<a href="http:\/\/localhost:8080\/click\/[^"]+">x<\/a>/)
    expect(run.stdout).toMatch(/<img [^>]*src="http:\/\/localhost:8080\/open\/[^"]+"[^>]*><\/body>/)
    const noOpen = await cli(['adapt', '--no-open'], { stdin: html })
    expect(noOpen.stdout).not.toContain('/open/')
    const text = await cli(['adapt', '--text'], { stdin: 'see https://example.com/y' })
    expect(text.stdout).toMatch(/^see http:\/\/localhost:8080\/click\/\S+$/)
  })

  it('prints keys and webhook secrets', async () => {
    const key = (await cli(['keygen'])).stdout.trim()
    expect(() => new Fernet(key)).not.toThrow()
    expect((await cli(['keygen', '--webhook'])).stdout).toMatch(/^whsec_[A-Za-z0-9+/=]+\n$/)
  })

  it('says what is wrong in one line and exits 2 on wrong usage or settings, 1 on a failure', async () => {
    const usage: string[][] = [
      ['frobnicate'],
      ['encode'],
      ['encode', 'click'],
      ['encode', 'open', 'https://example.com/'],
      ['encode', 'click', 'javascript:alert(1)'],
      ['encode', 'open', '--meta', 'novalue'],
      ['encode', 'open', '--metadata', '{nope'],
      ['encode', 'open', '--metadata', '[1]'],
      ['encode', 'open', '--bogus'],
      ['decode'],
      ['keygen', 'extra'],
      ['adapt', '--pixel', 'left'],
      ['adapt', 'file.html'],
      ['serve', '--port', 'eighty'],
    ]
    for (const argv of usage) {
      const run = await cli(argv)
      expect([argv.join(' '), run.code]).toEqual([argv.join(' '), 2])
      expect(run.stderr).toMatch(/^pytrack: /)
      expect(run.stdout).toBe('')
    }
    expect((await cli(['adapt'], { tty: true })).stderr).toMatch(/pipe the email in/)
    expect((await cli(['encode', 'open'], { env: { PYTRACK_CODEC: 'rot13' } })).code).toBe(2)
    // A data folder that cannot exist fails at once (Node 20's recursive mkdir hangs on it).
    const noData = await cli(['serve', '--port', '0', '--log-level', 'silent'], { env: { PYTRACK_DATA_DIR: '/proc/pytrack-nope/data' } })
    expect([noData.code, noData.stderr]).toEqual([2, expect.stringMatching(/^pytrack: .*cannot create the key file .*ENOENT/)])
    // A file where the data folder should be is said so, not taken for another process's key file.
    const scratch = tempDir()
    try {
      const aFile = join(scratch.path, 'a-file')
      writeFileSync(aFile, '')
      const fileInTheWay = await cli(['serve', '--port', '0', '--log-level', 'silent'], { env: { PYTRACK_DATA_DIR: aFile } })
      expect([fileInTheWay.code, fileInTheWay.stderr]).toEqual([2, expect.stringMatching(/^pytrack: .*cannot create the key file .*EEXIST/)])
    } finally {
      scratch.remove()
    }
    // A plain pytracking link (no key) read with the default Fernet settings: say which setting reads it.
    const plain = (await cli(['encode', 'click', 'https://example.com/p', '--codec', 'base64'])).stdout.trim()
    const fernetReadsPlain = await cli(['decode', plain])
    expect(fernetReadsPlain.code).toBe(1)
    expect(fernetReadsPlain.stderr).toMatch(/^pytrack: .*not a valid Fernet token.*; it reads as a plain base64 link .*--codec base64 or PYTRACK_CODEC=base64\n$/)
    expect(JSON.parse((await cli(['decode', plain], { env: { PYTRACK_CODEC: 'base64' } })).stdout)).toMatchObject({ kind: 'click', url: 'https://example.com/p' })
    const bad = await cli(['decode', 'http://localhost:8080/open/gAAAAABnotavalidtoken'])
    expect(bad.code).toBe(1)
    expect(bad.stderr).toMatch(/^pytrack: .*Fernet/)
    expect(bad.stderr.split('\n').filter(Boolean)).toHaveLength(1)
    // The hint is only for URLs outside both base URLs (compared without case for scheme and host).
    expect((await cli(['decode', 'HTTP://LOCALHOST:8080/click/gAAAAABnotavalidtoken'])).stderr).not.toMatch(/base URL/)
    const notTracking = await cli(['decode', 'https://example.com/some/page'])
    expect([notTracking.code, notTracking.stderr]).toEqual([1, expect.stringMatching(/under neither base URL \(http:\/\/localhost:8080\/click\/, http:\/\/localhost:8080\/open\/\)/)])
  })

  it("checks an encode destination by core's click destination rule, as a usage mistake", async () => {
    // Refused by the rule the handler serves links by: a usage error (exit 2) in its words.
    for (const destination of ['https:/example.com/x', 'https://example.com\\x', 'ftp://example.com/']) {
      const run = await cli(['encode', 'click', destination])
      expect([destination, run.code, run.stdout]).toEqual([destination, 2, ''])
      expect(run.stderr).toMatch(/^pytrack: the click destination /)
    }
    // Taken as the rule takes it: a protocol-relative destination is served as https.
    const relative = await cli(['encode', 'click', '//cdn.example.net/a', '--codec', 'base64'])
    expect(relative.code).toBe(0)
    const decoded = await cli(['decode', relative.stdout.trim()], { env: { PYTRACK_CODEC: 'base64' } })
    expect(JSON.parse(decoded.stdout)).toMatchObject({ kind: 'click', url: '//cdn.example.net/a' })
  })

  it('takes the settings flags serve takes for links (--port), and says flag mistakes in its own words', async () => {
    const port = await cli(['encode', 'open', '--port', '9000'])
    expect([port.code, port.stdout]).toEqual([0, expect.stringMatching(/^http:\/\/localhost:9000\/open\//)])
    const unknown = await cli(['encode', 'open', '-x'])
    expect(unknown.code).toBe(2)
    expect(unknown.stderr).toMatch(/^pytrack: unknown option -x for pytrack encode; it takes .*--port \(-p\).*--meta \(-m\)/)
    expect(unknown.stderr).not.toMatch(/positional|'--'/)
    const missing = await cli(['serve', '--port'])
    expect([missing.code, missing.stderr]).toEqual([2, 'pytrack: --port needs a value, as in: --port PORT; see pytrack serve --help\n'])
    expect((await cli(['decode', '--data-dir'])).stderr).toMatch(/^pytrack: --data-dir needs a value, as in: --data-dir DIR\n/)
    expect((await cli(['keygen', '--help=yes'])).stderr).toMatch(/^pytrack: --help takes no value/)
    // The help lists the flags from the same declarations.
    expect((await cli(['encode', '--help'])).stdout).toMatch(/-p, --port PORT +port; 0 picks a free one/)
    expect((await cli(['serve', '--help'])).stdout).toMatch(/PYTRACK_SHUTDOWN_TIMEOUT_MS +how long shutdown waits/)
  })

  it('serves until SIGTERM, then exits 0', async () => {
    let handler: ((signal: string) => void) | undefined
    let url = ''
    const watch = createWatch()
    const io: CliIo = {
      argv: ['serve', '--port', '0', '--log-level', 'silent'],
      env: { PYTRACK_DATA_DIR: join(dir.path, 'data') },
      cwd: dir.path,
      stdout: () => undefined,
      stderr: () => undefined,
      readStdin: async () => '',
      stdinIsTty: false,
      onServing: (server) => {
        url = server.url
        watch.notify()
      },
      onSignal: (h) => {
        handler = h
        watch.notify()
        return () => undefined
      },
    }
    const exit = runCli(io)
    const stop = await watch.until(() => url !== '' && handler)
    const open = (await cli(['encode', 'open', '--meta', 'message_id=serve'])).stdout.trim()
    expect((await fetch(url + new URL(open).pathname, { headers: BROWSER })).status).toBe(200)
    stop('SIGTERM')
    expect(await exit).toBe(0)
    expect(existsSync(join(dir.path, 'data', 'pytrack.db'))).toBe(true)
  })

  it('runs as a real process with the exit codes a shell expects', () => {
    const cliPath = fileURLToPath(new URL('./cli.ts', import.meta.url))
    const run = (args: string[], env: Record<string, string> = {}) =>
      spawnSync(process.execPath, ['--import', 'tsx', cliPath, ...args], {
        cwd: fileURLToPath(new URL('..', import.meta.url)),
        env: { PATH: process.env.PATH ?? '', PYTRACK_DATA_DIR: join(dir.path, 'data'), ...env },
        encoding: 'utf8',
      })
    const ok = run(['encode', 'open', '--meta', 'a=b'])
    expect(ok.status).toBe(0)
    expect(ok.stdout).toMatch(/^http:\/\/localhost:8080\/open\//)
    const usage = run(['serve', '--nope'])
    expect(usage.status).toBe(2)
    expect(usage.stderr).toMatch(/^pytrack: .*--nope/)
    // A token no client can send stops the server before it listens, instead of answering 401 to everyone.
    const spaced = run(['serve', '--port', '0'], { PYTRACK_API_TOKEN: 'correct horse battery staple' })
    expect([spaced.status, spaced.stdout]).toEqual([2, ''])
    expect(spaced.stderr).toMatch(/^pytrack: PYTRACK_API_TOKEN must be one word of visible ASCII characters/)
  })
})
