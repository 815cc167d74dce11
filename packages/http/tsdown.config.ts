import { packageBuild } from '../../tsdown.base'

export default packageBuild(['src/index.ts', 'src/node.ts', 'src/express.ts', 'src/fastify.ts', 'src/hono.ts'])
