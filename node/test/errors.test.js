'use strict'
// Every error code: the exported list is core's list, and each code that a
// caller can cause is reached through the Node API with the right `.code`.
const test = require('node:test')
const assert = require('node:assert/strict')
const fs = require('node:fs')
const path = require('node:path')
const { spawn } = require('node:child_process')
const { openTmp, rejectsWith, tmpDir, sandvol } = require('./helpers')
const { Engine, ERROR_CODES } = sandvol

// Holds the catalog's write lock until its stdin closes.
const LOCK_HOLDER = `
import sqlite3, sys
c = sqlite3.connect(sys.argv[1], isolation_level=None, timeout=10)
c.execute('BEGIN IMMEDIATE')
print('locked', flush=True)
sys.stdin.read()
c.execute('COMMIT')
`

// Starts a process holding the catalog's write lock; resolves, once it holds
// it, to a function that makes it commit and waits for it to exit.
async function holdCatalogLock (dbPath) {
  const holder = spawn('python3', ['-c', LOCK_HOLDER, dbPath], { stdio: ['pipe', 'pipe', 'inherit'] })
  holder.stdin.on('error', () => {}) // the holder may be gone already
  const exited = new Promise(resolve => holder.once('exit', resolve))
  try {
    await new Promise((resolve, reject) => {
      const timer = setTimeout(() => reject(new Error('the lock holder did not start within 10 s')), 10_000)
      holder.once('error', e => { clearTimeout(timer); reject(e) })
      holder.once('exit', code => { clearTimeout(timer); reject(new Error(`the lock holder exited (${code}) before locking`)) })
      holder.stdout.once('data', () => { clearTimeout(timer); resolve() })
    })
  } catch (e) {
    holder.kill('SIGKILL')
    throw e
  }
  return async function release () {
    holder.stdin.end() // EOF: the holder commits and exits
    const timer = setTimeout(() => holder.kill('SIGKILL'), 10_000)
    await exited
    clearTimeout(timer)
  }
}

const reached = new Set()
async function expectCode (p, code, re) {
  const e = await rejectsWith(p, code, re)
  reached.add(e.code)
  return e
}

test('ERROR_CODES is core ErrorCode::as_str, in ErrorCode::ALL order', () => {
  const src = fs.readFileSync(path.join(__dirname, '..', '..', 'core', 'src', 'error.rs'), 'utf8')
  const asStr = src.slice(src.indexOf('pub fn as_str'), src.indexOf('pub fn http_status'))
  const fromCore = [...asStr.matchAll(/ErrorCode::(\w+) => "(\w+)"/g)]
  const all = src.slice(src.indexOf('pub const ALL'), src.indexOf('];', src.indexOf('pub const ALL')))
  const order = [...all.matchAll(/ErrorCode::(\w+)/g)].map(m => m[1])
  const byVariant = Object.fromEntries(fromCore.map(m => [m[1], m[2]]))
  assert.ok(order.length >= 17, `parsed ${order.length} variants from error.rs`)
  assert.deepEqual([...ERROR_CODES], order.map(v => byVariant[v]))
  assert.ok(Object.isFrozen(ERROR_CODES))
})

test('every reachable code surfaces as err.code, with a message naming the value', async () => {
  const { engine, dir } = await openTmp('codes')
  const rwx = await engine.createVolume({ name: 'rwx', accessMode: 'RWX' })
  const other = await engine.createVolume({ name: 'other', accessMode: 'RWX' })
  const rox = await engine.createVolume({ name: 'rox', accessMode: 'ROX' })
  const rwo = await engine.createVolume({ name: 'rwo' })
  const small = await engine.createVolume({ name: 'small', sizeLimit: 10 })
  const sb = await engine.claimSandbox('default')

  await expectCode(engine.createVolume({ cacheSize: '12' }), 'invalid_argument', /"12"/)
  await expectCode(engine.createVolume({ accessMode: 'RWZ' }), 'invalid_argument', /"RWZ"/)
  await expectCode(engine.getVolume('no-such-volume'), 'not_found', /no-such-volume/)
  await expectCode(engine.getSandbox('sb_missing'), 'not_found', /sb_missing/)
  await expectCode(engine.createVolume({ name: 'rwx' }), 'already_exists', /"rwx"/)

  const m = await sb.mount('rwx', '/mnt/rwx')
  await sb.mount('other', '/mnt/other')
  await expectCode(engine.deleteVolume('rwx'), 'conflict', new RegExp(rwx.id))
  await expectCode(sb.mount('other', '/mnt/rwx'), 'conflict', /\/mnt\/rwx/)
  await expectCode(sb.mount('rox', '/mnt/rox', { readOnly: false }), 'access_mode_violation', new RegExp(rox.id))
  await sb.mount('rwo', '/mnt/rwo')
  const sb2 = await engine.claimSandbox('default')
  await expectCode(sb2.mount('rwo', '/mnt/rwo'), 'access_mode_violation', new RegExp(rwo.id))

  await engine.volumeWriteFile('rox', '/seed.txt', 'seed')
  await sb.mount('rox', '/mnt/rox')
  await expectCode(sb.writeFile('/mnt/rox/x', 'nope'), 'read_only', /\/mnt\/rox/)
  await expectCode(engine.volumeWriteFile('rox', '/seed.txt', 'changed'), 'read_only', new RegExp(rox.id))
  assert.equal((await sb.readFile('/mnt/rox/seed.txt')).toString(), 'seed')
  await expectCode(sb.mount('rwx', '/proc/x'), 'permission_denied', /\/proc/)

  await sb.unmount('rwx', m.mountSessionId)
  await expectCode(sb.unmount('rwx', m.mountSessionId), 'invalid_state', new RegExp(m.mountSessionId))

  await sb.mount('small', '/mnt/small')
  await sb.writeFile('/mnt/small/a', '12345')
  await expectCode(sb.writeFile('/mnt/small/a', 'x'.repeat(100)), 'quota_exceeded', /size_limit/)
  assert.equal((await sb.readFile('/mnt/small/a')).toString(), '12345', 'a refused write changes nothing')
  assert.equal((await engine.getVolume(small.id)).usedBytes, 5)

  await sb.writeFile('/mnt/other/file', 'f')
  await sb.mkdir('/mnt/other/dir/sub', { parents: true })
  await expectCode(sb.readFile('/mnt/other/file/below'), 'not_a_directory', /file/)
  await expectCode(sb.readFile('/mnt/other/dir'), 'is_a_directory', /\/mnt\/other\/dir/)
  await expectCode(sb.remove('/mnt/other/dir'), 'directory_not_empty', /\/mnt\/other\/dir/)
  await expectCode(sb.rename('/mnt/other/file', '/mnt/small/file'), 'cross_device', /\/mnt\/other\/file|\/mnt\/small\/file/)

  await expectCode(sandvol._private.panic(), 'internal', /panic/)

  // io: the block store directory is gone (a file stands in its way).
  await sb.release()
  await sb2.release()
  await engine.close()
  await expectCode(engine.getVolume('rwx'), 'invalid_state', /closed/)
  fs.rmSync(path.join(dir, 'blocks'), { recursive: true })
  const engine2 = await Engine.open(dir).catch(e => e)
  if (engine2 instanceof Error) {
    // The engine recreates blocks/ on open; that is fine too: break it afterwards.
    throw engine2
  }
  fs.rmSync(path.join(dir, 'blocks'), { recursive: true, force: true })
  fs.writeFileSync(path.join(dir, 'blocks'), 'not a directory')
  await expectCode(engine2.volumeWriteFile('other', '/big', Buffer.alloc(64 << 10, 1)), 'io')
  assert.equal(await engine2.volumeExists('other', '/big'), false, 'a failed write leaves no file')
  await engine2.close()

  // corrupt: a stored block changed on disk, then a catalog that is not a database.
  fs.rmSync(path.join(dir, 'blocks'))
  const engine3 = await Engine.open(dir)
  await engine3.volumeWriteFile('other', '/big', Buffer.alloc(64 << 10, 1))
  const blockFiles = []
  const walk = d => fs.readdirSync(d, { withFileTypes: true }).forEach(e =>
    e.isDirectory() ? walk(path.join(d, e.name)) : blockFiles.push(path.join(d, e.name)))
  walk(path.join(dir, 'blocks'))
  assert.ok(blockFiles.length >= 1)
  for (const f of blockFiles) fs.writeFileSync(f, Buffer.alloc(64 << 10, 2))
  await expectCode(engine3.volumeReadFile('other', '/big'), 'corrupt')
  await engine3.close()
  const junk = tmpDir('junk')
  fs.writeFileSync(path.join(junk, 'catalog.db'), Buffer.alloc(8192, 0x5a))
  await expectCode(Engine.open(junk), 'corrupt')

  // timeout: another process holds the catalog's write lock for longer than
  // this engine's busy timeout; nothing is created.
  await expectCode(Engine.open(tmpDir('busy'), { busyTimeoutMs: -1 }), 'invalid_argument', /busyTimeoutMs -1/)
  await expectCode(Engine.open(tmpDir('busy'), { busyTimeoutMs: 2 ** 31 }), 'invalid_argument', /busy_timeout 2147483648 ms/)
  const engine4 = await Engine.open(dir, { busyTimeoutMs: 300 })
  try {
    const release = await holdCatalogLock(path.join(dir, 'catalog.db'))
    try {
      const t0 = Date.now()
      await expectCode(engine4.createVolume({ name: 'late' }), 'timeout', /busy|lock|timeout/i)
      const waited = Date.now() - t0
      assert.ok(waited >= 250 && waited < 10_000, `waited ${waited} ms`)
    } finally {
      await release()
    }
    await expectCode(engine4.getVolume('late'), 'not_found')
  } finally {
    await engine4.close()
  }

  const unreached = ERROR_CODES.filter(c => !reached.has(c))
  assert.deepEqual(unreached, [])
})
