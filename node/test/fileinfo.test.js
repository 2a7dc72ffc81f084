'use strict'
// FileInfo results are built by a JS function index.js registers with the
// native module (fast path); the module loaded on its own builds them with
// napi. Both must give the same objects: same keys in the same order, `target`
// only on symlinks, numbers as numbers.
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const { tmpDir } = require('./helpers')

// Runs in a child: `loader` is "index" (through index.js) or "native" (the .node alone).
const script = `
const [loader, dir] = process.argv.slice(1)
const native = process.env.SANDVOL_NODE_NATIVE || ${JSON.stringify(path.join(__dirname, '..', 'sandvol.node'))}
const m = loader === 'index' ? require(${JSON.stringify(path.join(__dirname, '..'))}) : require(native)
;(async () => {
  const engine = await (loader === 'index' ? m.Engine.open(dir) : m.Engine._open(dir))
  await engine.createVolume({ name: 'v', accessMode: 'RWX' })
  const out = []
  out.push(await engine.volumeWriteFile('v', '/d/f', 'hello'))
  out.push(await engine.volumeStat('v', '/d'))
  out.push(await engine.volumeSymlink('v', 'f', '/d/l'))
  out.push(await engine.volumeStat('v', '/d/l'))
  out.push(await engine.volumeSetTimes('v', '/d/f', { atime: 5, mtime: 7 }))
  await engine.close()
  // Times of the writes differ between the two runs; keep their type only.
  const norm = o => Object.fromEntries(Object.entries(o).map(([k, v]) =>
    ['atime', 'mtime', 'ctime'].includes(k) && v > 1e12 ? [k, typeof v] : [k, v]))
  process.stdout.write(JSON.stringify(out.map(o => [Object.keys(o), norm(o)])))
})().catch(e => { console.error(e); process.exit(1) })
`

function run (loader) {
  return JSON.parse(execFileSync(process.execPath, ['-e', script, loader, tmpDir(`fi-${loader}`)], { encoding: 'utf8' }))
}

test('FileInfo from the JS builder equals the napi-built one', () => {
  const fast = run('index')
  const napi = run('native')
  assert.deepEqual(fast, napi)
  const [file, dir, link, linkStat, times] = fast.map(([, o]) => o)
  assert.deepEqual(Object.keys(file), ['path', 'kind', 'size', 'mode', 'version', 'atime', 'mtime', 'ctime'])
  assert.equal(file.kind, 'file')
  assert.equal(file.size, 5)
  assert.equal(dir.kind, 'dir')
  assert.equal(link.kind, 'symlink')
  assert.equal(link.target, 'f')
  assert.equal(linkStat.target, 'f')
  assert.equal('target' in file, false)
  assert.deepEqual([times.atime, times.mtime], [5, 7])
})

test('the sync bench path returns the same FileInfo', async () => {
  const sandvol = require('..')
  const engine = await sandvol.Engine.open(tmpDir('fi-sync'))
  await engine.createVolume({ name: 'v', accessMode: 'RWX' })
  const sb = await engine.claimSandbox('default', { mounts: [{ ref: 'v', mountPoint: '/m' }], waitForMounts: true })
  const a = sandvol._private.writeFileSync(sb, '/m/x', Buffer.from('abc'))
  const b = await sb.stat('/m/x')
  assert.deepEqual(a, b)
  assert.equal(a.kind, 'file')
  await sb.release()
  await engine.close()
})

test('each worker thread registers its own builder; workers come and go', async () => {
  const { Worker } = require('node:worker_threads')
  const sandvol = require('..')
  const code = `
    const { parentPort, workerData } = require('node:worker_threads')
    const sandvol = require(${JSON.stringify(path.join(__dirname, '..'))})
    ;(async () => {
      const engine = await sandvol.Engine.open(workerData.dir)
      await engine.createVolume({ name: 'w', accessMode: 'RWX' })
      const info = await engine.volumeWriteFile('w', '/f', 'worker')
      // The per-file entry points too (their receiver memo and the builder's
      // number slots are per environment).
      const sb = await engine.claimSandbox('w', { mounts: [{ ref: 'w', mountPoint: '/w' }], waitForMounts: true })
      const st = await sb.stat('/w/f')
      const back = (await sb.readFile('/w/f')).toString()
      const wrote = await sb.writeFile('/w/g', 'from the worker')
      if (workerData.endWith === 'busy') {
        // Calls still in flight when the parent terminates this thread.
        parentPort.postMessage('busy')
        for (;;) await sb.stat('/w/g')
      }
      await engine.close()
      parentPort.postMessage(Object.keys(info).concat(info.kind, st.size, st.kind, back, wrote.size, wrote.path))
    })()
  `
  for (let i = 0; i < 3; i++) {
    const w = new Worker(code, { eval: true, workerData: { dir: tmpDir(`fi-w${i}`) } })
    const [msg] = await Promise.all([
      new Promise((resolve, reject) => w.once('message', resolve).once('error', reject)),
      new Promise(resolve => w.once('exit', resolve))
    ])
    assert.deepEqual(msg, ['path', 'kind', 'size', 'mode', 'version', 'atime', 'mtime', 'ctime', 'file', 6, 'file', 'worker', 15, '/w/g'])
  }
  for (let i = 0; i < 3; i++) {
    const w = new Worker(code, { eval: true, workerData: { dir: tmpDir(`fi-b${i}`), endWith: 'busy' } })
    assert.equal(await new Promise((resolve, reject) => w.once('message', resolve).once('error', reject)), 'busy')
    await new Promise(resolve => setTimeout(resolve, 20))
    await w.terminate()
  }
  const engine = await sandvol.Engine.open(tmpDir('fi-main'))
  await engine.createVolume({ name: 'm', accessMode: 'RWX' })
  assert.equal((await engine.volumeWriteFile('m', '/f', 'main')).kind, 'file')
  await engine.close()
})
