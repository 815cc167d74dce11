// Preloaded (`bun --preload`) by the README test: prints where Bun.serve listens as a JSON line,
// so the test waits for that instead of guessing. The example itself runs unchanged.
declare const Bun: { serve: (...args: unknown[]) => { port: number; hostname: string } }

const serve = Bun.serve.bind(Bun)
Bun.serve = (...args) => {
  const server = serve(...args)
  console.log(JSON.stringify({ listening: server.port, hostname: server.hostname }))
  return server
}
