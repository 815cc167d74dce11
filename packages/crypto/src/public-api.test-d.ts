// Type tests of the public API, checked by `pnpm typecheck` (tsc): a wrong type fails the build.
// Each `@ts-expect-error` is a call or value the types must refuse.
import { Configuration, PytrackError, isPytrackError, type Codec } from '@pytrack/core'
import { expectTypeOf } from 'vitest'
import {
  Fernet,
  InvalidKeyError,
  InvalidTokenError,
  LinkExpiredError,
  MultiFernet,
  fernetCodec,
  signedCodec,
  type CodecOptions,
  type FernetDecryptOptions,
  type FernetKey,
  type FernetKeyring,
  type FernetToken,
  type SignedCodecOptions,
  type SignedSecret,
} from '@pytrack/crypto'

// Keys and tokens: text or bytes.
expectTypeOf<FernetKey>().toEqualTypeOf<string | Uint8Array>()
expectTypeOf<FernetToken>().toEqualTypeOf<string | Uint8Array>()
expectTypeOf(Fernet.generateKey()).toEqualTypeOf<string>()
const fernet = new Fernet(Fernet.generateKey())
expectTypeOf(fernet.encrypt('text')).toEqualTypeOf<string>()
expectTypeOf(fernet.encrypt(new Uint8Array(3))).toEqualTypeOf<string>()
expectTypeOf(fernet.decrypt('token')).toExtend<Uint8Array>()
expectTypeOf(fernet.decryptToString('token', { ttl: 60 })).toEqualTypeOf<string>()
expectTypeOf(fernet.extractTimestamp('token')).toEqualTypeOf<number>()
expectTypeOf<FernetDecryptOptions>().toEqualTypeOf<{ ttl?: number | undefined }>()
// @ts-expect-error: a ttl is a number of seconds
fernet.decrypt('token', { ttl: '60' })
// @ts-expect-error: Fernet encrypts strings and bytes only
fernet.encrypt({ customer_id: 1 })

// Rotation: Fernet instances or keys, newest first.
const rotation = new MultiFernet([fernet, Fernet.generateKey()])
expectTypeOf(rotation.rotate('token')).toEqualTypeOf<string>()
expectTypeOf(rotation.decryptToString('token')).toEqualTypeOf<string>()

// Codecs plug into a core Configuration.
expectTypeOf<string | Fernet | MultiFernet | readonly string[] | readonly Fernet[]>().toExtend<FernetKeyring>()
expectTypeOf(fernetCodec(Fernet.generateKey(), { maxAgeSeconds: 86400 })).toEqualTypeOf<Codec>()
expectTypeOf(signedCodec('a secret of at least thirty-two bytes')).toEqualTypeOf<Codec>()
expectTypeOf(signedCodec([{ id: '2026', secret: 'a' }, 'b'], { tagBytes: 16 })).toEqualTypeOf<Codec>()
expectTypeOf<{ id: string; secret: Uint8Array }>().toExtend<SignedSecret>()
expectTypeOf<SignedCodecOptions>().toExtend<CodecOptions>()
expectTypeOf<CodecOptions['clock']>().toEqualTypeOf<(() => number) | undefined>()
new Configuration({ codec: fernetCodec(fernet) })
// @ts-expect-error: a keyring holds keys or Fernet instances, not numbers
fernetCodec([1, 2])
// @ts-expect-error: maxAgeSeconds is a number of seconds
signedCodec('secret', { maxAgeSeconds: '90d' })

// Errors.
expectTypeOf<InvalidKeyError>().toExtend<PytrackError>()
expectTypeOf<InvalidTokenError>().toExtend<PytrackError>()
expectTypeOf<LinkExpiredError>().toExtend<PytrackError>()
expectTypeOf<LinkExpiredError['issuedAt']>().toEqualTypeOf<number>()
expectTypeOf<LinkExpiredError['maxAgeSeconds']>().toEqualTypeOf<number>()
// crypto adds its codes to core's map (declaration merging), so the guard narrows to its classes.
declare const caught: unknown
if (isPytrackError(caught, 'ERR_PYTRACK_LINK_EXPIRED')) expectTypeOf(caught).toEqualTypeOf<LinkExpiredError>()
if (isPytrackError(caught, 'ERR_PYTRACK_INVALID_KEY')) expectTypeOf(caught).toEqualTypeOf<InvalidKeyError>()
new LinkExpiredError('expired', { issuedAt: 1, maxAgeSeconds: 2 })
