import { MetadataError } from '../errors/metadata-error'
import { isPytrackError } from '../errors/pytrack-error'

// Characters Python's json.dumps (ensure_ascii=True) writes as they are: printable ASCII
// except `"` and `\`. Anything else is escaped.
const NEEDS_ESCAPE = /[^\x20\x21\x23-\x5b\x5d-\x7e]/
const SHORT_ESCAPES: Record<number, string> = {
  0x22: '\\"',
  0x5c: '\\\\',
  0x0a: '\\n',
  0x0d: '\\r',
  0x09: '\\t',
  0x08: '\\b',
  0x0c: '\\f',
}
const HEX = '0123456789abcdef'

/** A string as Python's `json.dumps` writes it: `\uXXXX` (lower-case hex) for all non-ASCII. */
export function pythonJsonString(value: string): string {
  if (!NEEDS_ESCAPE.test(value)) return `"${value}"`
  let out = '"'
  let start = 0
  for (let i = 0; i < value.length; i++) {
    const c = value.charCodeAt(i)
    if (c >= 0x20 && c <= 0x7e && c !== 0x22 && c !== 0x5c) continue
    if (i > start) out += value.slice(start, i)
    out +=
      SHORT_ESCAPES[c] ??
      `\\u${HEX[(c >> 12) & 15]}${HEX[(c >> 8) & 15]}${HEX[(c >> 4) & 15]}${HEX[c & 15]}`
    start = i + 1
  }
  if (start < value.length) out += value.slice(start)
  return `${out}"`
}

/**
 * A number as Python writes it: integers in full, other floats as `repr` does
 * (the shortest round-trip digits, exponent form below 1e-4, `e-05` style).
 */
function pythonJsonNumber(value: number): string {
  if (Number.isInteger(value)) {
    if (value === 0) return '0'
    return Math.abs(value) < 1e21 ? String(value) : BigInt(value).toString()
  }
  // A non-integer double is below 2^53 < 1e16, so only Python's lower bound (1e-4) matters;
  // in that window JS writes the same shortest digits in plain notation.
  if (Math.abs(value) >= 1e-4) return String(value)
  const [mantissa = '', rawExp = '0'] = value.toExponential().split('e')
  const e = Math.abs(Number(rawExp))
  return `${mantissa}e-${e < 10 ? `0${e}` : e}`
}

function describe(value: unknown): string {
  if (value === null) return 'null'
  if (typeof value !== 'object') return typeof value
  const name = (Object.getPrototypeOf(value) as { constructor?: { name?: string } } | null)?.constructor?.name
  return name ? `a ${name}` : 'an object'
}

function isPlainObject(value: object): boolean {
  const proto = Object.getPrototypeOf(value) as unknown
  return proto === Object.prototype || proto === null
}

/** Where a value sits, built only when an error needs it: `metadata.items[2]`. */
type JsonPath = (string | number)[]

function pathText(path: JsonPath): string {
  let out = ''
  for (const part of path) out += typeof part === 'number' ? `[${part}]` : out === '' ? part : `.${part}`
  return out
}

function fail(path: JsonPath, what: string): never {
  const at = pathText(path)
  throw new MetadataError(`${at} ${what}`, { path: at })
}

/**
 * Writes a JSON value exactly as Python's `json.dumps(value)` does with its defaults:
 * `", "` and `": "` separators, `\uXXXX` escapes, key order kept. Refuses (with a
 * {@link MetadataError} naming the path) what Python would refuse or write differently.
 * `path` and `seen` are stacks the walk pushes to and pops from.
 */
function toPythonJsonAt(value: unknown, path: JsonPath, seen: object[]): string {
  switch (typeof value) {
    case 'string':
      return pythonJsonString(value)
    case 'number':
      if (!Number.isFinite(value)) {
        fail(path, `is ${String(value)}: NaN and Infinity are not JSON; send a finite number, a string or null`)
      }
      return pythonJsonNumber(value)
    case 'boolean':
      return value ? 'true' : 'false'
    case 'bigint':
      fail(path, 'is a BigInt, which JSON cannot carry; convert it to a string or a number first')
    // falls through: fail never returns
    case 'function':
    case 'symbol':
      fail(path, `is a ${typeof value}, which JSON cannot carry`)
    // falls through
    case 'undefined':
      fail(path, 'is undefined; use null or leave the key out')
  }
  if (value === null) return 'null'
  const object = value as object
  if (seen.includes(object)) {
    fail(path, 'refers back to one of its parents (a cycle); JSON cannot carry cycles')
  }
  const toJSON = (object as { toJSON?: unknown }).toJSON
  if (typeof toJSON === 'function') {
    seen.push(object)
    const out = toPythonJsonAt((toJSON as (key: string) => unknown).call(object, ''), path, seen)
    seen.pop()
    return out
  }
  seen.push(object)
  let out: string
  if (Array.isArray(object)) {
    out = '['
    for (let i = 0; i < object.length; i++) {
      const item: unknown = object[i]
      if (i > 0) out += ', '
      path.push(i)
      // JSON.stringify writes null for undefined array slots; so do we.
      out += item === undefined ? 'null' : toPythonJsonAt(item, path, seen)
      path.pop()
    }
    out += ']'
  } else if (isPlainObject(object)) {
    out = '{'
    for (const key in object) {
      if (!Object.prototype.hasOwnProperty.call(object, key)) continue
      const item = (object as Record<string, unknown>)[key]
      if (item === undefined) continue
      if (out.length > 1) out += ', '
      path.push(key)
      out += `${pythonJsonString(key)}: ${toPythonJsonAt(item, path, seen)}`
      path.pop()
    }
    out += '}'
  } else {
    fail(
      path,
      `is ${describe(object)}, not a plain object, array or JSON value; convert it first (for a Map: Object.fromEntries(map))`,
    )
  }
  seen.pop()
  return out
}

/**
 * Serialises a JSON value the way Python's `json.dumps` does with its default settings, so a
 * pytracking application (or anything that compares bytes with one) sees identical text.
 *
 * @example
 * ```ts
 * toPythonJson({ name: 'Zoë', n: [1, 2.5] }) // '{"name": "Zo\\u00eb", "n": [1, 2.5]}'
 * ```
 */
export function toPythonJson(value: unknown): string {
  return toPythonJsonFrom(value, 'value')
}

/**
 * {@link toPythonJsonAt} from a root named `root`, turning what a hostile value throws while it
 * is read (a getter, a Proxy trap, a `toJSON` method, nesting too deep for the stack) into a
 * {@link MetadataError}, so callers only ever see pytrack errors.
 */
export function toPythonJsonFrom(value: unknown, root: string): string {
  try {
    return toPythonJsonAt(value, [root], [])
  } catch (error) {
    throw readError(error, root)
  }
}

/** The pytrack error for what reading a value threw: a pytrack error as it is, anything else as a MetadataError. */
export function readError(error: unknown, root: string): unknown {
  if (isPytrackError(error)) return error
  const tooDeep = error instanceof RangeError && /call stack/i.test(error.message)
  return new MetadataError(
    tooDeep
      ? `${root} is nested too deeply to write as JSON; flatten it`
      : `${root} could not be read: a getter, a Proxy trap or a toJSON method threw (see the error's cause)`,
    { path: root, cause: error },
  )
}
