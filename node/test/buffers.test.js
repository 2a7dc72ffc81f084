'use strict'
// Read results are Buffers; small ones (up to 8 KiB) are slices of a shared
// slab that the native module fills (index.js "pooledBuffer"). Every result
// must hold its own bytes and keep them, whatever is read after it.
const test = require('node:test')
const assert = require('node:assert/strict')
const path = require('node:path')
const { execFileSync } = require('node:child_process')
const { MessageChannel } = require('node:worker_threads')
const { openTmp, rejectsWith, tmpDir } = require('./helpers')

// Sizes around the pooling limit and the slab size, and well past both.
const SIZES = [0, 1, 7, 8, 9, 4095, 4096, 8191, 8192, 8193, 65536, 65537, 200000]
const content = (size, seed) => {
  const b = Buffer.alloc(size)
  for (let i = 0; i < size; i++) b[i] = (i * 31 + seed * 17) & 0xff
  return b
}

test('read results keep their own bytes, pooled or not', async () => {
  const { engine } = await openTmp('buffers')
  await engine.createVolume({ name: 'v', accessMode: 'RWX' })
  const sb = await engine.claimSandbox('default', { mounts: [{ ref: 'v', mountPoint: '/m' }], waitForMounts: true })
  for (const [seed, size] of SIZES.entries()) await sb.writeFile(`/m/f${size}`, content(size, seed))

  // Sequential reads, many rounds: enough small results to fill several slabs.
  const kept = []
  for (let round = 0; round < 20; round++) {
    for (const [seed, size] of SIZES.entries()) kept.push([seed, size, await sb.readFile(`/m/f${size}`)])
  }
  // Concurrent reads of every kind of result: file, range, handle, direct volume read.
  const h = await sb.open('/m/f4096')
  const concurrent = await Promise.all(SIZES.flatMap((size, seed) => [
    sb.readFile(`/m/f${size}`).then(b => [seed, size, b]),
    engine.volumeReadFile('v', `/f${size}`).then(b => [seed, size, b])
  ]))
  const ranges = await Promise.all(Array.from({ length: 64 }, (_, i) => sb.readFile('/m/f200000', { offset: i * 100, length: 50 + i })))
  const handleReads = await Promise.all(Array.from({ length: 64 }, (_, i) => h.read(i * 10, 8 + i)))
  await h.close()

  for (const [seed, size, b] of kept.concat(concurrent)) {
    assert.ok(Buffer.isBuffer(b), `size ${size}: a Buffer`)
    assert.equal(b.length, size)
    assert.ok(b.equals(content(size, seed)), `size ${size}: bytes intact after later reads`)
  }
  const big = content(200000, SIZES.indexOf(200000))
  ranges.forEach((b, i) => assert.ok(b.equals(big.subarray(i * 100, i * 100 + 50 + i)), `range ${i}`))
  const f4 = content(4096, SIZES.indexOf(4096))
  handleReads.forEach((b, i) => assert.ok(b.equals(f4.subarray(i * 10, i * 10 + 8 + i)), `handle read ${i}`))

  // Small results share a slab (the pooling is on); large ones own their memory.
  const [a, b] = [await sb.readFile('/m/f7'), await sb.readFile('/m/f8')]
  assert.equal(a.buffer, b.buffer, 'two small results are slices of one slab')
  assert.ok(a.buffer.byteLength > a.length)
  const large = await sb.readFile('/m/f8193')
  assert.equal(large.buffer.byteLength, large.length, 'a result over 8 KiB is not pooled')
  // Writing into one result changes no other.
  a.fill(0xee)
  assert.ok(b.equals(content(8, SIZES.indexOf(8))))
  // Transferring one result's .buffer to another thread must not detach the
  // slab under the others (Node ignores or refuses the transfer, by version).
  const { port1, port2 } = new MessageChannel()
  try { port1.postMessage(b.buffer, [b.buffer]) } catch (_) {}
  port1.close()
  port2.close()
  assert.equal(a.length, 7, 'a result on the same slab is still there')
  assert.ok(a.every(x => x === 0xee))
  assert.ok(b.equals(content(8, SIZES.indexOf(8))))

  await sb.release()
  await engine.close()
})

test('setReadBufferPooling(false) gives every result memory of its own', async () => {
  const sandvol = require('..')
  const { engine } = await openTmp('buffers-nopool')
  await engine.createVolume({ name: 'v', accessMode: 'RWX' })
  await engine.volumeWriteFile('v', '/a', 'alpha')
  await engine.volumeWriteFile('v', '/b', 'beta')
  for (const bad of [undefined, 1, 'false', null]) {
    assert.throws(() => sandvol.setReadBufferPooling(bad), e => e instanceof Error && e.code === 'invalid_argument')
  }
  try {
    sandvol.setReadBufferPooling(false)
    const [a, b] = [await engine.volumeReadFile('v', '/a'), await engine.volumeReadFile('v', '/b')]
    assert.equal(a.toString(), 'alpha')
    assert.equal(b.toString(), 'beta')
    assert.equal(a.buffer.byteLength, a.length, 'not a slab slice')
    assert.equal(b.buffer.byteLength, b.length)
  } finally {
    sandvol.setReadBufferPooling(true)
  }
  const [a, b] = [await engine.volumeReadFile('v', '/a'), await engine.volumeReadFile('v', '/b')]
  assert.equal(a.buffer, b.buffer, 'pooled again')
  assert.deepEqual([a.toString(), b.toString()], ['alpha', 'beta'])
  await engine.close()
})

test('the native module alone (no JS builder) returns the same bytes', () => {
  const script = `
    const m = require(process.env.SANDVOL_NODE_NATIVE || ${JSON.stringify(path.join(__dirname, '..', 'sandvol.node'))})
    ;(async () => {
      const engine = await m.Engine._open(process.argv[1])
      await engine.createVolume({ name: 'v', accessMode: 'RWX' })
      const out = []
      for (const size of [1, 4096, 8193]) {
        await engine.volumeWriteFile('v', '/f', Buffer.alloc(size, size & 0xff))
        const b = await engine.volumeReadFile('v', '/f')
        out.push([Buffer.isBuffer(b), b.length, b.equals(Buffer.alloc(size, size & 0xff))])
      }
      await engine.close()
      process.stdout.write(JSON.stringify(out))
    })().catch(e => { console.error(e); process.exit(1) })
  `
  const out = JSON.parse(execFileSync(process.execPath, ['-e', script, tmpDir('buffers-native')], { encoding: 'utf8' }))
  assert.deepEqual(out, [[true, 1, true], [true, 4096, true], [true, 8193, true]])
})

// A write's bytes are taken when the call is made: JS may detach the
// ArrayBuffer (a transfer) or change it while the worker writes, and neither
// may reach the file or the worker (a large Buffer was once only referenced,
// and a transfer plus a GC freed it under the worker).
test('write data is taken at the call: a later transfer, change or GC cannot reach it', async () => {
  const v8 = require('node:v8')
  const vm = require('node:vm')
  v8.setFlagsFromString('--expose-gc')
  const gc = vm.runInNewContext('gc')
  const { engine } = await openTmp('detach')
  const sb = await engine.claimSandbox('default')
  const big = 32 << 20
  const h = await sb.open('/big-h', 'w')
  for (const [name, start] of [
    ['writeFile', (u8) => sb.writeFile('/big', u8)],
    ['FileHandle.write', (u8) => h.write(0, u8)]
  ]) {
    let u8 = new Uint8Array(big)
    for (let i = 0; i < big; i += 4096) u8[i] = (i >> 12) & 0xff
    const expected = Buffer.from(u8) // a copy
    const pending = start(u8)
    // Detach the original buffer and let it be collected while the write runs.
    structuredClone(u8.buffer, { transfer: [u8.buffer] })
    assert.equal(u8.length, 0, 'the transfer detached the view')
    u8 = null
    gc()
    await pending
    if (name === 'FileHandle.write') await h.close()
    const file = name === 'writeFile' ? '/big' : '/big-h'
    assert.ok((await sb.readFile(file)).equals(expected), `${name} wrote the bytes given at the call`)
  }
  // Changing a small Buffer after the call does not change what is written.
  const small = Buffer.from('before')
  const p = sb.writeFile('/small', small)
  small.write('AFTER!')
  await p
  assert.equal((await sb.readFile('/small')).toString(), 'before')
  await engine.close()
})

// A result larger than a Buffer can be (buffer.constants.MAX_LENGTH, 4 GiB in
// Node 20) rejects with a sandvol code, not Node's ERR_BUFFER_TOO_LARGE. The
// file is sparse, but the engine materializes the whole result first (~4 GB
// of memory for a few seconds).
const { constants } = require('node:buffer')
const bigEnough = require('node:os').totalmem() >= 12 * 2 ** 30
test('a result too large for a Buffer rejects with invalid_argument', { skip: bigEnough ? false : 'needs ~5 GB of memory' }, async () => {
  const { engine } = await openTmp('toolarge')
  await engine.createVolume({ name: 'v' })
  const sb = await engine.claimSandbox('t')
  await sb.mount('v', '/d')
  const h = await sb.open('/d/big', 'w+')
  await h.write(constants.MAX_LENGTH, 'x') // size MAX_LENGTH + 1
  await h.close()
  await rejectsWith(sb.readFile('/d/big'), 'invalid_argument', new RegExp(`a result of ${constants.MAX_LENGTH + 1} bytes is larger than a Buffer`))
  // In parts it reads, and the engine goes on.
  assert.equal((await sb.readFile('/d/big', { offset: constants.MAX_LENGTH - 1 })).toString('hex'), '0078')
  assert.equal((await sb.stat('/d/big')).size, constants.MAX_LENGTH + 1)
  await sb.release()
  await engine.close()
})
