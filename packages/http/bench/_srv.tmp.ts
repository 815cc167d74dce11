import { createServer } from 'node:http'
import { getClickTrackingUrl } from '@pytrack/core'
import { benchWorkload } from '../../../test-utils/vectors'
import { createNodeHandler } from '../src/node'
const configuration = { baseOpenTrackingUrl: benchWorkload.baseOpenTrackingUrl, baseClickTrackingUrl: benchWorkload.baseClickTrackingUrl }
console.log(new URL(getClickTrackingUrl(benchWorkload.clickUrl, benchWorkload.metadata, configuration)).pathname)
let n = 0
const server = createServer(createNodeHandler({ configuration, routes: { open: 'o', click: 'c' }, allowedDestinations: ['www.example.com'], onTrackingEvent: (r) => { if (r.timestamp) n++ } }))
server.listen(0, '127.0.0.1', () => console.log((server.address() as any).port))
setTimeout(() => { server.close(); server.closeAllConnections() }, 9000)
