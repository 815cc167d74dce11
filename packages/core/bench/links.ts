// Click-link encode and decode per second on the workload of ../shared/bench/README.md.
import { Configuration, getClickTrackingResult, getClickTrackingUrl, getOpenTrackingResult, getOpenTrackingUrl } from '@pytrack/core'
import { measure, printMachine, report } from '../../../test-utils/bench'
import { benchWorkload as w } from '../../../test-utils/vectors'

const configuration = new Configuration({
  baseOpenTrackingUrl: w.baseOpenTrackingUrl,
  baseClickTrackingUrl: w.baseClickTrackingUrl,
})
const options = { configuration }
const clickLink = getClickTrackingUrl(w.clickUrl, w.metadata, options)
const openLink = getOpenTrackingUrl(w.metadata, options)

printMachine('@pytrack/core: base64 links (pytracking: 76,000 encodes/s, 77,000 decodes/s)')
report(measure('click link encode', () => getClickTrackingUrl(w.clickUrl, w.metadata, options)), { label: 'pytracking', opsPerSecond: 76_000 })
report(measure('click link decode', () => getClickTrackingResult(clickLink, options)), { label: 'pytracking', opsPerSecond: 77_000 })
report(measure('open link encode', () => getOpenTrackingUrl(w.metadata, options)))
report(measure('open link decode', () => getOpenTrackingResult(openLink, options)))
