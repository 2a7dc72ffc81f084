'use strict'
const fs = require('node:fs')
const os = require('node:os')
const path = require('node:path')
const assert = require('node:assert/strict')
const sandvol = require('..')

/** A fresh data directory removed when the process exits. */
function tmpDir (tag = 'sv') {
  const d = fs.mkdtempSync(path.join(os.tmpdir(), `sandvol-node-${tag}-`))
  process.on('exit', () => fs.rmSync(d, { recursive: true, force: true }))
  return d
}

async function openTmp (tag) {
  const dir = tmpDir(tag)
  return { dir, engine: await sandvol.Engine.open(dir) }
}

/** Asserts that `p` (a Promise or a function returning one) rejects with `code`. */
async function rejectsWith (p, code, re) {
  let err
  try {
    await (typeof p === 'function' ? p() : p)
  } catch (e) {
    err = e
  }
  assert.ok(err, `expected a rejection with code ${code}, got success`)
  assert.ok(err instanceof Error, `expected an Error, got ${err}`)
  assert.equal(err.code, code, `expected code ${code}, got ${err.code}: ${err.message}`)
  if (re) assert.match(err.message, re)
  return err
}

module.exports = { tmpDir, openTmp, rejectsWith, sandvol }
