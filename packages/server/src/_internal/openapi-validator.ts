// Checks requests (and, in the tests, answers) against the OpenAPI document with Ajv (JSON
// Schema 2020-12, the dialect of OpenAPI 3.1). Validators are compiled once per process, on
// first use, straight from the document: nothing is written twice.
import { Ajv2020, type ErrorObject, type ValidateFunction } from 'ajv/dist/2020.js'
import { OPENAPI_DOCUMENT } from './openapi'

const DOCUMENT_ID = 'pytrack-openapi'
type Schema = Record<string, unknown>

let ajv: Ajv2020 | undefined
function validatorAt(...pointer: string[]): ValidateFunction {
  if (ajv === undefined) {
    ajv = new Ajv2020({ strict: false, validateSchema: false, validateFormats: false, verbose: true, allowUnionTypes: true })
    ajv.addSchema(OPENAPI_DOCUMENT as Schema, DOCUMENT_ID)
  }
  const fragment = pointer.map((part) => encodeURIComponent(part.replaceAll('~', '~0').replaceAll('/', '~1'))).join('/')
  const id = `${DOCUMENT_ID}#/${fragment}`
  const validate = ajv.getSchema(id)
  if (validate === undefined) throw new Error(`no schema at ${id} in the OpenAPI document`)
  return validate
}

/** One operation of the document, as the router and the checks use it. */
export interface Operation {
  /** The path template, e.g. `/api/v1/webhooks/deliveries/{id}/retry`. */
  path: string
  /** Upper case, e.g. `POST`. */
  method: string
  /** The operation object of the document. */
  spec: Schema
  /** Whether it needs the bearer token. */
  secured: boolean
}

interface PathEntry {
  path: string
  pattern: RegExp
  names: string[]
  operations: Map<string, Operation>
}

const paths: PathEntry[] = Object.entries(OPENAPI_DOCUMENT.paths as Record<string, Record<string, Schema>>).map(([path, item]) => {
  const names: string[] = []
  const source = path.replace(/[.*+?^$()|[\]\\]/g, '\\$&').replace(/\{(\w+)\}/g, (_, name: string) => {
    names.push(name)
    return '([^/]+)'
  })
  const operations = new Map<string, Operation>()
  for (const [method, spec] of Object.entries(item)) {
    const security = spec.security as unknown[] | undefined
    operations.set(method.toUpperCase(), { path, method: method.toUpperCase(), spec, secured: security === undefined || security.length > 0 })
  }
  return { path, pattern: new RegExp(`^${source}$`), names, operations }
})

/** Every operation of the document. */
export function documentedOperations(): Operation[] {
  return paths.flatMap((entry) => [...entry.operations.values()])
}

/**
 * What the document says of a path: its operations and the path parameters read from it, still
 * percent-encoded ({@link readParameters} decodes them); undefined when it has no such path.
 */
export function findPath(pathname: string): { operations: Map<string, Operation>; params: Record<string, string> } | undefined {
  for (const entry of paths) {
    const match = entry.pattern.exec(pathname)
    if (match === null) continue
    const params: Record<string, string> = {}
    entry.names.forEach((name, index) => {
      params[name] = match[index + 1] ?? ''
    })
    return { operations: entry.operations, params }
  }
  return undefined
}

/** A percent-encoded path segment as text; null when it is not UTF-8 (`%ff`) or a `%` has no two hex digits. */
function decodeSegment(segment: string): string | null {
  try {
    return decodeURIComponent(segment)
  } catch {
    return null
  }
}

function pointerOf(operation: Operation): string[] {
  return ['paths', operation.path, operation.method.toLowerCase()]
}

/** Says what is wrong in the user's words: `limit must be <= 1000`, `url is required`. */
function describe(error: ErrorObject, where: string, description?: unknown): string {
  const path = error.instancePath.slice(1).replaceAll('/', '.')
  const subject = path === '' ? where : path
  const text = error.parentSchema?.description ?? (error.keyword === 'pattern' ? description : undefined)
  const hint = typeof text === 'string' ? ` (${text})` : ''
  switch (error.keyword) {
    case 'pattern':
      return `${subject} is not in a form it takes${hint}`
    case 'required':
      return `${String(error.params.missingProperty)} is required`
    case 'enum':
      return `${subject} must be one of ${(error.params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`
    case 'false schema':
      return `${subject} is not accepted here`
    case 'type':
      return `${subject} must be ${String(error.params.type).replace(',', ' or ')}${hint}`
    case 'anyOf':
      return `${subject} has the wrong type${hint}`
    default:
      return `${subject} ${error.message ?? 'is not valid'}${hint}`
  }
}

/** The most telling error: a type or value error below an `anyOf` says more than the `anyOf` itself. */
function firstError(errors: ErrorObject[] | null | undefined): ErrorObject | undefined {
  return errors?.find((error) => error.keyword !== 'anyOf' && error.keyword !== 'type') ?? errors?.find((error) => error.keyword !== 'anyOf') ?? errors?.[0]
}

/** A problem with a request, in words for the client; null when there is none. */
export type Problem = string | null

/** Checks a JSON body against the operation's request body schema. */
export function checkBody(operation: Operation, body: unknown): Problem {
  const validate = validatorAt(...pointerOf(operation), 'requestBody', 'content', 'application/json', 'schema')
  if (validate(body)) return null
  const error = firstError(validate.errors)
  return error === undefined ? 'the body is not valid' : describe(error, 'the body')
}

/** Checks a value (such as one line of a JSON lines body) against a schema of the document's components. */
export function checkSchema(name: string, value: unknown, where: string): Problem {
  const validate = validatorAt('components', 'schemas', name)
  if (validate(value)) return null
  const error = firstError(validate.errors)
  return error === undefined ? `${where} is not valid` : describe(error, where)
}

/** Whether the operation's body is JSON lines, read by its handler as it arrives (not a JSON object read first). */
export function takesJsonLines(operation: Operation): boolean {
  const content = (operation.spec.requestBody as { content?: Record<string, unknown> } | undefined)?.content
  return content !== undefined && JSON_LINES in content
}

const JSON_LINES = 'application/x-ndjson'

/**
 * Reads and checks the operation's query and path parameters: integers become numbers, absent
 * ones are left out. Unknown query parameters are ignored. Throws nothing: a problem is returned.
 */
export function readParameters(
  operation: Operation,
  url: URL,
  pathParams: Record<string, string>,
): { values: Record<string, string | number>; problem: Problem } {
  const values: Record<string, string | number> = {}
  const parameters = (operation.spec.parameters ?? []) as Schema[]
  for (const [index, parameter] of parameters.entries()) {
    const name = String(parameter.name)
    if (parameter.in === 'query' && url.searchParams.getAll(name).length > 1) {
      // Read once by one reader and once by another (a proxy, a log), a repeated value could mean two things.
      return { values, problem: `${name} is given more than once; give it once` }
    }
    const given = parameter.in === 'path' ? pathParams[name] : url.searchParams.get(name)
    if (given === null || given === undefined) {
      if (parameter.required === true) return { values, problem: `${name} is required` }
      continue
    }
    const raw = parameter.in === 'path' ? decodeSegment(given) : given
    if (raw === null) return { values, problem: `${name} is not valid percent-encoded UTF-8` }
    const schema = parameter.schema as Schema
    let value: string | number = raw
    if (schema.type === 'integer') {
      if (!/^-?\d{1,16}$/.test(raw)) return { values, problem: `${name} must be a whole number` }
      value = Number(raw)
    }
    const validate = validatorAt(...pointerOf(operation), 'parameters', String(index), 'schema')
    if (!validate(value)) {
      const error = firstError(validate.errors)
      return { values, problem: error === undefined ? `${name} is not valid` : describe(error, name, parameter.description) }
    }
    values[name] = value
  }
  return { values, problem: null }
}

/**
 * Checks an answer against the document: the status must be documented for the operation and
 * the JSON body must match its schema. Returns what is wrong, or null. For the tests.
 */
export function checkAnswer(method: string, pathname: string, status: number, contentType: string | null, body: string): Problem {
  const found = findPath(pathname)
  const upper = method === 'HEAD' ? 'GET' : method
  const operation = found?.operations.get(upper)
  let schemaPointer: string[]
  let mediaType = 'application/json'
  if (operation === undefined) {
    // Only errors may come from a path or method the document does not have.
    if (found === undefined && status !== 404 && status !== 401) return `${method} ${pathname} answered ${status} but the OpenAPI document has no such path: add it to src/_internal/openapi.ts`
    if (found !== undefined && status !== 405 && status !== 401) return `${method} ${pathname} answered ${status} but the OpenAPI document has no ${upper} operation there: add it to src/_internal/openapi.ts`
    schemaPointer = ['components', 'responses', `Error${status}`, 'content', 'application/json', 'schema']
  } else {
    const responses = operation.spec.responses as Record<string, Schema>
    const answer = responses[String(status)]
    if (answer === undefined) return `${method} ${pathname} answered ${status}, which its operation in the OpenAPI document does not list (it lists ${Object.keys(responses).join(', ')})`
    if (typeof answer.$ref !== 'string' && JSON_LINES in ((answer.content ?? {}) as Schema)) mediaType = JSON_LINES
    schemaPointer = typeof answer.$ref === 'string'
      ? ['components', 'responses', answer.$ref.split('/').at(-1) ?? '', 'content', 'application/json', 'schema']
      : [...pointerOf(operation), 'responses', String(status), 'content', mediaType, 'schema']
  }
  if (method === 'HEAD') return body === '' ? null : `HEAD ${pathname} answered with a body`
  if (!(contentType ?? '').startsWith(mediaType)) return `${method} ${pathname} answered ${status} with Content-Type ${String(contentType)}, not ${mediaType}`
  const validate = validatorAt(...schemaPointer)
  if (mediaType === JSON_LINES) {
    // Each line is one JSON value of the schema.
    const lines = body.split('\n')
    if (lines.pop() !== '') return `${method} ${pathname} answered ${status} with JSON lines whose last line does not end with \\n`
    for (const [index, line] of lines.entries()) {
      let value: unknown
      try {
        value = JSON.parse(line)
      } catch {
        return `${method} ${pathname} answered ${status} with line ${index + 1} that is not JSON`
      }
      if (!validate(value)) {
        const errors = (validate.errors ?? []).map((error) => `${error.instancePath || '(root)'} ${error.message ?? ''} ${JSON.stringify(error.params)}`)
        return `${method} ${pathname} answered ${status} with line ${index + 1} that the OpenAPI document does not allow: ${errors.slice(0, 5).join('; ')}`
      }
    }
    return null
  }
  let data: unknown
  try {
    data = JSON.parse(body)
  } catch {
    return `${method} ${pathname} answered ${status} with a body that is not JSON`
  }
  if (validate(data)) return null
  const errors = (validate.errors ?? []).map((error) => `${error.instancePath || '(root)'} ${error.message ?? ''} ${JSON.stringify(error.params)}`)
  return `${method} ${pathname} answered ${status} with a body the OpenAPI document does not allow: ${errors.slice(0, 5).join('; ')}`
}
