// Preloaded with --require: the process runs as if better-sqlite3 (an optional dependency) were not installed.
const Module = require('node:module')
const resolve = Module._resolveFilename
Module._resolveFilename = function (request, ...rest) {
  if (request === 'better-sqlite3') throw Object.assign(new Error("Cannot find module 'better-sqlite3'"), { code: 'MODULE_NOT_FOUND' })
  return resolve.call(this, request, ...rest)
}
