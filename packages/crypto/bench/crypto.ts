// Fernet and signed click links per second on the workload of ../shared/bench/README.md,
// next to pytracking's Fernet links measured on the team's machine.
import { Configuration, getClickTrackingResult, getClickTrackingUrl } from '@pytrack/core'
import { Fernet, fernetCodec, signedCodec } from '@pytrack/crypto'
import { measure, printMachine, report } from '../../../test-utils/bench'
import { benchWorkload as w } from '../../../test-utils/vectors'

const PYTRACKING_ENCODE = { label: 'pytracking', opsPerSecond: 15_000 }
const PYTRACKING_DECODE = { label: 'pytracking', opsPerSecond: 16_000 }
// The bare node:crypto figures issue 3 measured on this payload.
const BARE_ENCRYPT = { label: 'target', opsPerSecond: 88_000 }
const BARE_DECRYPT = { label: 'target', opsPerSecond: 110_000 }

const base = { baseOpenTrackingUrl: w.baseOpenTrackingUrl, baseClickTrackingUrl: w.baseClickTrackingUrl }
const fernetOptions = { configuration: new Configuration({ ...base, codec: fernetCodec(w.fernetKey) }) }
const signedOptions = {
  configuration: new Configuration({ ...base, codec: signedCodec(w.fernetKey, { maxAgeSeconds: 90 * 86400 }) }),
}

const fernetLink = getClickTrackingUrl(w.clickUrl, w.metadata, fernetOptions)
const signedLink = getClickTrackingUrl(w.clickUrl, w.metadata, signedOptions)
// The payload pytracking seals for this click: the Fernet plaintext of the link.
const fernet = new Fernet(w.fernetKey)
const payload = fernet.decrypt(fernetLink.slice(w.baseClickTrackingUrl.length))
const token = fernet.encrypt(payload)

printMachine(`@pytrack/crypto: Fernet and signed click links (payload ${payload.length} bytes)`)
report(measure('Fernet click link encode', () => getClickTrackingUrl(w.clickUrl, w.metadata, fernetOptions)), PYTRACKING_ENCODE)
report(measure('Fernet click link decode', () => getClickTrackingResult(fernetLink, fernetOptions)), PYTRACKING_DECODE)
report(measure('bare Fernet encrypt', () => fernet.encrypt(payload)), BARE_ENCRYPT)
report(measure('bare Fernet decrypt', () => fernet.decrypt(token)), BARE_DECRYPT)
report(measure('signed click link encode', () => getClickTrackingUrl(w.clickUrl, w.metadata, signedOptions)), PYTRACKING_ENCODE)
report(measure('signed click link decode', () => getClickTrackingResult(signedLink, signedOptions)), PYTRACKING_DECODE)
