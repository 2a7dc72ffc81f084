'use strict'
// Cost of a 4 KiB readFile / writeFile from Node next to the same core call
// looped in Rust (inside the same native module, same run, same data):
//   rust      core call in a Rust loop on the JS thread (ns/op returned by the module)
//   rust@worker the same loop on a worker of the pool, where a Promise call's
//             core call runs: the baseline of the Promise path (the benchmark
//             VM's two vCPUs do not run the same code equally fast, and the
//             JS thread and the worker run on different ones; bench/RESULTS.md)
//   sync      private synchronous binding call from JS (conversion + napi only)
//   promise   the public API: `await sb.readFile(path)` one at a time (worker pool hop)
//   promise×8 eight calls in flight at once (throughput, per call)
// Many short rounds alternate the variants (rust, sync, promise, ... again, in
// reverse order every other round, so no variant always runs right after the
// same one), so a change in machine load hits all of them alike; the table
// reports the median per call and the median of the per-round differences to
// Rust. Rust and JS write the same bytes (the `data` Buffer).
// A last table runs long sequences of awaited calls next to the same core calls
// on a worker, each call timed: means, medians and tails of both.
// Usage: node bench/readwrite.js [CALLS_PER_ROUND] [ROUNDS] [LONG_RUN_CALLS]
const os = require('node:os')
const fs = require('node:fs')
const path = require('node:path')
const { Engine, _private } = require('..')

const ITERS = Number(process.argv[2] || 200)
const ROUNDS = Number(process.argv[3] || 60)
const SIZE = 4096
const LONG = Number(process.argv[4] || 10000)
const LONG_ROUNDS = 2

const median = xs => [...xs].sort((a, b) => a - b)[Math.floor(xs.length / 2)]

async function timeAsync (n, f) {
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) await f()
  return Number(process.hrtime.bigint() - t0) / n
}

async function timeParallel (n, width, f) {
  const t0 = process.hrtime.bigint()
  let next = 0
  await Promise.all(Array.from({ length: width }, async () => {
    while (next++ < n) await f()
  }))
  return Number(process.hrtime.bigint() - t0) / n
}

function timeSync (n, f) {
  const t0 = process.hrtime.bigint()
  for (let i = 0; i < n; i++) f()
  return Number(process.hrtime.bigint() - t0) / n
}

async function main () {
  const dir = fs.mkdtempSync(path.join(os.tmpdir(), 'sandvol-node-bench-'))
  const engine = await Engine.open(dir)
  await engine.createVolume({ name: 'bench', accessMode: 'RWX' })
  const sb = await engine.claimSandbox('bench', { mounts: [{ ref: 'bench', mountPoint: '/b' }], waitForMounts: true })
  const p = '/b/f4k'
  const data = Buffer.alloc(SIZE, 0x61)
  await sb.writeFile(p, data)

  const ops = {
    read: {
      rust: () => _private.rustLoop(sb, 'read', p, data, ITERS),
      'rust@worker': () => _private.rustLoopOnWorker(sb, 'read', p, data, ITERS),
      sync: () => timeSync(ITERS, () => _private.readFileSync(sb, p)),
      promise: () => timeAsync(ITERS, () => sb.readFile(p)),
      'promise×8': () => timeParallel(ITERS, 8, () => sb.readFile(p))
    },
    write: {
      rust: () => _private.rustLoop(sb, 'write', p, data, ITERS),
      'rust@worker': () => _private.rustLoopOnWorker(sb, 'write', p, data, ITERS),
      sync: () => timeSync(ITERS, () => _private.writeFileSync(sb, p, data)),
      promise: () => timeAsync(ITERS, () => sb.writeFile(p, data)),
      'promise×8': () => timeParallel(ITERS, 8, () => sb.writeFile(p, data))
    }
  }
  const results = {}
  for (const [op, variants] of Object.entries(ops)) {
    results[op] = {}
    for (const v of Object.keys(variants)) results[op][v] = []
    for (const v of Object.keys(variants)) await variants[v]() // warm-up
    const order = Object.keys(variants)
    for (let r = 0; r < ROUNDS; r++) {
      for (const v of r % 2 ? [...order].reverse() : order) results[op][v].push(await variants[v]())
    }
  }
  // The binding alone, after the main rounds (the cold variant writes, and the
  // catalog's WAL length changes the cost of every core call).
  const hop = []
  const floorSync = []
  const floorAsync = []
  const floorWrite = []
  const floorWriteCold = []
  const coreWriteFromJs = []
  const emptyHot = []
  const emptyCold = []
  const timerCold = []
  for (let r = 0; r < ROUNDS; r++) {
    hop.push(await timeAsync(ITERS, () => _private.noop()))
    floorSync.push(timeSync(ITERS, () => _private.floorSync(sb, p)))
    floorAsync.push(await timeAsync(ITERS, () => _private.floorAsync(sb, p)))
    floorWrite.push(timeSync(ITERS, () => _private.floorWriteSync(sb, p, data)))
    // The same, each call right after a core write (as in the sync write loop,
    // where the binding's code runs after the core's SQLite and syscall work).
    let ns = 0
    let core = 0
    for (let i = 0; i < ITERS; i++) {
      core += _private.rustLoop(sb, 'write', p, data, 1)
      ns += timeSync(1, () => _private.floorWriteSync(sb, p, data))
    }
    floorWriteCold.push(ns / ITERS)
    coreWriteFromJs.push(core / ITERS)
    // What entering native code at all costs, hot and right after a core
    // write, next to the timer alone right after a core write (the cold
    // figures include it): no binding could do a call for less.
    emptyHot.push(timeSync(ITERS, () => _private.empty()))
    let e = 0
    let t = 0
    for (let i = 0; i < ITERS; i++) {
      _private.rustLoop(sb, 'write', p, data, 1)
      e += timeSync(1, () => _private.empty())
      _private.rustLoop(sb, 'write', p, data, 1)
      t += timeSync(1, () => {})
    }
    emptyCold.push(e / ITERS)
    timerCold.push(t / ITERS)
  }
  // Long runs: one awaited call after another for LONG calls, next to the same
  // core calls looped on a worker (one call, the JS thread asleep). The
  // catalog's checkpointer (every 256 writes), the kernel's writeback and the
  // VM's own kernel threads take a CPU now and then; an awaited call keeps both
  // CPUs busy (JS thread and worker), the Rust loop one, so such stalls land
  // on Node's calls more often. Medians next to means tell the two costs apart.
  const long = {}
  for (const op of ['read', 'write']) {
    long[op] = { worker: [], lat: [] }
    for (let r = 0; r < LONG_ROUNDS; r++) {
      long[op].worker.push(...await _private.rustLatenciesOnWorker(sb, op, p, data, LONG))
      const call = op === 'read' ? () => sb.readFile(p) : () => sb.writeFile(p, data)
      for (let i = 0; i < LONG; i++) {
        const t = process.hrtime.bigint()
        await call()
        long[op].lat.push(Number(process.hrtime.bigint() - t))
      }
    }
  }
  await sb.release()
  await engine.close()
  fs.rmSync(dir, { recursive: true, force: true })

  const us = ns => (ns / 1000).toFixed(2)
  const cpu = (os.cpus()[0] || {}).model || 'unknown'
  console.log(`machine: nproc=${os.availableParallelism ? os.availableParallelism() : os.cpus().length}, CPU ${cpu}, node ${process.version}`)
  console.log(`${ROUNDS} rounds x ${ITERS} calls per variant, 4 KiB file on an RWX mount, durability=process, medians\n`)
  console.log('| op (4 KiB) | Rust µs/op (JS thread / worker) | Node sync µs/op | sync − Rust | Node Promise µs/op | Promise − Rust on the worker (− Rust on the JS thread) | Promise×8 µs/op |')
  console.log('|---|---|---|---|---|---|---|')
  for (const op of Object.keys(results)) {
    const r = results[op]
    const m = Object.fromEntries(Object.entries(r).map(([k, v]) => [k, median(v)]))
    const diff = (k, base) => median(r[k].map((x, i) => x - r[base][i]))
    console.log(`| ${op}File | ${us(m.rust)} / ${us(m['rust@worker'])} | ${us(m.sync)} | ${us(diff('sync', 'rust'))} | ${us(m.promise)} | ${us(diff('promise', 'rust@worker'))} (${us(diff('promise', 'rust'))}) | ${us(m['promise×8'])} |`)
  }
  console.log('\nThe binding alone (the arguments and result of the call, core call replaced by an allocation or a canned FileInfo):\n')
  console.log('| path | µs/call |')
  console.log('|---|---|')
  console.log(`| sync binding floor, readFile (4 KiB Buffer result) | ${us(median(floorSync))} |`)
  console.log(`| sync binding floor, writeFile (4 KiB Buffer in, FileInfo out) | ${us(median(floorWrite))} |`)
  console.log(`| the same, each call right after a core write | ${us(median(floorWriteCold))} |`)
  console.log(`| an empty native call | ${us(median(emptyHot))} |`)
  console.log(`| the same, each call right after a core write (timer alone there: ${us(median(timerCold))}) | ${us(median(emptyCold))} |`)
  console.log(`| a core write timed inside Rust, one per call from JS (a Rust loop: ${us(median(results.write.rust))}) | ${us(median(coreWriteFromJs))} |`)
  console.log(`| Promise binding floor (worker pool round trip) | ${us(median(floorAsync))} |`)
  console.log(`| empty Promise round trip (no arguments, no result) | ${us(median(hop))} |`)
  console.log(`\nLong runs: ${LONG_ROUNDS} x ${LONG} calls one after another, next to the same core calls in one loop on a worker (each timed):\n`)
  console.log('| op (4 KiB) | mean µs/op Rust / Node | mean − Rust | p50 Rust / Node | p50 − Rust | p99 Rust / Node | p99.9 Rust / Node | calls over 100 µs Rust / Node |')
  console.log('|---|---|---|---|---|---|---|---|')
  for (const op of Object.keys(long)) {
    const stats = xs => {
      const sorted = [...xs].sort((a, b) => a - b)
      const q = f => sorted[Math.min(sorted.length - 1, Math.floor(f * sorted.length))]
      return { mean: xs.reduce((a, b) => a + b, 0) / xs.length, p50: q(0.5), p99: q(0.99), p999: q(0.999), slow: xs.filter(x => x > 100e3).length }
    }
    const [r, n] = [stats(long[op].worker), stats(long[op].lat)]
    console.log(`| ${op}File | ${us(r.mean)} / ${us(n.mean)} | ${us(n.mean - r.mean)} | ${us(r.p50)} / ${us(n.p50)} | ${us(n.p50 - r.p50)} | ${us(r.p99)} / ${us(n.p99)} | ${us(r.p999)} / ${us(n.p999)} | ${r.slow} / ${n.slow} |`)
  }
}

main().catch(e => {
  console.error(e)
  process.exit(1)
})
