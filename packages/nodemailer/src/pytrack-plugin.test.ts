import { mkdtempSync, writeFileSync } from 'node:fs'
import { tmpdir } from 'node:os'
import { join } from 'node:path'
import { Readable } from 'node:stream'
import { Configuration, getClickTrackingResult, getOpenTrackingResult, isPytrackError } from '@pytrack/core'
import { adaptHtml, adaptText } from '@pytrack/html'
import { simpleParser, type ParsedMail } from 'mailparser'
import nodemailer, { type SendMailOptions, type Transporter } from 'nodemailer'
import { afterAll, beforeAll, describe, expect, it } from 'vitest'
import { startSmtpReceiver, type SmtpReceiver } from '../test/smtp-receiver'
import { MailContentError, pytrack } from './index'

const configuration = new Configuration({
  baseOpenTrackingUrl: 'https://t.example.com/o/',
  baseClickTrackingUrl: 'https://t.example.com/c/',
})
const CLICK = /https:\/\/t\.example\.com\/c\/[A-Za-z0-9_=-]+/g

const LINKS = ['https://example.com/sale?a=1&b=2', 'https://example.com/about', 'http://example.org/news']
const html = `<!DOCTYPE html><html><head><title>Sale</title></head><body>
<p><a href="${LINKS[0]!.replace('&', '&amp;')}">Sale</a> <a href='${LINKS[1]}'>About</a> <a href=${LINKS[2]}>News</a></p>
<p><img src="cid:logo@example.com" alt="logo"> <a href="mailto:hi@example.com">mail</a> <a data-notrack href="https://example.com/private">private</a></p>
</body></html>`
const text = `Sale: ${LINKS[0]}\nAbout: ${LINKS[1]}.\n`
const amp = '<!doctype html><html ⚡4email><head><meta charset="utf-8"></head><body><a href="https://example.com/amp">amp</a></body></html>'
const logo = Buffer.from('89504e470d0a1a0a0000000d4948445200000001000000010806000000', 'hex')
const report = Buffer.from('%PDF-1.4 a report with https://example.com/in-attachment\n')

/** What a test checks of every tracked message: links decode to their originals with the Message-ID, the pixel carries it. */
function expectTracked(parsed: ParsedMail, extra: Record<string, unknown> = {}): void {
  const messageId = parsed.messageId!
  expect(messageId).toMatch(/^<[^<>]+@[^<>]+>$/)
  const htmlLinks = [...(parsed.html as string).matchAll(/href=(?:"([^"]*)"|'([^']*)')/g)].map((match) => (match[1] ?? match[2]!).replaceAll('&amp;', '&'))
  const tracked = htmlLinks.filter((href) => href.startsWith('https://t.example.com/c/'))
  expect(tracked.map((href) => getClickTrackingResult(href, { configuration }).trackedUrl)).toEqual(LINKS)
  for (const href of tracked) expect(getClickTrackingResult(href, { configuration }).metadata).toEqual({ ...extra, message_id: messageId })
  expect(htmlLinks).toContain('mailto:hi@example.com')
  expect(htmlLinks).toContain('https://example.com/private')
  const pixel = /<img src="(https:\/\/t\.example\.com\/o\/[^"]+)" width="1" height="1"/.exec(parsed.html as string)
  expect(getOpenTrackingResult(pixel![1]!, { configuration }).metadata).toEqual({ ...extra, message_id: messageId })
  const textLinks = (parsed.text ?? '').match(CLICK) ?? []
  expect(textLinks.map((link) => getClickTrackingResult(link, { configuration }).trackedUrl)).toEqual(LINKS.slice(0, 2))
  for (const link of textLinks) expect(getClickTrackingResult(link, { configuration }).metadata).toEqual({ ...extra, message_id: messageId })
  expect(parsed.text).toMatch(/^Sale: https:\/\/t\.example\.com\/c\/\S+\nAbout: https:\/\/t\.example\.com\/c\/\S+\.\n?$/)
}

describe('over real SMTP', () => {
  let smtp: SmtpReceiver
  let port = 0
  beforeAll(async () => {
    smtp = await startSmtpReceiver()
    port = smtp.port
  })
  afterAll(() => smtp.close())
  const nextMessage = (): Promise<ParsedMail> => smtp.next()

  const transporter = (): Transporter => {
    const transport = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true })
    transport.use('compile', pytrack({ configuration, metadata: { campaign: 'fall' } }))
    return transport
  }

  it('tracks every link of the HTML and text parts with the generated Message-ID, and leaves attachments, cid images and the amp part alone', async () => {
    const message: SendMailOptions = {
      from: 'Shop <shop@example.com>',
      to: 'reader@example.net',
      subject: 'Fall sale',
      html,
      text,
      amp,
      attachments: [
        { filename: 'logo.png', content: logo, cid: 'logo@example.com' },
        { filename: 'report.pdf', content: report, contentType: 'application/pdf' },
      ],
      pytrack: { metadata: { customer_id: 42 } },
    }
    const info = await transporter().sendMail(message)
    const parsed = await nextMessage()
    expect(parsed.messageId).toBe(info.messageId)
    expect(parsed.messageId).toMatch(/@example\.com>$/)
    expectTracked(parsed, { campaign: 'fall', customer_id: 42 })
    const part = (type: string) => parsed.attachments.find((attachment) => attachment.contentType === type)!
    expect(part('image/png').cid).toBe('logo@example.com')
    expect(part('image/png').content.equals(logo)).toBe(true)
    expect(part('application/pdf').content.equals(report)).toBe(true)
    expect(parsed.html).toContain('src="cid:logo@example.com"')
    // The amp part, byte for byte: its link is not rewritten.
    expect(part('text/x-amp-html').content.toString('utf8')).toBe(amp)
  })

  it('keeps a Message-ID the sender gave, in angle brackets as sent', async () => {
    await transporter().sendMail({ from: 'shop@example.com', to: 'reader@example.net', messageId: 'order-17@shop.example.com', html, text })
    const parsed = await nextMessage()
    expect(parsed.messageId).toBe('<order-17@shop.example.com>')
    expectTracked(parsed, { campaign: 'fall' })
  })

  it('sends a message untracked when its pytrack field is false, and honours per-message switches', async () => {
    await transporter().sendMail({ from: 'shop@example.com', to: 'reader@example.net', html, text, pytrack: false })
    const untouched = await nextMessage()
    expect(untouched.html).toBe(html)
    expect(untouched.text).toBe(text)
    await transporter().sendMail({ from: 'shop@example.com', to: 'reader@example.net', html, pytrack: { openTracking: false } })
    const noPixel = await nextMessage()
    expect(noPixel.html).not.toContain('https://t.example.com/o/')
    expect(noPixel.html).toContain('https://t.example.com/c/')
  })

  it('sends one template to many recipients: each gets what adaptHtml and adaptText give for its metadata, its own metadata winning', async () => {
    const transport = transporter()
    const sent: { info: { messageId: string }; customer: number }[] = []
    for (const customer of [1, 2, 3, 4]) {
      const info = await transport.sendMail({ from: 'shop@example.com', to: `r${customer}@example.net`, html, text, pytrack: { metadata: { customer_id: customer, campaign: 'spring' } } })
      sent.push({ info, customer })
    }
    for (const { info, customer } of sent) {
      const parsed = await nextMessage()
      expect(parsed.messageId).toBe(info.messageId)
      const metadata = { campaign: 'spring', customer_id: customer, message_id: info.messageId }
      // The first send adapts, the second compiles, the others splice: the same bytes every time.
      expect(parsed.html).toBe(adaptHtml(html, metadata, { configuration }).html)
      expect(parsed.text).toBe(adaptText(text, metadata, { configuration }).text)
      expectTracked(parsed, { campaign: 'spring', customer_id: customer })
    }
  })

  it('reads the HTML from a Buffer, a file path and a stream', async () => {
    const dir = mkdtempSync(join(tmpdir(), 'pytrack-nodemailer-'))
    const file = join(dir, 'email.html')
    writeFileSync(file, html)
    for (const content of [Buffer.from(html), { path: file }, Readable.from([html.slice(0, 100), html.slice(100)])]) {
      await transporter().sendMail({ from: 'shop@example.com', to: 'reader@example.net', html: content, text: Buffer.from(text) })
      expectTracked(await nextMessage(), { campaign: 'fall' })
    }
  })

  it('fails the send with MailContentError when the HTML cannot be read, and sends nothing', async () => {
    const missing = transporter().sendMail({ from: 'shop@example.com', to: 'reader@example.net', html: { path: '/nonexistent/email.html' } })
    const error = await missing.then(
      () => null,
      (reason: unknown) => reason,
    )
    expect(error).toBeInstanceOf(MailContentError)
    expect(isPytrackError(error, 'ERR_PYTRACK_MAIL_CONTENT')).toBe(true)
    expect((error as MailContentError).part).toBe('html')
    expect((error as MailContentError).message).not.toContain('/nonexistent')
    const failing = new Readable({
      read() {
        this.destroy(new Error('disk gone'))
      },
    })
    await expect(transporter().sendMail({ from: 'shop@example.com', to: 'reader@example.net', html: 'ok', text: failing })).rejects.toMatchObject({
      code: 'ERR_PYTRACK_MAIL_CONTENT',
      part: 'text',
    })
    const locked = nodemailer.createTransport({ host: '127.0.0.1', port, secure: false, ignoreTLS: true, disableFileAccess: true })
    locked.use('compile', pytrack({ configuration }))
    await expect(locked.sendMail({ from: 'shop@example.com', to: 'reader@example.net', html: { path: '/etc/hostname' } })).rejects.toMatchObject({
      code: 'ERR_PYTRACK_MAIL_CONTENT',
    })
    const latin1 = Buffer.from('<body><a href="https://example.com/caf\u00e9">Caf\u00e9</a></body>', 'latin1')
    await expect(transporter().sendMail({ from: 'shop@example.com', to: 'reader@example.net', html: latin1 })).rejects.toMatchObject({
      code: 'ERR_PYTRACK_MAIL_CONTENT',
      part: 'html',
      message: expect.stringContaining('not UTF-8'),
    })
    expect(smtp.pending()).toBe(0)
  })

  it('refuses a pytrack field of the wrong shape, sending nothing', async () => {
    for (const pytrack of [true, 'off', { metadata: [1] }, { openTracking: 'no' }, { metadata: { bad: Number.NaN } }]) {
      const error = await transporter()
        .sendMail({ from: 'shop@example.com', to: 'reader@example.net', html, pytrack: pytrack as never })
        .then(() => null, (reason: unknown) => reason)
      expect(isPytrackError(error)).toBe(true)
    }
    expect(smtp.pending()).toBe(0)
  })
})

describe('with the stream transport', () => {
  it('tracks a message whose HTML is a stream', async () => {
    const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' })
    transport.use('compile', pytrack({ configuration }))
    const info = await transport.sendMail({
      from: 'shop@example.com',
      to: 'reader@example.net',
      html: Readable.from([Buffer.from(html.slice(0, 50)), Buffer.from(html.slice(50))]),
      text,
      amp,
    })
    const parsed = await simpleParser(info.message as Buffer)
    expectTracked(parsed)
    expect(parsed.attachments.find((attachment) => attachment.contentType === 'text/x-amp-html')!.content.toString('utf8')).toBe(amp)
  })
})

describe('a template sent again', () => {
  it('is compiled on its second message, so shouldTrackLink runs twice a link for any number of messages', async () => {
    let calls = 0
    const transport = nodemailer.createTransport({ streamTransport: true, buffer: true, newline: 'unix' })
    transport.use('compile', pytrack({ configuration, shouldTrackLink: () => (calls++, true) }))
    for (let i = 0; i < 6; i++) {
      const info = await transport.sendMail({ from: 'shop@example.com', to: 'reader@example.net', html, pytrack: { metadata: { n: i } } })
      const parsed = await simpleParser(info.message as Buffer)
      // mailparser ends a lone HTML part with a line break.
      expect((parsed.html as string).trimEnd()).toBe(adaptHtml(html, { n: i, message_id: info.messageId }, { configuration }).html)
    }
    expect(calls).toBe(2 * LINKS.length)
  })
})

describe('pytrack options', () => {
  it('refuses bad options when the plugin is made', () => {
    expect(() => pytrack(undefined as never)).toThrow(/takes its options/)
    expect(() => pytrack({ configuration: new Configuration() })).toThrow(expect.objectContaining({ code: 'ERR_PYTRACK_CONFIGURATION' }))
    expect(() => pytrack({ configuration, messageIdKey: '' })).toThrow(expect.objectContaining({ code: 'ERR_PYTRACK_INVALID_ARGUMENT' }))
    expect(() => pytrack({ configuration, metadata: { bad: Number.NaN } })).toThrow(expect.objectContaining({ code: 'ERR_PYTRACK_METADATA' }))
  })
})
