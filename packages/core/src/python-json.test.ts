import { describe, expect, it } from 'vitest'
import fc from 'fast-check'
import { MetadataError, isPytrackError, toPythonJson } from './index'

describe('toPythonJson writes what Python json.dumps writes', () => {
  it('uses ", " and ": " separators and keeps key order', () => {
    expect(toPythonJson({ b: 1, a: [1, 2, { c: null }], t: true, f: false })).toBe(
      '{"b": 1, "a": [1, 2, {"c": null}], "t": true, "f": false}',
    )
    expect(toPythonJson({})).toBe('{}')
    expect(toPythonJson([])).toBe('[]')
  })

  it('escapes non-ASCII as lower-case \\uXXXX, astral characters as surrogate pairs', () => {
    expect(toPythonJson('Zoë 日本 😀')).toBe('"Zo\\u00eb \\u65e5\\u672c \\ud83d\\ude00"')
    expect(toPythonJson('\u2028\u007f')).toBe('"\\u2028\\u007f"')
  })

  it('uses short escapes for quote, backslash and the usual controls, \\u00XX for the rest', () => {
    expect(toPythonJson('"\\\n\r\t\b\f\u0000\u001f/<>&')).toBe('"\\"\\\\\\n\\r\\t\\b\\f\\u0000\\u001f/<>&"')
  })

  it('writes floats as Python repr does', () => {
    const cases: [number, string][] = [
      [0.5, '0.5'],
      [-2.75, '-2.75'],
      [123.456, '123.456'],
      [0.1 + 0.2, '0.30000000000000004'],
      [0.0001, '0.0001'],
      [0.00001, '1e-05'],
      [1.5e-7, '1.5e-07'],
      [-1.25e-10, '-1.25e-10'],
      [5e-324, '5e-324'],
      [1234567890123.5, '1234567890123.5'],
    ]
    for (const [value, text] of cases) expect(toPythonJson(value)).toBe(text)
  })

  it('writes integers in full, as Python ints', () => {
    expect(toPythonJson(383964534689)).toBe('383964534689')
    expect(toPythonJson(-0)).toBe('0')
    expect(toPythonJson(1e21)).toBe('1000000000000000000000')
    expect(toPythonJson(2 ** 70)).toBe('1180591620717411303424')
  })

  it('drops undefined properties and writes undefined array items as null, like JSON.stringify', () => {
    expect(toPythonJson({ a: undefined, b: [undefined, 1] })).toBe('{"b": [null, 1]}')
  })

  it('calls toJSON (dates become ISO strings)', () => {
    expect(toPythonJson({ at: new Date(0) })).toBe('{"at": "1970-01-01T00:00:00.000Z"}')
  })

  it.each([
    ['NaN', { n: NaN }, 'value.n'],
    ['Infinity', { n: [1, -Infinity] }, 'value.n[1]'],
    ['BigInt', { n: 10n }, 'value.n'],
    ['function', { f: () => 1 }, 'value.f'],
    ['symbol', { s: Symbol('x') }, 'value.s'],
    ['Map', { m: new Map() }, 'value.m'],
    ['Set', { s: new Set([1]) }, 'value.s'],
    ['class instance', { c: new (class Point {})() }, 'value.c'],
  ])('refuses %s with a MetadataError naming the path', (_, value, path) => {
    let thrown: unknown
    try {
      toPythonJson(value)
    } catch (error) {
      thrown = error
    }
    expect(thrown).toBeInstanceOf(MetadataError)
    expect(isPytrackError(thrown, 'ERR_PYTRACK_METADATA')).toBe(true)
    expect((thrown as MetadataError).path).toBe(path)
  })

  it('refuses cycles', () => {
    const a: Record<string, unknown> = { x: 1 }
    a.self = { back: a }
    expect(() => toPythonJson(a)).toThrow(/cycle/)
  })

  it('accepts the same object twice when it is not a cycle', () => {
    const shared = { k: 1 }
    expect(toPythonJson({ a: shared, b: shared })).toBe('{"a": {"k": 1}, "b": {"k": 1}}')
  })

  it('round-trips through JSON.parse for any JSON value', () => {
    fc.assert(
      fc.property(fc.jsonValue(), (value) => {
        expect(JSON.parse(toPythonJson(value))).toEqual(JSON.parse(JSON.stringify(value)))
      }),
      { numRuns: 500 },
    )
  })

  it('is pure ASCII for any string', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary' }), (value) => {
        expect(/^[\x20-\x7e]*$/.test(toPythonJson(value))).toBe(true)
      }),
    )
  })
})
