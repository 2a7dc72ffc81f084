'use strict'
// Bad argument types reject with 'invalid_argument', never crash the process,
// and change nothing.
const test = require('node:test')
const assert = require('node:assert/strict')
const { openTmp, rejectsWith, sandvol, tmpDir } = require('./helpers')
const { Engine, MountRequest } = sandvol

test('bad arguments reject with invalid_argument and change nothing', async () => {
  const { engine } = await openTmp('args')
  const vol = await engine.createVolume({ name: 'v', accessMode: 'RWX' })
  const sb = await engine.claimSandbox('default')
  await sb.mount('v', '/data')
  await sb.writeFile('/data/f', 'original')
  const before = await sb.stat('/data/f')
  const volsBefore = (await engine.listVolumes()).items.length
  const changesBefore = (await engine.changes('v')).length

  const cases = [
    // wrong JS types, caught while converting arguments
    () => Engine.open(42),
    () => Engine.open(null, 'not options'),
    () => Engine.open(''), // would have opened the working directory
    () => Engine.open('', {}),
    () => Engine.open(tmpDir('nul') + '/a\0b'), // was an io error
    () => engine.createVolume('v2'),
    () => engine.createVolume([1, 2]),
    () => engine.createVolume({ name: 5 }),
    () => engine.createVolume({ name: 'v3', labels: { a: 1 } }),
    () => engine.createVolume({ name: 'v4', labels: 'a=b' }),
    () => engine.createVolume({ name: 'v5', sizeLimit: true }),
    () => engine.createVolume({ name: 'v6', writeback: 'yes' }),
    () => engine.getVolume(),
    () => engine.getVolume({ id: vol.id }),
    () => engine.deleteVolume(vol.id, 'force'),
    () => engine.deleteVolume(vol.id, { force: 'yes' }),
    () => engine.updateVolume(vol.id, { sizeLimit: {} }),
    () => engine.claimSandbox(),
    () => engine.claimSandbox('t', { mounts: 'v:/x' }),
    () => engine.claimSandbox('t', { mounts: [{ mountPoint: '/x' }] }),
    () => engine.claimSandbox('t', { waitForMounts: 1 }),
    () => sb.readFile(42),
    () => sb.readFile('/data/f', 'all'),
    () => sb.writeFile('/data/f', 123),
    () => sb.writeFile('/data/f', { bytes: 'x' }),
    () => sb.writeFile('/data/f', [1, 2, 3]),
    () => sb.writeFile('/data/f', new Uint16Array(4)),
    () => sb.writeFile('/data/f', new Uint8ClampedArray(4)),
    () => sb.writeFile('/data/f', new DataView(new ArrayBuffer(4))),
    () => sb.writeFile('/data/f', new ArrayBuffer(4)),
    () => sb.writeFile('/data/f'),
    () => sb.writeFile('/data/f', 'x', { append: 'yes' }),
    () => sb.mount(vol.id),
    () => sb.mount(vol.id, '/y', { readOnly: 'no' }),
    () => sb.mkdir('/data/d', { parents: 'true' }),
    () => sb.open('/data/f', 7),
    () => engine.volumeWriteFile(vol.id, '/f', Symbol('x')),
    () => engine.changes(vol.id, { since: 'zero' }),
    // right types, wrong values, caught by sandvol
    () => sb.readFile('/data/f', { offset: -1 }),
    () => sb.readFile('/data/f', { length: 1.5 }),
    () => sb.readFile('/data/f', { offset: NaN }),
    () => sb.writeFile('/data/f', 'x', { offset: -4 }),
    () => sb.writeFile('/data/f', 'x', { offset: Number.MAX_SAFE_INTEGER }), // past the largest file
    () => sb.writeFile('/data/f', 'x', { ifVersion: -1 }),
    () => sb.writeFile('/data/f', 'x', { append: true, exclusive: true }),
    () => sb.writeFile('/data/f', 'x', { append: true, offset: 1 }),
    () => sb.writeFile('relative/path', 'x'),
    () => sb.writeFile('/data/nul\0byte', 'x'),
    () => sb.open('/data/f', 'rw'),
    () => sb.mount(vol.id, 'relative'),
    () => sb.mount(vol.id, '/y', { config: { bufferSize: '1 parsec' } }),
    () => sb.mount(vol.id, '/y', { config: { prefetch: -1 } }),
    () => engine.createVolume({ name: 'v7', cacheSize: '12' }),
    () => engine.createVolume({ name: 'v8', bufferSize: 10 }),
    () => engine.createVolume({ name: 'vol_looks_like_an_id' }),
    () => engine.listVolumes({ limit: 0 }),
    () => engine.listVolumes({ cursor: 'garbage' }),
    () => engine.gc({ graceMs: -5 }),
    () => sb.setTimes('/data/f', { mtime: 1.25 }),
    () => Engine.open(null, { durability: 'maybe' }),
    () => Engine.open(null, { blockSize: 1 })
  ]
  for (const [i, call] of cases.entries()) {
    let p
    assert.doesNotThrow(() => { p = call() }, `case ${i} threw synchronously: ${call}`)
    assert.ok(p instanceof Promise, `case ${i} did not return a Promise: ${call}`)
    await rejectsWith(p, 'invalid_argument').catch(e => {
      e.message = `case ${i} (${call}): ${e.message}`
      throw e
    })
  }

  assert.equal((await engine.listVolumes()).items.length, volsBefore)
  assert.ok(!require('node:fs').existsSync('catalog.db'), 'an empty path opened the working directory')
  assert.deepEqual(await sb.stat('/data/f'), before)
  assert.equal((await sb.readFile('/data/f')).toString(), 'original')
  assert.equal((await engine.changes('v')).length, changesBefore)
  assert.deepEqual((await sb.mountStatus()).map(m => m.mountPoint), ['/data'])
  assert.equal((await engine.listSandboxes()).length, 1)

  // ".." in a file path is an escape attempt, which core refuses as such.
  await rejectsWith(sb.writeFile('/data/../etc', 'x'), 'permission_denied', /"\/data\/\.\.\/etc"/)

  // Calling a method on the wrong receiver is an argument error too.
  await rejectsWith(sandvol.Sandbox.prototype.readFile.call({}, '/x'), 'invalid_argument')
  // ... also when the receiver is another sandvol class (no blind cast).
  await rejectsWith(sandvol.Sandbox.prototype.readFile.call(engine, '/x'), 'invalid_argument')
  await rejectsWith(sandvol.Engine.prototype.stats.call(sb), 'invalid_argument')
  assert.throws(() => sandvol._private.readFileSync(engine, '/data/f'), e => e.code === 'invalid_argument')
  // The hand-written per-file entry points (bindings/node/src/fast.rs) check
  // the receiver's class tag, not its prototype: another class's instance
  // dressed as a Sandbox, a plain object, a primitive or no receiver at all
  // rejects (never throws, never crashes), for each of them.
  const dressed = await Engine.open(tmpDir('dressed'))
  Object.setPrototypeOf(dressed, sandvol.Sandbox.prototype)
  const wrongThis = [{}, dressed, 'sb', undefined, Object.create(sandvol.Sandbox.prototype)]
  const { Sandbox, FileHandle } = sandvol
  const handle = await sb.open('/data/f', 'r')
  const perFile = [
    [Sandbox, 'readFile', ['/data/f']], [Sandbox, 'writeFile', ['/data/f', 'changed']],
    [Sandbox, 'stat', ['/data/f']], [Sandbox, 'exists', ['/data/f']],
    [FileHandle, 'read', [0, 4]], [FileHandle, 'write', [0, 'changed']]
  ]
  for (const [cls, name, args] of perFile) {
    const method = cls.prototype[name]
    // For a FileHandle method, a Sandbox is the wrong class too.
    for (const self of cls === FileHandle ? [...wrongThis, sb, Object.create(FileHandle.prototype)] : [...wrongThis, handle]) {
      // Right before, a call on a real one: the entry points remember the last
      // receiver they checked, which must not vouch for any other value.
      await (cls === FileHandle ? handle.read(0, 4) : sb.stat('/data/f'))
      let p
      assert.doesNotThrow(() => { p = method.apply(self, args) }, `${name} threw for ${typeof self}`)
      await rejectsWith(p, 'invalid_argument', new RegExp(cls.name))
    }
  }
  // Getters (sb.id, handle.size, ...) read on a wrong receiver throw with the
  // same code; on their own object they work.
  const own = { Engine: engine, Sandbox: sb, FileHandle: handle }
  let getters = 0
  for (const cls of [sandvol.Engine, Sandbox, FileHandle]) {
    for (const name of Object.getOwnPropertyNames(cls.prototype)) {
      const get = Object.getOwnPropertyDescriptor(cls.prototype, name).get
      if (!get) continue
      getters++
      assert.doesNotThrow(() => get.call(own[cls.name]), `${cls.name}.${name} on its own object`)
      const others = Object.values(own).filter(o => o !== own[cls.name]).concat(cls === sandvol.Engine ? [] : [dressed])
      for (const self of [{}, 'sb', undefined, Object.create(cls.prototype), ...others]) {
        assert.throws(() => get.call(self), e => e instanceof Error && e.code === 'invalid_argument', `${cls.name}.${name} on ${String(self)}`)
      }
    }
  }
  assert.ok(getters >= 10, `only ${getters} getters found`)
  await handle.close()
  Object.setPrototypeOf(dressed, sandvol.Engine.prototype)
  await dressed.close()
  // An options getter that throws is a bad argument: the call rejects with
  // the thrown error itself (code invalid_argument added, unless it carries a
  // sandvol code) and leaves no exception behind.
  const boom = new Error('boom')
  const e1 = await rejectsWith(sb.readFile('/data/f', { get offset () { throw boom } }), 'invalid_argument', /^boom$/)
  assert.equal(e1, boom)
  await rejectsWith(sb.writeFile('/data/f', 'changed', { get ifVersion () { throw new Error('boom') } }), 'invalid_argument', /^boom$/)
  const coded = Object.assign(new Error('from elsewhere'), { code: 'conflict' })
  await rejectsWith(sb.writeFile('/data/f', 'changed', { get ifVersion () { throw coded } }), 'conflict')
  assert.equal((await sb.readFile('/data/f')).toString(), 'original')
  // Classes are not constructible from JS.
  assert.throws(() => new sandvol.Engine(), Error)
  assert.throws(() => new MountRequest('v', '/x', 'ro'), e => e.code === 'invalid_argument')
  // Strings and Uint8Arrays are accepted for writes.
  await sb.writeFile('/data/u8', new Uint8Array([104, 105]))
  assert.equal((await sb.readFile('/data/u8')).toString(), 'hi')
  await sb.writeFile('/data/u8', 'héllo')
  assert.equal((await sb.readFile('/data/u8')).toString('utf8'), 'héllo')
  await sb.release()
  await engine.close()
})

test('a bad-argument error can be told apart from a sandvol refusal only by code', async () => {
  const { engine } = await openTmp('args2')
  const e1 = await rejectsWith(engine.getVolume(1), 'invalid_argument')
  const e2 = await rejectsWith(engine.getVolume('missing'), 'not_found')
  assert.ok(e1 instanceof Error && e2 instanceof Error)
  await engine.close()
})

test('paths of any length and characters arrive whole', async () => {
  // The per-file entry points read a path into a 1 KiB stack buffer when it
  // fits (bindings/node/src/fast.rs `path`): lengths around that size, with
  // multi-byte characters across the boundary, must neither be cut nor fail.
  const { engine } = await openTmp('paths')
  await engine.createVolume({ name: 'v', accessMode: 'RWO' })
  const sb = await engine.claimSandbox('default', { mounts: [{ ref: 'v', mountPoint: '/data' }], waitForMounts: true })
  const dir = '/data/' + Array.from({ length: 9 }, (_, i) => String(i).repeat(100)).join('/') + '/'
  const paths = []
  for (let n = 1000; n <= 1030; n++) {
    for (const tail of ['€', 'é', '😀', 'x']) {
      // UTF-8 length n, ending in `tail`.
      const fill = n - Buffer.byteLength(dir) - Buffer.byteLength(tail)
      paths.push(dir + 'f'.repeat(fill) + tail)
    }
  }
  paths.push(dir + 'long/'.repeat(200) + 'end') // ~2 KiB: the String conversion
  for (const p of paths) {
    await sb.writeFile(p, p)
    assert.equal((await sb.stat(p)).path, p)
    assert.equal((await sb.readFile(p)).toString(), p)
    assert.equal(await sb.exists(p), true)
    assert.equal(sandvol._private.readFileSync(sb, p).toString(), p)
  }
  // A path cut short would have named another file: none exists.
  assert.equal(await sb.exists(dir + 'f'.repeat(10)), false)
  await rejectsWith(sb.readFile(dir + 'f'.repeat(1000 - Buffer.byteLength(dir) - 1)), 'not_found')
  await engine.close()
})
