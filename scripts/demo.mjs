#!/usr/bin/env node
// A short tour of @pytrack/core (built): an open link, a click link, and what they decode to.
import {
  Configuration,
  getClickTrackingResult,
  getClickTrackingUrl,
  getOpenTrackingResult,
  getOpenTrackingUrl,
} from '@pytrack/core'

const configuration = new Configuration({
  baseOpenTrackingUrl: 'http://localhost:8080/open/',
  baseClickTrackingUrl: 'http://localhost:8080/click/',
  defaultMetadata: { app: 'demo' },
})
const metadata = { customer_id: 123456, campaign: 'fall-2026' }

const openUrl = getOpenTrackingUrl(metadata, { configuration })
const clickUrl = getClickTrackingUrl('https://www.example.com/products/autumn-sale', metadata, { configuration })
console.log('open link: ', openUrl)
console.log('click link:', clickUrl)
console.log('open decodes to: ', JSON.stringify(getOpenTrackingResult(openUrl, { configuration })))
console.log('click decodes to:', JSON.stringify(getClickTrackingResult(clickUrl, { configuration })))
