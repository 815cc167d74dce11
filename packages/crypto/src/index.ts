import { registerKeyCodecFactory } from '@pytrack/core'
import { fernetCodec } from './fernet-codec'

export { Fernet } from './fernet'
export type { FernetKey, FernetToken, FernetDecryptOptions } from './fernet'
export { MultiFernet } from './multi-fernet'
export { fernetCodec } from './fernet-codec'
export type { FernetKeyring } from './fernet-codec'
export { signedCodec } from './signed-codec'
export type { SignedSecret, SignedCodecOptions } from './signed-codec'
export type { CodecOptions } from './codec-options'
export { InvalidKeyError } from './errors/invalid-key-error'
export { InvalidTokenError } from './errors/invalid-token-error'
export { LinkExpiredError } from './errors/link-expired-error'
export type { LinkExpiredErrorOptions } from './errors/link-expired-error'

// The package's one side effect (listed in package.json "sideEffects"): importing it lets
// Configuration.fromPytracking() read pytracking's `encryption_bytestring_key`.
registerKeyCodecFactory((key) => fernetCodec(key))
