'use strict'
// Several processes share one data directory: two Node workers and this
// process on one RWX volume, and the Rust example next to Node.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { spawn } = require('node:child_process')
const { openTmp, rejectsWith } = require('./helpers')

function run (cmd, args) {
  return new Promise((resolve, reject) => {
    const p = spawn(cmd, args, { stdio: ['ignore', 'pipe', 'pipe'] })
    let out = ''
    let err = ''
    p.stdout.on('data', d => { out += d })
    p.stderr.on('data', d => { err += d })
    p.on('error', reject)
    p.on('close', code => code === 0 ? resolve(out) : reject(new Error(`${cmd} exited ${code}: ${err}`)))
  })
}

test('two Node processes and this one share an RWX volume', async () => {
  const { engine, dir } = await openTmp('mp')
  const vol = await engine.createVolume({ name: 'shared', accessMode: 'RWX' })
  const sb = await engine.claimSandbox('host')
  await sb.mount('shared', '/vol')
  const worker = path.join(__dirname, 'fixtures', 'worker.js')
  const FILES = 40
  const INCS = 25
  const workers = ['w1', 'w2'].map(tag => run(process.execPath, [worker, dir, vol.id, tag, String(FILES), String(INCS)]))
  // This process writes at the same time.
  const own = Promise.all(Array.from({ length: FILES }, (_, i) => sb.writeFile(`/vol/host/${i}.txt`, `host:${i}`)))
  const outs = await Promise.all(workers)
  await own
  for (const tag of ['w1', 'w2', 'host']) {
    const ls = await sb.listDir(`/vol/${tag}`)
    assert.equal(ls.items.length, FILES, `${tag} wrote ${FILES} files`)
    assert.equal((await sb.readFile(`/vol/${tag}/7.txt`)).toString(), `${tag}:7`)
  }
  // No lost update across processes: every CAS increment landed exactly once.
  assert.equal((await sb.readFile('/vol/counter')).toString(), String(2 * INCS))
  const reports = outs.map(o => JSON.parse(o))
  assert.deepEqual(reports.map(r => r.tag).sort(), ['w1', 'w2'])
  // The change feed shows the other processes' writes.
  const feed = await engine.changes('shared', { limit: 1000 })
  assert.ok(feed.some(c => c.path.startsWith('/w1/')) && feed.some(c => c.path.startsWith('/w2/')))
  // Their sandboxes are released and their sessions gone; ours is still mounted.
  const all = await engine.listSandboxes()
  assert.equal(all.filter(s => s.template === 'worker' && s.state === 'released').length, 2)
  assert.deepEqual((await sb.mountStatus()).map(s => s.state), ['mounted'])
  await rejectsWith(engine.deleteVolume('shared'), 'conflict')
  await sb.release()
  await engine.deleteVolume('shared')
  await engine.close()
})

test('a sandbox claimed in another process is usable here, and vice versa', async () => {
  const { engine, dir } = await openTmp('mp2')
  await engine.createVolume({ name: 'v', accessMode: 'RWX' })
  const sb = await engine.claimSandbox('host', { mounts: [{ ref: 'v', mountPoint: '/v' }], waitForMounts: true })
  assert.equal(sb.bootstrapMounts[0].state, 'mounted')
  await sb.writeFile('/v/from-parent', 'p')
  const script = `
    const { Engine } = require(${JSON.stringify(path.join(__dirname, '..'))})
    ;(async () => {
      const e = await Engine.open(${JSON.stringify(dir)})
      const sb = await e.getSandbox(${JSON.stringify(sb.id)})
      const got = (await sb.readFile('/v/from-parent')).toString()
      await sb.writeFile('/v/from-child', 'c:' + got)
      await e.close()
    })().catch(e => { console.error(e); process.exit(1) })`
  await run(process.execPath, ['-e', script])
  assert.equal((await sb.readFile('/v/from-child')).toString(), 'c:p')
  await sb.release()
  await engine.close()
})

test('the Rust example runs on the data dir Node has open', async t => {
  const exe = path.join(__dirname, '..', '..', 'target', 'debug', 'examples', 'walkthrough')
  if (!fs.existsSync(exe)) {
    t.skip('target/debug/examples/walkthrough is not built (make build)')
    return
  }
  const { engine, dir } = await openTmp('rust')
  await engine.createVolume({ name: 'node-side', accessMode: 'RWX' })
  const sb = await engine.claimSandbox('node', { mounts: [{ ref: 'node-side', mountPoint: '/n' }], waitForMounts: true })
  const writes = Promise.all(Array.from({ length: 50 }, (_, i) => sb.writeFile(`/n/${i}`, String(i))))
  const out = await run(exe, [dir])
  await writes
  assert.match(out, /^delete +conflict/m)
  assert.equal((await sb.listDir('/n')).items.length, 50)
  // The Rust walkthrough deleted its volumes; ours is the only one left.
  assert.deepEqual((await engine.listVolumes()).items.map(v => v.name), ['node-side'])
  await sb.release()
  await engine.close()
})
