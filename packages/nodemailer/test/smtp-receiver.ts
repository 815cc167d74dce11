// A real SMTP server on 127.0.0.1 (smtp-server) that keeps what it receives, for the tests.
import { simpleParser, type ParsedMail } from 'mailparser'
import { SMTPServer } from 'smtp-server'

export interface SmtpReceiver {
  port: number
  /** Messages received and not yet taken by next(). */
  pending(): number
  /** The next message received (parsed), as soon as it has arrived. */
  next(): Promise<ParsedMail>
  close(): Promise<void>
}

export async function startSmtpReceiver(): Promise<SmtpReceiver> {
  const received: Buffer[] = []
  const waiting: ((message: Buffer) => void)[] = []
  const server = new SMTPServer({
    authOptional: true,
    disabledCommands: ['STARTTLS'],
    logger: false,
    onData(stream, _session, callback) {
      const chunks: Buffer[] = []
      stream.on('data', (chunk: Buffer) => chunks.push(chunk))
      stream.on('end', () => {
        const message = Buffer.concat(chunks)
        const next = waiting.shift()
        if (next) next(message)
        else received.push(message)
        callback()
      })
    },
  })
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  return {
    port: (server.server.address() as { port: number }).port,
    pending: () => received.length,
    next: () =>
      new Promise<Buffer>((resolve) => {
        const ready = received.shift()
        if (ready) resolve(ready)
        else waiting.push(resolve)
      }).then((raw) => simpleParser(raw, { skipImageLinks: true })),
    close: () => new Promise<void>((resolve) => server.close(() => resolve())),
  }
}
