import { packageBuild } from '../../tsdown.base'

export default packageBuild(["src/index.ts"])
