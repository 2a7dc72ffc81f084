'use strict'
// Whatever a caller throws at the API, every call settles, and a failure is an
// Error with a sandvol code: hostile values in every argument of every method,
// and random calls racing release(), unmount(), close() and gc(). Both found
// bugs before (a bare Node or napi code; reads racing release() failing with
// 'io' and leaving cache directories behind).
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { openTmp, sandvol, tmpDir } = require('./helpers')
const { Engine, ERROR_CODES } = sandvol
const KNOWN = new Set(ERROR_CODES)

/** 'ok', the sandvol code it failed with, or a description of what is wrong. */
async function outcome (call) {
  let p
  try {
    p = call()
  } catch (e) {
    return `threw synchronously: ${e && e.code} ${e && e.message}`
  }
  if (!(p instanceof Promise)) return 'did not return a Promise'
  let timer
  const late = new Promise(resolve => { timer = setTimeout(() => resolve('never settled'), 30000) })
  const settled = p.then(() => 'ok', e => (e instanceof Error && KNOWN.has(e.code)) ? e.code : `rejected with ${e && e.code}: ${e && e.message}`)
  try {
    return await Promise.race([settled, late])
  } finally {
    clearTimeout(timer)
  }
}

const revoked = Proxy.revocable({}, {})
revoked.revoke()
const trap = () => { throw new Error('trap') }
const thrower = new Proxy({}, { get: trap, has: trap, ownKeys: trap, getOwnPropertyDescriptor: trap, getPrototypeOf: trap })
const detached = new Uint8Array(16)
structuredClone(detached.buffer, { transfer: [detached.buffer] })
const HOSTILE = [
  undefined, null, true, 0, -0, NaN, Infinity, -1, 2 ** 53, 2 ** 64, 1.5, 10n, Symbol('s'), '', 'x'.repeat(100000),
  '\0', '\ud800', '/\ud800', [], ['/a'], {}, Object.create(null), thrower, revoked.proxy, Object.freeze({}),
  function f () {}, new Date(), Buffer.alloc(0), detached, new Uint8Array(new SharedArrayBuffer(4)), new Float64Array(2),
  { valueOf: trap, toString: trap }, { offset: 10n }, { limit: 2 ** 40 }, { since: 1e300 }, { config: thrower },
  { labels: { a: thrower } }, { mounts: [thrower] }, { mounts: [null] }, { ifVersion: 2 ** 70 }, { atime: -1, mtime: NaN }
]

test('hostile values in every argument of every method settle with a sandvol code', async () => {
  const { dir, engine } = await openTmp('hostile')
  await engine.createVolume({ name: 'v', accessMode: 'RWX' })
  const sb = await engine.claimSandbox('t', { mounts: [{ ref: 'v', mountPoint: '/data' }], waitForMounts: true })
  await sb.writeFile('/data/f', 'hello')
  const snap = await engine.createSnapshot('v')
  const h = await sb.open('/data/f', 'r+')
  // Plausible arguments, so a hostile one is met where it stands, not earlier.
  const plausible = {
    Engine: {
      createVolume: [{ name: 'w' }], getVolume: ['v'], listVolumes: [{}], updateVolume: ['v', {}], deleteVolume: ['zz', {}],
      claimSandbox: ['t', {}], getSandbox: [sb.id], listSandboxes: [], getMount: ['x'], volumeReadFile: ['v', '/f', {}],
      volumeWriteFile: ['v', '/f', 'x', {}], volumeStat: ['v', '/f'], volumeExists: ['v', '/f'], volumeListDir: ['v', '/', {}],
      volumeMkdir: ['v', '/d', {}], volumeRemove: ['v', '/nope', {}], volumeRename: ['v', '/nope', '/nope2'],
      volumeSymlink: ['v', '/t', '/l'], volumeReadlink: ['v', '/l'], volumeSetTimes: ['v', '/f', {}], volumeOpen: ['v', '/f', 'r'],
      createSnapshot: ['v', {}], getSnapshot: [snap.id], listSnapshots: ['v'], restoreSnapshot: ['nope'],
      forkSnapshot: [snap.id, {}], deleteSnapshot: ['nope'], changes: ['v', {}], stats: [], gc: [{}], fsck: []
    },
    Sandbox: {
      refresh: [], mount: ['v', '/m', {}], unmount: ['v', 'x'], mountStatus: [], readFile: ['/data/f', {}],
      writeFile: ['/data/f', 'x', {}], stat: ['/data/f'], exists: ['/data/f'], listDir: ['/data', {}], mkdir: ['/data/d', {}],
      remove: ['/data/nope', {}], rename: ['/data/nope', '/data/nope2'], symlink: ['/t', '/data/l'], readlink: ['/data/l'],
      setTimes: ['/data/f', {}], open: ['/data/f', 'r']
    },
    FileHandle: { read: [0, 4], write: [0, 'x'], flush: [], stat: [] }
  }
  // Every method but those that end the object under test has a row.
  const ending = new Set(['close', 'release', 'pause', 'resume'])
  for (const [cls, rows] of Object.entries(plausible)) {
    for (const name of Object.getOwnPropertyNames(sandvol[cls].prototype)) {
      const d = Object.getOwnPropertyDescriptor(sandvol[cls].prototype, name)
      if (name === 'constructor' || typeof d.value !== 'function' || ending.has(name)) continue
      assert.ok(rows[name], `${cls}.${name} has no row of plausible arguments`)
    }
  }
  const objects = { Engine: engine, Sandbox: sb, FileHandle: h }
  const wrong = []
  let calls = 0
  for (const [cls, rows] of Object.entries(plausible)) {
    for (const [name, args] of Object.entries(rows)) {
      for (let i = 0; i <= args.length; i++) {
        for (const value of HOSTILE) {
          const a = args.slice()
          a[i] = value
          calls++
          const got = await outcome(() => objects[cls][name](...a))
          // internal and io would mean sandvol itself failed on a bad argument.
          if (!(got === 'ok' || (KNOWN.has(got) && got !== 'internal' && got !== 'io'))) {
            wrong.push(`${cls}.${name} argument ${i} = ${typeof value === 'symbol' ? 'a symbol' : typeof value}: ${got}`)
          }
        }
      }
    }
  }
  // Engine.open: strings only under a temporary directory (a relative one
  // would land in the working directory), and no path means $SANDVOL_HOME.
  const home = tmpDir('hostile-home')
  const saved = process.env.SANDVOL_HOME
  process.env.SANDVOL_HOME = home
  try {
    const base = tmpDir('hostile-open')
    const paths = HOSTILE.map(v => typeof v === 'string' ? path.join(base, v) : v)
    for (const [i, value] of paths.entries()) {
      for (const args of [[value], [path.join(base, 'd' + i), HOSTILE[i]]]) {
        calls++
        let opened
        const got = await outcome(() => Engine.open(...args).then(e => { opened = e }))
        if (opened) await opened.close()
        if (!(got === 'ok' || got === 'invalid_argument')) wrong.push(`Engine.open argument ${args.length - 1} = ${typeof HOSTILE[i]}: ${got}`)
      }
    }
  } finally {
    if (saved === undefined) delete process.env.SANDVOL_HOME
    else process.env.SANDVOL_HOME = saved
  }
  assert.deepEqual(wrong, [], `${wrong.length} of ${calls} calls`)
  await h.close().catch(() => {})
  await sb.release().catch(() => {})
  const report = await engine.fsck()
  assert.ok(report.clean, JSON.stringify(report))
  await engine.close()
  assert.ok(fs.existsSync(path.join(dir, 'catalog.db')))
})

test('random calls racing release, unmount, close and gc all settle with a sandvol code', async () => {
  const dir = tmpDir('race')
  for (const seed of [1, 2, 3]) {
    let s = seed
    const rnd = n => { s = (s * 1103515245 + 12345) & 0x7fffffff; return s % n }
    const pick = a => a[rnd(a.length)]
    const wrong = []
    const seen = new Set()
    const track = (p, what) => outcome(() => p).then(got => {
      seen.add(got)
      if (!(got === 'ok' || (KNOWN.has(got) && got !== 'internal' && got !== 'io'))) wrong.push(`${what}: ${got}`)
    })
    for (let round = 0; round < 6; round++) {
      const engine = await Engine.open(dir)
      if (seed === 1 && round === 0) await engine.createVolume({ name: 'v', accessMode: 'RWX' })
      const sbs = [await engine.claimSandbox('t', { mounts: [{ ref: 'v', mountPoint: '/m' }], waitForMounts: true })]
      const hs = []
      const ps = []
      for (let i = 0; i < 300; i++) {
        const r = rnd(100)
        const sb = pick(sbs)
        if (r < 5) ps.push(track(engine.claimSandbox('t', { mounts: [{ ref: 'v', mountPoint: '/m' }], waitForMounts: rnd(2) === 0 }).then(x => { sbs.push(x) }), 'claim'))
        else if (r < 10) ps.push(track(sb.open('/m/h' + rnd(3), pick(['r', 'r+', 'w+', 'a'])).then(x => { hs.push(x) }), 'open'))
        else if (r < 40) ps.push(track(sb.writeFile('/m/f' + rnd(6), Buffer.alloc(rnd(3) ? rnd(5000) : 300000, i & 255)), 'writeFile'))
        else if (r < 65) ps.push(track(sb.readFile('/m/f' + rnd(6)), 'readFile'))
        else if (r < 72 && hs.length) { const h = pick(hs); ps.push(track(rnd(2) ? h.write(rnd(10000), 'abc') : h.read(rnd(10000), 5000), 'handle I/O')) }
        else if (r < 75 && hs.length) ps.push(track(pick(hs).close(), 'handle close'))
        else if (r < 80) ps.push(track(sb.rename('/m/f' + rnd(6), '/m/f' + rnd(6)), 'rename'))
        else if (r < 84) ps.push(track(sb.mountStatus().then(ms => ms.length ? sb.unmount(ms[0].volumeId, ms[0].mountSessionId) : null), 'unmount'))
        else if (r < 88) ps.push(track(sb.release(), 'release'))
        else if (r < 91) ps.push(track(engine.gc({ graceMs: 0 }), 'gc'))
        else if (r < 94) ps.push(track(engine.createSnapshot('v').then(x => engine.deleteSnapshot(x.id)), 'snapshot'))
        else if (r < 95 && i > 200) ps.push(track(engine.close(), 'close'))
        else ps.push(track(sb.listDir('/m'), 'listDir'))
        if (rnd(20) === 0) await new Promise(resolve => setImmediate(resolve))
      }
      await Promise.all(ps)
      assert.deepEqual(wrong, [], `seed ${seed}, round ${round}`)
      await engine.close().catch(() => {})
    }
    assert.ok(seen.has('ok') && seen.size >= 3, `seed ${seed}: the calls hardly raced anything: ${[...seen]}`)
  }
  const engine = await Engine.open(dir)
  const report = await engine.fsck()
  assert.ok(report.clean, JSON.stringify(report))
  // Released sessions leave no cache directories behind.
  for (const id of fs.readdirSync(path.join(dir, 'cache')).filter(n => n.startsWith('ms_'))) {
    const m = await engine.getMount(id)
    assert.ok(!['released', 'unmounted', 'failed'].includes(m.state), `cache directory of ${m.state} session ${id} left behind`)
  }
  await engine.close()
})
