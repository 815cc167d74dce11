// Where the test vectors live: the copies in fixtures/ (always) and ../shared (when it sits
// beside the checkout, as in CI). Suites run on every distinct copy.
import { existsSync, readFileSync, readdirSync } from 'node:fs'
import { fileURLToPath } from 'node:url'

export const repoRoot: string = fileURLToPath(new URL('..', import.meta.url))
export const sharedRoot: string = fileURLToPath(new URL('../../shared/', import.meta.url))

export interface VectorFile<T> {
  /** Where it was read from, for test names. */
  source: string
  data: T
}

/** Reads `vectors/<path>` from fixtures and from ../shared, once per distinct content. */
export function loadVectors<T>(path: string): VectorFile<T>[] {
  const places = [
    { source: 'fixtures', file: `${repoRoot}fixtures/vectors/${path}` },
    { source: 'shared', file: `${sharedRoot}vectors/${path}` },
  ]
  const seen = new Set<string>()
  const out: VectorFile<T>[] = []
  for (const { source, file } of places) {
    if (!existsSync(file)) continue
    const text = readFileSync(file, 'utf8')
    if (seen.has(text)) continue
    seen.add(text)
    out.push({ source, data: JSON.parse(text) as T })
  }
  if (out.length === 0) throw new Error(`vector file ${path} is missing from fixtures/vectors`)
  return out
}

/** The email corpus in ../shared (not copied: other people's templates). Empty when absent. */
export function corpusFiles(): { name: string; html: string }[] {
  const dir = `${sharedRoot}corpus/email/`
  if (!existsSync(dir)) return []
  return readdirSync(dir)
    .filter((name) => name.endsWith('.html'))
    .sort()
    .map((name) => ({ name, html: readFileSync(dir + name, 'utf8') }))
}

/** The bench workload of ../shared/bench/README.md, restated so benchmarks run on any clone. */
export const benchWorkload = {
  baseOpenTrackingUrl: 'https://t.example.com/o/',
  baseClickTrackingUrl: 'https://t.example.com/c/',
  clickUrl: 'https://www.example.com/products/autumn-sale?utm_source=newsletter&utm_medium=email',
  metadata: { customer_id: 123456, campaign: 'fall-2026', list: 'weekly' },
  fernetKey: 'XdhWbQZnqCIPLBL0ViPIW2vBTsmUNxAS-7mOtTdu6ZM=',
} as const

/** A case of pytracking/encode.json or pytracking/encrypted.json. */
export interface PytrackingLinkCase {
  name: string
  kind: 'open' | 'click'
  /** pytracking's snake_case settings, as given to Configuration.fromPytracking. */
  config: Record<string, unknown>
  metadata: Record<string, unknown> | null
  url_to_track?: string
  /** Exactly what pytracking produced. */
  url: string
  /** What pytracking decodes from `url` with the same settings. */
  result: {
    is_open_tracking: boolean
    is_click_tracking: boolean
    tracked_url: string | null
    webhook_url: string | null
    metadata: Record<string, unknown>
  }
}

/** A token of fernet/python-interop.json, made by Python's cryptography. */
export interface FernetInteropCase {
  desc: string
  key: string
  token: string
  plaintext_utf8: string
  now_unix_seconds_for_ttl_check: number
  ttl_sec: number
  token_timestamp: number
  iv_hex: string
  expired_at_unix_seconds: number
}

/** A case of pytracking/decode-errors.json. */
export interface PytrackingDecodeErrorCase {
  name: string
  path: string
  pytracking_raises: boolean
}

/** The shape of every pytracking vector file. */
export interface PytrackingVectorFile<C> {
  meta: { pixel_png_base64: string; pixel_mime: string }
  cases: C[]
}
