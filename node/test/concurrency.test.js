'use strict'
// Many Promises in flight on one Engine; work runs off the main thread.
const test = require('node:test')
const assert = require('node:assert/strict')
const { openTmp, sandvol } = require('./helpers')

test('hundreds of concurrent Promises on one Engine all settle correctly', async () => {
  const { engine } = await openTmp('conc')
  await engine.createVolume({ name: 'v', accessMode: 'RWX' })
  const sbs = await Promise.all([0, 1, 2, 3].map(() => engine.claimSandbox('default', { mounts: [{ ref: 'v', mountPoint: '/v' }], waitForMounts: true })))
  const N = 400
  const writes = await Promise.all(Array.from({ length: N }, (_, i) =>
    sbs[i % 4].writeFile(`/v/f${i}`, Buffer.alloc(100 + i, i % 251))))
  assert.equal(writes.length, N)
  const reads = await Promise.all(Array.from({ length: N }, (_, i) => sbs[(i + 1) % 4].readFile(`/v/f${i}`)))
  reads.forEach((b, i) => {
    assert.equal(b.length, 100 + i)
    assert.ok(b.every(x => x === i % 251), `file ${i} content`)
  })

  // Readers racing writers of one file see a whole old or whole new content.
  const A = Buffer.alloc(20000, 0x41)
  const B = Buffer.alloc(30000, 0x42)
  await sbs[0].writeFile('/v/race', A)
  const ops = []
  for (let i = 0; i < 200; i++) {
    ops.push(i % 2 ? sbs[i % 4].writeFile('/v/race', i % 4 === 1 ? B : A) : sbs[i % 4].readFile('/v/race'))
  }
  const results = await Promise.all(ops)
  for (const r of results.filter(Buffer.isBuffer)) {
    assert.ok(r.equals(A) || r.equals(B), `torn read of ${r.length} bytes`)
  }

  // Mixed metadata calls in flight at once.
  const mixed = await Promise.all([
    engine.stats(), engine.listVolumes(), engine.listSandboxes(), sbs[0].mountStatus(),
    sbs[1].listDir('/v', { limit: 10 }), engine.changes('v', { limit: 5 }), engine.fsck()
  ])
  assert.equal(mixed[0].activeMounts, 4)
  assert.equal(mixed[4].items.length, 10)
  assert.equal(mixed[6].clean, true)
  await Promise.all(sbs.map(s => s.release()))
  await engine.close()
})

test('I/O runs off the main thread: the event loop turns while a large write runs', async () => {
  const { engine } = await openTmp('offmain')
  await engine.createVolume({ name: 'v' })
  const big = Buffer.alloc(48 << 20, 7)
  let settled = false
  const p = engine.volumeWriteFile('v', '/big', big).then(r => { settled = true; return r })
  let turns = 0
  while (!settled) {
    await new Promise(resolve => setImmediate(resolve))
    turns++
  }
  const info = await p
  assert.equal(info.size, big.length)
  assert.ok(turns > 5, `the event loop turned only ${turns} times during a ${big.length}-byte write`)
  await engine.close()
})

test('calls on several sandboxes and handles, interleaved, each reach their own', async () => {
  // The per-file entry points remember the last receiver they checked
  // (bindings/node/src/fast.rs); switching receivers call by call must never
  // send a call to the one before.
  const { engine } = await openTmp('receivers')
  const sbs = []
  for (const name of ['a', 'b', 'c']) {
    await engine.createVolume({ name, accessMode: 'RWO' })
    const sb = await engine.claimSandbox('default', { mounts: [{ ref: name, mountPoint: '/m' }], waitForMounts: true })
    await sb.writeFile('/m/f', `content of ${name}`)
    sbs.push(sb)
  }
  const handles = await Promise.all(sbs.map(sb => sb.open('/m/f', 'r')))
  for (let i = 0; i < 30; i++) {
    const k = (i * 7) % 3
    assert.equal((await sbs[k].readFile('/m/f')).toString(), `content of ${'abc'[k]}`)
    assert.equal((await sbs[k].stat('/m/f')).size, 12)
    assert.equal((await handles[(k + 1) % 3].read(11, 1)).toString(), 'abc'[(k + 1) % 3])
    assert.equal(sandvol._private.readFileSync(sbs[(k + 2) % 3], '/m/f').toString(), `content of ${'abc'[(k + 2) % 3]}`)
  }
  // All at once, receivers mixed.
  const all = await Promise.all(Array.from({ length: 60 }, (_, i) => sbs[i % 3].readFile('/m/f')))
  all.forEach((b, i) => assert.equal(b.toString(), `content of ${'abc'[i % 3]}`))
  // A write goes to its receiver's volume only.
  await sbs[1].writeFile('/m/f', 'changed')
  assert.deepEqual(await Promise.all(sbs.map(sb => sb.readFile('/m/f').then(String))), ['content of a', 'changed', 'content of c'])
  await Promise.all(handles.map(h => h.close()))
  await engine.close()
})
