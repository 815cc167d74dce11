// pnpm bench: what a browser downloads on the dashboard's first load (the page, its script and
// its stylesheet, as the server sends them: gzip), beside the goal of under 100 KB of JS and CSS.
import { readFileSync } from 'node:fs'
import { fileURLToPath } from 'node:url'
import { brotliCompressSync, gzipSync } from 'node:zlib'

const folder = fileURLToPath(new URL('../dist/dashboard/', import.meta.url))
const kb = (bytes: number): string => `${(bytes / 1024).toFixed(1)} KB`
console.log('@pytrack/server dashboard, first load (built dist/dashboard)')
let jsAndCss = 0
for (const name of ['index.html', 'app.js', 'app.css']) {
  const body = readFileSync(folder + name)
  const gzip = gzipSync(body, { level: 9 }).length
  if (name !== 'index.html') jsAndCss += gzip
  console.log(`${name.padEnd(12)} ${kb(body.length).padStart(9)} raw ${kb(gzip).padStart(9)} gzip ${kb(brotliCompressSync(body).length).padStart(9)} brotli`)
}
console.log(`JS + CSS gzip (as served): ${kb(jsAndCss)}   goal: under 100 KB`)
