'use strict'
// The seed walkthrough from DESIGN.md, in Node: volumes, sandboxes, bootstrap
// mounts, shared RWX files, the delete conflict, snapshots, fork, restore.
// Names are unique per run and everything is deleted at the end, so it can be
// rerun on the same data directory.
//
// Run: node examples/walkthrough.js [DATA_DIR]   (default $SANDVOL_HOME, else ./sandvol-data)

const assert = require('node:assert/strict')
const { Engine, MountRequest } = require('..')

async function main () {
  const engine = await Engine.open(process.argv[2])
  const name = `datasets-node-${process.pid}-${Date.now()}`
  const vol = await engine.createVolume({ name, accessMode: 'RWX', cacheSize: '1G', bufferSize: '128M' })
  console.log('volume  ', vol.id, vol.name, vol.accessMode)

  const sb = await engine.claimSandbox('default')
  const m = await sb.mount(vol.id, '/mnt/data')
  console.log('mount   ', m.mountSessionId, m.mountPoint, m.state)
  await sb.writeFile('/mnt/data/hello.txt', Buffer.from('Hello, Volume!'))
  const buf = await sb.readFile('/mnt/data/hello.txt')
  assert.equal(buf.toString(), 'Hello, Volume!')

  const sb2 = await engine.claimSandbox('default', {
    mounts: [new MountRequest(name, '/workspace/data')],
    waitForMounts: true,
    mountWaitTimeoutMs: 30000
  })
  sb2.bootstrapMounts.forEach(bm => console.log('boot    ', bm.volumeId, bm.mountPoint, bm.state))
  assert.equal((await sb2.readFile('/workspace/data/hello.txt')).toString(), 'Hello, Volume!')

  for (const s of await sb.mountStatus()) {
    console.log('status  ', s.volumeId, s.mountPoint, s.mountSessionId, s.state)
  }

  try {
    await engine.deleteVolume(vol.id)
    throw new Error('delete of a mounted volume succeeded')
  } catch (e) {
    if (e.code !== 'conflict') throw e
    console.log('delete  ', e.code, `(${e.message})`)
  }

  const snap = await engine.createSnapshot(vol.id, { name: 'v1' })
  const fork = await engine.forkSnapshot(snap.id, { name: `${name}-copy` })
  await engine.volumeWriteFile(fork.id, '/notes.txt', 'direct, no mount')
  console.log('fork    ', fork.id, 'reads', JSON.stringify((await engine.volumeReadFile(fork.id, '/notes.txt')).toString()))

  await sb.unmount(vol.id, m.mountSessionId)
  await sb2.release()
  await engine.volumeWriteFile(vol.id, '/hello.txt', 'changed after v1')
  await engine.restoreSnapshot(snap.id)
  assert.equal((await engine.volumeReadFile(vol.id, '/hello.txt')).toString(), 'Hello, Volume!')
  console.log('restore ', vol.id, 'back to "Hello, Volume!"')

  await sb.release()
  await engine.deleteVolume(vol.id)
  await engine.deleteVolume(fork.id)
  console.log('deleted ', vol.id, 'and', fork.id)
  await engine.close()
}

main().catch(e => {
  console.error(e)
  process.exit(1)
})
