'use strict'
// Promise calls run on sandvol's worker pool and are settled by the JS
// thread's event loop, polling while calls are in flight for
// SANDVOL_NODE_SPIN_US (default 250 µs), sleeping and being woken after that.
// Each mode must settle every call, keep timers running, and let the process
// exit on its own when nothing is in flight (a child that hangs fails here).
const test = require('node:test')
const assert = require('node:assert/strict')
const { execFileSync } = require('node:child_process')
const path = require('node:path')
const { tmpDir } = require('./helpers')

for (const spin of [undefined, '0', '1']) {
  test(`calls settle and the process exits with SANDVOL_NODE_SPIN_US=${spin ?? '(default)'}`, () => {
    const env = { ...process.env }
    delete env.SANDVOL_NODE_SPIN_US
    if (spin !== undefined) env.SANDVOL_NODE_SPIN_US = spin
    const out = execFileSync(process.execPath, [path.join(__dirname, 'fixtures', 'calls.js'), tmpDir('reactor')], {
      env, timeout: 60_000, encoding: 'utf8'
    })
    assert.deepEqual(JSON.parse(out), { seq: 50, concurrent: 64, same: true, ticks: true, streamTicks: true, code: 'not_found' })
  })
}
