// A free TCP port on 127.0.0.1, for a process the test starts and must be told where to listen.
import { createServer } from 'node:net'

/** A port nothing listens on right now (the OS's pick for port 0, then released). */
export async function freePort(): Promise<number> {
  const server = createServer()
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve))
  const { port } = server.address() as { port: number }
  await new Promise((resolve) => server.close(resolve))
  return port
}
