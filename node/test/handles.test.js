'use strict'
// File handles: positional reads and writes, flush on close, modes.
const test = require('node:test')
const assert = require('node:assert/strict')
const { openTmp, rejectsWith } = require('./helpers')

test('file handles read and write at positions and flush on close', async () => {
  const { engine } = await openTmp('handles')
  await engine.createVolume({ name: 'v', accessMode: 'RWX' })
  const sb = await engine.claimSandbox('default')
  await sb.mount('v', '/data')

  const w = await sb.open('/data/big.bin', 'w+')
  assert.equal(w.path, '/data/big.bin')
  const chunk = Buffer.alloc(1 << 20)
  for (let i = 0; i < 6; i++) {
    chunk.fill(i)
    assert.equal(await w.write(i * chunk.length, chunk), chunk.length)
  }
  assert.equal(w.size, 6 << 20)
  assert.deepEqual([...(await w.read((3 << 20) - 2, 4))], [2, 2, 3, 3], 'reads see unflushed writes')
  assert.equal(await w.write(10, 'hello'), 5)
  await w.flush()
  assert.equal((await w.stat()).size, 6 << 20)
  await w.close()
  await w.close() // twice is allowed
  await rejectsWith(w.read(0, 1), 'invalid_state', /closed/)
  await rejectsWith(w.write(0, 'x'), 'invalid_state', /closed/)

  const st = await sb.stat('/data/big.bin')
  assert.equal(st.size, 6 << 20)
  const r = await sb.open('/data/big.bin') // default "r"
  assert.equal((await r.read(10, 5)).toString(), 'hello')
  assert.deepEqual([...(await r.read((5 << 20) + 7, 1))], [5])
  assert.equal((await r.read((6 << 20) - 1, 100)).length, 1, 'short read at the end')
  assert.equal((await r.read(7 << 20, 10)).length, 0, 'read past the end is empty')
  await rejectsWith(r.write(0, 'x'), 'invalid_state', /not opened for writing/)
  await r.close()

  const whole = await sb.readFile('/data/big.bin')
  assert.equal(whole.length, 6 << 20)
  assert.equal(whole[(4 << 20) + 1], 4)

  const a = await sb.open('/data/log.txt', 'a')
  await a.write(0, 'one ')
  await a.write(0, 'two')
  await a.close()
  assert.equal((await sb.readFile('/data/log.txt')).toString(), 'one two')

  await rejectsWith(sb.open('/data/log.txt', 'x'), 'already_exists')
  await rejectsWith(sb.open('/data/missing.txt', 'r'), 'not_found')
  await rejectsWith(sb.open('/data/log.txt', 'q'), 'invalid_argument', /"q"/)

  const v = await engine.volumeOpen('v', '/direct.txt', 'w')
  await v.write(0, Buffer.from('direct'))
  await v.close()
  assert.equal((await sb.readFile('/data/direct.txt')).toString(), 'direct')

  // A handle outlives nothing: closing the engine makes it refuse work.
  const h = await sb.open('/data/log.txt', 'r')
  await sb.release()
  await engine.close()
  await rejectsWith(h.read(0, 1), 'invalid_state')
})
