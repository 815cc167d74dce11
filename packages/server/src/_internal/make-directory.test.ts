import { statSync, symlinkSync, writeFileSync } from 'node:fs'
import { join } from 'node:path'
import { afterAll, describe, expect, it } from 'vitest'
import { tempDir } from '../../test/helpers'
import { makeDirectory } from './make-directory'

const dir = tempDir('pytrack-mkdir-')
afterAll(() => dir.remove())

describe('makeDirectory', () => {
  it('creates every missing folder owner-only, and accepts one that exists', () => {
    const deep = join(dir.path, 'a', 'b', 'c')
    makeDirectory(deep)
    for (const path of [join(dir.path, 'a'), join(dir.path, 'a', 'b'), deep]) {
      expect(statSync(path).isDirectory()).toBe(true)
      expect(statSync(path).mode & 0o777).toBe(0o700)
    }
    makeDirectory(deep)
    expect(statSync(deep).isDirectory()).toBe(true)
  })

  it('follows a symbolic link before `..`, as the system does', () => {
    const inner = join(dir.path, 'real', 'inner')
    makeDirectory(inner)
    symlinkSync(inner, join(dir.path, 'link'))
    makeDirectory(`${dir.path}/link/../beside`) // not path.join, which folds the .. as text
    expect(statSync(join(dir.path, 'real', 'beside')).isDirectory()).toBe(true)
  })

  it("fails with the system's code where a folder cannot be made, instead of hanging", () => {
    const file = join(dir.path, 'a-file')
    writeFileSync(file, '')
    // A file in the way is named in the error.
    expect(() => makeDirectory(file)).toThrow(expect.objectContaining({ code: 'EEXIST', path: file }))
    expect(() => makeDirectory(join(file, 'below'))).toThrow(expect.objectContaining({ code: 'EEXIST', path: file }))
    // Node 20's mkdirSync(..., { recursive: true }) never returns for this path.
    expect(() => makeDirectory('/proc/pytrack-nope/data')).toThrow(expect.objectContaining({ code: 'ENOENT' }))
  })
})
