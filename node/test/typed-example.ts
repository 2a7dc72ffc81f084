// Type-checked (never run) by `tsc --noEmit -p test/tsconfig.json`: uses every
// export of index.d.ts the way a TypeScript host would.
import {
  Engine, Sandbox, FileHandle, MountRequest, ERROR_CODES, version,
  type ErrorCode, type SandvolError, type Volume, type MountSession, type FileInfo,
  type DirPage, type Snapshot, type ChangeEntry, type Stats, type GcReport, type FsckReport,
  type SandboxInfo, type VolumePage, type ClaimOptions
} from '..'

async function main (): Promise<void> {
  const engine: Engine = await Engine.open('./sandvol-data', { durability: 'process', busyTimeoutMs: 5000 })
  const dir: string = engine.dataDir
  const vol: Volume = await engine.createVolume({ name: 'datasets', accessMode: 'RWX', cacheSize: '1G', bufferSize: 128 << 20, labels: { a: 'b' } })
  const got: Volume = await engine.getVolume(vol.name ?? vol.id)
  const page: VolumePage = await engine.listVolumes({ labels: { a: 'b' }, limit: 10, cursor: undefined })
  await engine.updateVolume(vol.id, { sizeLimit: null, prefetch: 2 })
  const opts: ClaimOptions = {
    mounts: [new MountRequest('datasets', '/workspace/data'), { ref: vol.id, mountPoint: '/ro', readOnly: true, config: { writeback: false } }],
    waitForMounts: true,
    mountWaitTimeoutMs: 30000,
    group: 'g',
    labels: { k: 'v' }
  }
  const sb: Sandbox = await engine.claimSandbox('default', opts)
  sb.bootstrapMounts.forEach((bm: MountSession) => console.log(bm.volumeId, bm.mountPoint, bm.state, bm.lastErrorCode))
  const m: MountSession = await sb.mount(vol.id, '/mnt/data', { subpath: 'x', readOnly: false })
  const info: FileInfo = await sb.writeFile('/mnt/data/hello.txt', Buffer.from('Hello'), { ifVersion: 0 })
  await sb.writeFile('/mnt/data/s.txt', 'string data', { append: true })
  const buf: Buffer = await sb.readFile('/mnt/data/hello.txt', { offset: 0, length: info.size })
  const ls: DirPage = await sb.listDir('/mnt/data', { limit: 5 })
  const names: string[] = ls.items.map(e => e.name)
  await sb.mkdir('/mnt/data/d', { parents: true })
  await sb.remove('/mnt/data/d', { recursive: true })
  await sb.rename('/mnt/data/s.txt', '/mnt/data/t.txt')
  await sb.symlink('t.txt', '/mnt/data/l')
  const target: string = await sb.readlink('/mnt/data/l')
  const ok: boolean = await sb.exists('/mnt/data/l')
  await sb.setTimes('/mnt/data/t.txt', { mtime: Date.now() })
  const fh: FileHandle = await sb.open('/mnt/data/big', 'w+')
  const n: number = await fh.write(0, Buffer.alloc(10))
  const part: Buffer = await fh.read(0, n)
  await fh.flush()
  await fh.stat()
  await fh.close()
  const statuses: MountSession[] = await sb.mountStatus()
  const paused: SandboxInfo = await sb.pause()
  await sb.resume()
  await sb.refresh()
  try {
    await engine.deleteVolume(vol.id)
  } catch (e) {
    const code: ErrorCode = (e as SandvolError).code
    if (!ERROR_CODES.includes(code)) throw e
  }
  const snap: Snapshot = await engine.createSnapshot(vol.id, { name: 'v1' })
  await engine.createSnapshot(vol.id, 'v2')
  const fork: Volume = await engine.forkSnapshot(snap.id, { name: 'datasets-copy' })
  await engine.volumeWriteFile(fork.id, '/notes.txt', new Uint8Array([1, 2]))
  const direct: Buffer = await engine.volumeReadFile(fork.id, '/notes.txt')
  await engine.volumeStat(fork.id, '/notes.txt')
  await engine.volumeListDir(fork.id, '/')
  await engine.volumeMkdir(fork.id, '/d', { parents: true })
  await engine.volumeRename(fork.id, '/d', '/e')
  await engine.volumeSymlink(fork.id, 'e', '/f')
  await engine.volumeReadlink(fork.id, '/f')
  await engine.volumeExists(fork.id, '/f')
  await engine.volumeSetTimes(fork.id, '/e', { atime: 1 })
  await engine.volumeRemove(fork.id, '/e', { recursive: true })
  const vh: FileHandle = await engine.volumeOpen(fork.id, '/g', 'w')
  await vh.close()
  const snaps: Snapshot[] = await engine.listSnapshots(vol.id)
  await engine.getSnapshot(snaps[0].id)
  await sb.unmount(vol.id, m.mountSessionId)
  await sb.release()
  const sb2: Sandbox = await engine.getSandbox(sb.id)
  const all: SandboxInfo[] = await engine.listSandboxes()
  await engine.getMount(m.mountSessionId)
  await engine.restoreSnapshot(snap.id)
  await engine.deleteSnapshot(snap.id)
  const changes: ChangeEntry[] = await engine.changes(vol.id, { since: 0, limit: 10 })
  const stats: Stats = await engine.stats()
  const gc: GcReport = await engine.gc({ graceMs: 0 })
  const fsck: FsckReport = await engine.fsck()
  await engine.deleteVolume(vol.id, { force: true })
  await engine.close()
  const closed: boolean = engine.closed
  console.log(dir, got, page, buf, names, target, ok, part, statuses, paused, direct, sb2.state, all, changes, stats, gc, fsck.clean, closed, version)
}

// @ts-expect-error: a number is not a path
Engine.open(42)
// @ts-expect-error: accessMode is one of RWO, ROX, RWX
void (null as unknown as Engine).createVolume({ accessMode: 'RWZ' })
// @ts-expect-error: the constructor is private
void new Engine()

void main()
