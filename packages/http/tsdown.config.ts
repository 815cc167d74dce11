import { defineConfig } from 'tsdown'

export default defineConfig({
  entry: ["src/index.ts","src/node.ts","src/express.ts","src/fastify.ts","src/hono.ts"],
  format: ['esm', 'cjs'],
  dts: true,
  fixedExtension: true,
  clean: true,
  sourcemap: true,
  tsconfig: '../../tsconfig.base.json',
})
