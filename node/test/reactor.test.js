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

// The first CPU this process may run on (CPU 0 is not always allowed).
function firstCpu () {
  const line = require('node:fs').readFileSync('/proc/self/status', 'utf8').match(/^Cpus_allowed_list:\s*(\d+)/m)
  return line ? line[1] : '0'
}

// With polling forced on (1 ms windows) and one CPU, pollers that never
// yielded made each awaited call wait for the scheduler to take the CPU from
// them: ~2,000 µs per call beyond its work. Pollers that see they were
// preempted yield every 10 µs: 60-150 µs with the debug module, less with a
// release one (bench/RESULTS.md). The threshold sits far from both; the best
// of three rounds is used so that one disturbed round does not fail the test.
test('the JS thread and a worker sharing one CPU give it to each other while they poll', () => {
  const env = { ...process.env, SANDVOL_NODE_SPIN_US: '1000' }
  const out = execFileSync('taskset', ['-c', firstCpu(), process.execPath, path.join(__dirname, 'fixtures', 'one-cpu.js'), tmpDir('one-cpu')], {
    env, timeout: 120_000, encoding: 'utf8'
  })
  const { overheadUs } = JSON.parse(out)
  assert.ok(overheadUs < 500, `an awaited call cost ${overheadUs.toFixed(0)} µs beyond its work on one CPU (pollers not giving the CPU up?)`)
})
