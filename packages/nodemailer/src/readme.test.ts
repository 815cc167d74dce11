// The README's example, run as written (type-checked too) against a real SMTP server on 127.0.0.1.
import { rmSync, writeFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { Configuration, getClickTrackingResult, getOpenTrackingResult } from '@pytrack/core'
import { afterAll, beforeAll, expect, it, vi } from 'vitest'
import { codeBlockWith, typeErrors } from '../../../test-utils/readme'
import { startSmtpReceiver, type SmtpReceiver } from '../test/smtp-receiver'

const readme = fileURLToPath(new URL('../README.md', import.meta.url))
// Beside the sources, so `nodemailer` resolves from this package as it does in a reader's project.
const example = fileURLToPath(new URL(`./readme-example-${process.pid}.ts`, import.meta.url))
const packages = fileURLToPath(new URL('../../', import.meta.url))
const configuration = new Configuration({ baseOpenTrackingUrl: 'https://t.example.com/o/', baseClickTrackingUrl: 'https://t.example.com/c/' })

let smtp: SmtpReceiver
beforeAll(async () => {
  smtp = await startSmtpReceiver()
  writeFileSync(example, `${codeBlockWith(readme, "transporter.use('compile'")}\nexport {}\n`)
})
afterAll(async () => {
  rmSync(example, { force: true })
  await smtp.close()
})

it('type-checks as a reader would compile it: the pytrack field is part of SendMailOptions', () => {
  const paths = { '@pytrack/*': [`${packages}*/src/index.ts`] }
  expect(typeErrors(example, { paths, types: ['node'] })).toEqual([])
}, 60_000)

it('sends the example message over SMTP with its links and pixel carrying the campaign, the customer and the Message-ID', async () => {
  vi.stubEnv('SMTP_URL', `smtp://127.0.0.1:${smtp.port}`)
  const spy = vi.spyOn(console, 'log').mockImplementation(() => {})
  let logged: unknown[][]
  try {
    await import(/* @vite-ignore */ example)
  } finally {
    logged = spy.mock.calls.slice()
    vi.unstubAllEnvs()
    spy.mockRestore()
  }
  const parsed = await smtp.next()
  expect(logged).toEqual([[parsed.messageId]])
  const metadata = { campaign: 'fall-2026', customer_id: 42, message_id: parsed.messageId }
  const link = /href="([^"]+)"/.exec(parsed.html as string)![1]!
  expect(getClickTrackingResult(link, { configuration })).toMatchObject({ trackedUrl: 'https://www.example.com/sale', metadata })
  const pixel = /<img src="([^"]+)"/.exec(parsed.html as string)![1]!
  expect(getOpenTrackingResult(pixel, { configuration }).metadata).toEqual(metadata)
  const textLink = /https:\/\/t\.example\.com\/c\/\S+/.exec(parsed.text!)![0]
  expect(getClickTrackingResult(textLink, { configuration })).toMatchObject({ trackedUrl: 'https://www.example.com/sale', metadata })
})
