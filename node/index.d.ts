// Type definitions for sandvol (the Node binding). Hand-written, checked in,
// and checked by `tsc --noEmit` on test/typed-example.ts in `make test`.
/// <reference types="node" />

/** Every stable error code, in the core's numeric order. */
export type ErrorCode =
  | 'invalid_argument'
  | 'not_found'
  | 'already_exists'
  | 'conflict'
  | 'access_mode_violation'
  | 'read_only'
  | 'permission_denied'
  | 'invalid_state'
  | 'quota_exceeded'
  | 'timeout'
  | 'not_a_directory'
  | 'is_a_directory'
  | 'directory_not_empty'
  | 'cross_device'
  | 'io'
  | 'corrupt'
  | 'internal'

/** The codes `err.code` can take (ErrorCode::ALL of the core). */
export const ERROR_CODES: readonly ErrorCode[]

/**
 * What every rejected sandvol Promise carries: a plain `Error` with `.code`
 * set to a stable code. Bad argument types reject with 'invalid_argument'.
 */
export interface SandvolError extends Error {
  code: ErrorCode
}

/** The crate version. */
export const version: string

/**
 * Whether read results of up to 8 KiB are slices of a shared 64 KiB slab (the
 * default, as `Buffer.allocUnsafe` pools: ~2.6 µs less per read) or get memory
 * of their own. A pooled Buffer's `.buffer` is the slab, which holds other
 * results' bytes: use `byteOffset` and `length` with it. Throws
 * 'invalid_argument' for a non-boolean.
 */
export function setReadBufferPooling(enabled: boolean): void

export type AccessMode = 'RWO' | 'ROX' | 'RWX'
/** Bytes as an integer, or a string with a binary unit: "1G", "128MiB", "1.5g". */
export type Size = number | string
/** Bytes to write: a Buffer / Uint8Array, or a string written as UTF-8. */
export type Data = Buffer | Uint8Array | string
export type Labels = Record<string, string>

export type MountState =
  | 'requested'
  | 'mounting'
  | 'mounted'
  | 'paused'
  | 'remounting'
  | 'unmounted'
  | 'releasing'
  | 'released'
  | 'failed'
export type SandboxState = 'running' | 'paused' | 'released'
export type FileKind = 'file' | 'dir' | 'symlink'
export type ChangeKind = 'write' | 'mkdir' | 'symlink' | 'remove' | 'rename' | 'setattr' | 'restore'
/** fopen-style: "r", "r+", "w", "w+", "a", "a+", "x", "x+" (a "b" is ignored). */
export type OpenMode = string

// ------------------------------------------------------------------ options

export interface EngineOptions {
  /** "process" (default): survives a process crash; "power": also power loss. */
  durability?: 'process' | 'power'
  /** Bytes per block (default 4 MiB; fixed per data directory). */
  blockSize?: Size
  /** Files up to this size are stored inline in the catalog (default 4 KiB). */
  inlineThreshold?: Size
  /** Mount points at or under these prefixes are refused. */
  reservedPrefixes?: string[]
  /**
   * Milliseconds a write waits for another process's catalog transaction
   * before rejecting with 'timeout' (default 30000; at most 2147483647).
   */
  busyTimeoutMs?: number
}

/** Cache settings; any field may be left out (JuiceFS mount-option semantics). */
export interface VolumeConfigOptions {
  cacheSize?: Size
  bufferSize?: Size
  prefetch?: number
  writeback?: boolean
}

export interface CreateVolumeOptions extends VolumeConfigOptions {
  name?: string
  /** Default 'RWO'. */
  accessMode?: AccessMode
  sizeLimit?: Size
  labels?: Labels
}

export interface UpdateVolumeOptions extends VolumeConfigOptions {
  labels?: Labels
  /** `null` removes the limit. */
  sizeLimit?: Size | null
}

export interface ListVolumesOptions {
  /** Only volumes carrying every one of these labels. */
  labels?: Labels
  /** Page size, 1..1000 (default 100). */
  limit?: number
  /** `nextCursor` of the previous page. */
  cursor?: string
}

export interface DeleteVolumeOptions {
  /** Fail active mounts (last_error_code 'force_detached') and delete anyway. */
  force?: boolean
}

export interface MountOptions {
  subpath?: string
  readOnly?: boolean
  config?: VolumeConfigOptions
}

export interface MountRequestInit extends MountOptions {
  /** Volume id or name. */
  ref: string
  mountPoint: string
}

export interface ClaimOptions {
  mounts?: MountRequestInit[]
  /** Wait until every bootstrap mount is mounted or failed (never fails the claim). */
  waitForMounts?: boolean
  /** Default 30000. */
  mountWaitTimeoutMs?: number
  /** Sandboxes sharing a group may share an RWO volume. */
  group?: string
  labels?: Labels
  /** Host directory where real mounts are materialized. */
  root?: string
}

export interface ReadOptions {
  offset?: number
  length?: number
}

/** At most one of append, offset, exclusive. */
export interface WriteOptions {
  append?: boolean
  offset?: number
  exclusive?: boolean
  /** Compare-and-swap: write only if the file's version is this (0 = must not exist); else 'conflict'. */
  ifVersion?: number
  /** Create missing parent directories (default true). */
  parents?: boolean
}

export interface ListDirOptions {
  /** Page size (default 1000, at most 10000). */
  limit?: number
  cursor?: string
}

export interface MkdirOptions {
  parents?: boolean
}

export interface RemoveOptions {
  recursive?: boolean
}

export interface SetTimesOptions {
  /** ms since the epoch */
  atime?: number
  /** ms since the epoch */
  mtime?: number
}

export interface SnapshotOptions {
  name?: string
}

export interface ChangesOptions {
  /** Only changes with a sequence number above this (default 0). */
  since?: number
  /** At most this many (default 1000). */
  limit?: number
}

export interface GcOptions {
  /** Keep unreferenced blocks younger than this (default 600000). */
  graceMs?: number
}

// ------------------------------------------------------------------ results

export interface VolumeConfig {
  cacheSize: number
  bufferSize: number
  prefetch: number
  writeback: boolean
}

export interface Volume {
  id: string
  name?: string
  accessMode: AccessMode
  sizeLimit?: number
  config: VolumeConfig
  labels: Labels
  usedBytes: number
  fileCount: number
  createdAt: number
  updatedAt: number
}

export interface VolumePage {
  items: Volume[]
  nextCursor?: string
}

export interface MountSession {
  mountSessionId: string
  volumeId: string
  sandboxId: string
  mountPoint: string
  subpath: string
  readOnly: boolean
  /** Effective config: the volume's plus the per-mount override. */
  config: VolumeConfig
  state: MountState
  lastErrorCode?: string
  lastErrorMessage?: string
  createdAt: number
  updatedAt: number
}

export interface SandboxInfo {
  id: string
  template: string
  group?: string
  state: SandboxState
  labels: Labels
  root?: string
  createdAt: number
  updatedAt: number
}

export interface FileInfo {
  path: string
  kind: FileKind
  size: number
  mode: number
  /** Increases on every change; pass as `ifVersion`. */
  version: number
  atime: number
  mtime: number
  ctime: number
  /** Symlink target. */
  target?: string
}

export interface DirEntry {
  name: string
  kind: FileKind
  size: number
  version: number
  mtime: number
}

export interface DirPage {
  items: DirEntry[]
  nextCursor?: string
}

export interface Snapshot {
  id: string
  volumeId: string
  name?: string
  usedBytes: number
  fileCount: number
  createdAt: number
}

export interface ChangeEntry {
  seq: number
  /** Path from the volume root. */
  path: string
  kind: ChangeKind
  /** Destination of a rename. */
  newPath?: string
  at: number
}

export interface Stats {
  volumes: number
  sandboxes: number
  activeMounts: number
  blocks: number
  blockBytes: number
  usedBytes: number
}

export interface GcReport {
  blocksDeleted: number
  bytesFreed: number
}

export interface FsckReport {
  /** True when nothing but leaked blocks (harmless until gc) was found. */
  clean: boolean
  dangling: string[]
  leakedBlocks: string[]
  refcountDrift: string[]
  counterDrift: string[]
  orphans: string[]
}

// ------------------------------------------------------------------ classes

/** A bootstrap mount of `claimSandbox` (a plain `MountRequestInit` object works too). */
export class MountRequest implements MountRequestInit {
  constructor(ref: string, mountPoint: string, opts?: MountOptions)
  ref: string
  mountPoint: string
  subpath?: string
  readOnly?: boolean
  config?: VolumeConfigOptions
}

/** An open file; `close()` flushes buffered writes. */
export class FileHandle {
  private constructor()
  readonly path: string
  /** Size including unflushed writes. */
  readonly size: number
  /** Up to `length` bytes at `offset` (fewer at the end of the file). */
  read(offset: number, length: number): Promise<Buffer>
  /** Writes at `offset` (at the end for "a" handles); resolves to the bytes written. */
  write(offset: number, data: Data): Promise<number>
  flush(): Promise<void>
  stat(): Promise<FileInfo>
  /** Flushes and closes; closing twice is allowed. */
  close(): Promise<void>
}

/** A sandbox; getters show its row as of the last call that read it. */
export class Sandbox {
  private constructor()
  readonly id: string
  readonly template: string
  readonly group?: string
  readonly state: SandboxState
  readonly labels: Labels
  readonly root?: string
  readonly createdAt: number
  readonly info: SandboxInfo
  /** Bootstrap mounts with their states at the end of the claim. */
  readonly bootstrapMounts: MountSession[]
  refresh(): Promise<SandboxInfo>
  mount(ref: string, mountPoint: string, opts?: MountOptions): Promise<MountSession>
  unmount(ref: string, mountSessionId: string): Promise<MountSession>
  mountStatus(): Promise<MountSession[]>
  pause(): Promise<SandboxInfo>
  resume(): Promise<SandboxInfo>
  release(): Promise<SandboxInfo>
  readFile(path: string, opts?: ReadOptions): Promise<Buffer>
  writeFile(path: string, data: Data, opts?: WriteOptions): Promise<FileInfo>
  stat(path: string): Promise<FileInfo>
  exists(path: string): Promise<boolean>
  listDir(path: string, opts?: ListDirOptions): Promise<DirPage>
  mkdir(path: string, opts?: MkdirOptions): Promise<FileInfo>
  remove(path: string, opts?: RemoveOptions): Promise<void>
  rename(src: string, dst: string): Promise<FileInfo>
  symlink(target: string, link: string): Promise<FileInfo>
  readlink(path: string): Promise<string>
  setTimes(path: string, opts: SetTimesOptions): Promise<FileInfo>
  open(path: string, mode?: OpenMode): Promise<FileHandle>
}

/** An open data directory. Several processes may open the same one. */
export class Engine {
  private constructor()
  /** Opens or creates a data directory; no path: $SANDVOL_HOME, else ./sandvol-data. */
  static open(path?: string | null, opts?: EngineOptions): Promise<Engine>
  readonly dataDir: string
  readonly closed: boolean
  close(): Promise<void>

  createVolume(opts?: CreateVolumeOptions): Promise<Volume>
  getVolume(ref: string): Promise<Volume>
  listVolumes(opts?: ListVolumesOptions): Promise<VolumePage>
  updateVolume(ref: string, opts: UpdateVolumeOptions): Promise<Volume>
  deleteVolume(ref: string, opts?: DeleteVolumeOptions): Promise<void>

  claimSandbox(template: string, opts?: ClaimOptions): Promise<Sandbox>
  getSandbox(id: string): Promise<Sandbox>
  listSandboxes(): Promise<SandboxInfo[]>
  getMount(mountSessionId: string): Promise<MountSession>

  volumeReadFile(ref: string, path: string, opts?: ReadOptions): Promise<Buffer>
  volumeWriteFile(ref: string, path: string, data: Data, opts?: WriteOptions): Promise<FileInfo>
  volumeStat(ref: string, path: string): Promise<FileInfo>
  volumeExists(ref: string, path: string): Promise<boolean>
  volumeListDir(ref: string, path: string, opts?: ListDirOptions): Promise<DirPage>
  volumeMkdir(ref: string, path: string, opts?: MkdirOptions): Promise<FileInfo>
  volumeRemove(ref: string, path: string, opts?: RemoveOptions): Promise<void>
  volumeRename(ref: string, src: string, dst: string): Promise<FileInfo>
  volumeSymlink(ref: string, target: string, link: string): Promise<FileInfo>
  volumeReadlink(ref: string, path: string): Promise<string>
  volumeSetTimes(ref: string, path: string, opts: SetTimesOptions): Promise<FileInfo>
  volumeOpen(ref: string, path: string, mode?: OpenMode): Promise<FileHandle>

  /** `opts` may be the snapshot name itself. */
  createSnapshot(volume: string, opts?: string | SnapshotOptions): Promise<Snapshot>
  getSnapshot(id: string): Promise<Snapshot>
  listSnapshots(volume: string): Promise<Snapshot[]>
  restoreSnapshot(id: string): Promise<Volume>
  forkSnapshot(id: string, opts?: CreateVolumeOptions): Promise<Volume>
  deleteSnapshot(id: string): Promise<void>

  changes(volume: string, opts?: ChangesOptions): Promise<ChangeEntry[]>
  stats(): Promise<Stats>
  gc(opts?: GcOptions): Promise<GcReport>
  fsck(): Promise<FsckReport>
}

/** @internal For benchmarks and tests only; not part of the API. */
export const _private: {
  readonly readFileSync: (sb: Sandbox, path: string) => Buffer
  readonly writeFileSync: (sb: Sandbox, path: string, data: Data) => FileInfo
  /** ns per call of the same core call looped in Rust (a write writes `data`). */
  readonly rustLoop: (sb: Sandbox, op: 'read' | 'write', path: string, data: Data, iters: number) => number
  /** The same loop on a worker of the pool (where a Promise call's core call runs). */
  readonly rustLoopOnWorker: (sb: Sandbox, op: 'read' | 'write', path: string, data: Data, iters: number) => Promise<number>
  /** ns of each of `iters` such calls on a worker. */
  readonly rustLatenciesOnWorker: (sb: Sandbox, op: 'read' | 'write', path: string, data: Data, iters: number) => Promise<number[]>
  /** Panics on a worker thread; rejects with code 'internal'. */
  readonly panic: () => Promise<void>
  /** An empty job: the Promise round trip through the worker pool alone. */
  readonly noop: () => Promise<void>
  /** `readFileSync`'s arguments and 4 KiB result without the core call. */
  readonly floorSync: (sb: Sandbox, path: string) => Buffer
  /** `writeFileSync`'s arguments and FileInfo result without the core call. */
  readonly floorWriteSync: (sb: Sandbox, path: string, data: Data) => FileInfo
  /** `sb.readFile`'s arguments, pool round trip and 4 KiB result without the core call. */
  readonly floorAsync: (sb: Sandbox, path: string) => Promise<Buffer>
  /** A native call that does nothing. */
  readonly empty: () => void
}
