// Runs on Bun, Deno and workerd (nodejs_compat) against the built @pytrack/crypto, on each
// runtime's own node:crypto (see runtimes.test.ts beside it). Returns what came out, for Node to check.
import {
  Configuration,
  getClickTrackingResult,
  getClickTrackingUrl,
  getOpenTrackingResult,
  isPytrackError,
  type Metadata,
  type PytrackingSettings,
} from '@pytrack/core'
import { Fernet, MultiFernet, fernetCodec, signedCodec } from '@pytrack/crypto'
import { pytrackingFields, refusal, type PytrackingFields, type Refusal } from '../../../../test-utils/scenario-kit.mjs'
import type { FernetInteropCase } from '../../../../test-utils/vectors'

/** A pytracking link sealed with Fernet by pytracking (fixtures/vectors/pytracking/encrypted.json). */
export interface SealedLink {
  name: string
  kind: 'open' | 'click'
  config: PytrackingSettings
  url: string
}

export interface FernetInput {
  pythonTokens: FernetInteropCase[]
  sealedLinks: SealedLink[]
  /** A key and a click link to seal with it here, for Node to open. */
  seal: { key: string; url: string; metadata: Metadata }
}

export interface FernetOutput {
  python: { desc: string; plaintext: string; withinTtl: string; expired: Refusal; timestamp: number; sameToken: boolean }[]
  roundTrip: boolean
  rotated: boolean
  wrongKey: Refusal
  badKey: Refusal
  sealedLinks: ({ name: string } & PytrackingFields)[]
  /** A click link sealed here with `seal.key`. */
  sealedHere: string
  signed: { link: string; opened: PytrackingFields; forged: Refusal }
}

const text = (bytes: Uint8Array): string => new TextDecoder('utf-8', { ignoreBOM: true }).decode(bytes)
const hexBytes = (hex: string): Uint8Array => Uint8Array.from(hex.match(/../g) ?? [], (byte) => parseInt(byte, 16))

export function run({ pythonTokens, sealedLinks, seal }: FernetInput): FernetOutput {
  const fresh = new Fernet(Fernet.generateKey())
  const message = 'héllo, wörld ✓ \u{1F600}'
  const older = new Fernet(Fernet.generateKey())
  const rotated = new MultiFernet([fresh, older]).rotate(older.encrypt(message))
  const signed = signedCodec({ id: 'k1', secret: 'a signing secret of at least 32 bytes!' })
  const signedConfiguration = new Configuration({ baseClickTrackingUrl: 'https://t.example.com/c/', codec: signed })
  const signedLink = getClickTrackingUrl('https://www.example.com/sale', { customer_id: 7 }, { configuration: signedConfiguration })
  return {
    python: pythonTokens.map((c) => {
      const fernet = new Fernet(c.key)
      return {
        desc: c.desc,
        plaintext: fernet.decryptToString(c.token),
        withinTtl: text(fernet.decryptAtTime(c.token, c.ttl_sec, c.now_unix_seconds_for_ttl_check)),
        expired: refusal(() => fernet.decryptAtTime(c.token, c.ttl_sec, c.expired_at_unix_seconds), isPytrackError),
        timestamp: fernet.extractTimestamp(c.token),
        sameToken: fernet.encryptAtTime(c.plaintext_utf8, c.token_timestamp, hexBytes(c.iv_hex)) === c.token,
      }
    }),
    roundTrip: fresh.decryptToString(fresh.encrypt(message)) === message,
    rotated: fresh.decryptToString(rotated) === message,
    wrongKey: refusal(() => older.decrypt(fresh.encrypt(message)), isPytrackError),
    badKey: refusal(() => new Fernet('not a key'), isPytrackError),
    sealedLinks: sealedLinks.map((c) => {
      const options = { configuration: Configuration.fromPytracking(c.config) }
      return { name: c.name, ...pytrackingFields((c.kind === 'open' ? getOpenTrackingResult : getClickTrackingResult)(c.url, options)) }
    }),
    sealedHere: getClickTrackingUrl(seal.url, seal.metadata, {
      configuration: new Configuration({ baseClickTrackingUrl: 'https://t.example.com/c/', codec: fernetCodec(seal.key) }),
    }),
    signed: {
      link: signedLink,
      opened: pytrackingFields(getClickTrackingResult(signedLink, { configuration: signedConfiguration })),
      forged: refusal(() => getClickTrackingResult(signedLink.slice(0, -2) + 'AA', { configuration: signedConfiguration }), isPytrackError),
    },
  }
}
