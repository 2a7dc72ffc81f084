'use strict'
// sandvol for Node: loads the native module (sandvol.node, built from
// bindings/node) and exports its classes. Every I/O method returns a Promise
// and runs on sandvol's worker threads (README "Conventions"); errors are `Error`s whose `.code` is one
// of ERROR_CODES.

// SANDVOL_NODE_NATIVE points at another build of the module (the benchmark
// loads a release build this way); normally ./sandvol.node next to this file.
const native = require(process.env.SANDVOL_NODE_NATIVE || './sandvol.node')
const { markAsUntransferable } = require('node:worker_threads')

const ERROR_CODES = Object.freeze(native.errorCodes())
const KNOWN = new Set(ERROR_CODES)

// FileInfo results are built here, by one call from the native module per
// result: an object literal is cheap for V8, where napi's property-by-property
// definition cost ~15,000 instructions per FileInfo, most of the sync
// writeFile's binding cost (callgrind; bench/RESULTS.md, "Node binding").
// Same properties in the same order as before; `target` only for symlinks.
const FILE_KINDS = ['file', 'dir', 'symlink']
// The numbers come in these slots, written by the native module just before
// the call (a napi value per argument cost more than the object itself); over
// an ArrayBuffer of its own so that their memory never moves.
const FILE_INFO_SLOTS = new Float64Array(new ArrayBuffer(8 * 8))
function fileInfo (path, target) {
  const n = FILE_INFO_SLOTS
  const info = { path, kind: FILE_KINDS[n[0]], size: n[1], mode: n[2], version: n[3], atime: n[4], mtime: n[5], ctime: n[6] }
  if (target !== undefined) info.target = target
  return info
}

// Small read results (up to 8 KiB) are slices of a shared 64 KiB slab, which
// the native module fills, as Buffer.allocUnsafe pools small Buffers: a Buffer
// with memory of its own cost ~2.7 µs to create, a slice ~0.1 µs
// (bench/RESULTS.md, "Pooled read Buffers"). As with Node's pool, `buf.buffer`
// is the slab, holding other results' bytes (use byteOffset and length), and a
// kept slice keeps its slab. setReadBufferPooling(false) gives every result
// memory of its own instead.
const SLAB_SIZE = 64 * 1024
let pooling = true
let slab = null
let slabOffset = SLAB_SIZE
function pooledBuffer (length) {
  if (!pooling) return Buffer.allocUnsafeSlow(length) // filled whole by the native module
  if (length > SLAB_SIZE - slabOffset) {
    slab = new ArrayBuffer(SLAB_SIZE)
    // As Node does for its own pool: transferring one result's `.buffer` to a
    // worker would detach the slab under every other result cut from it.
    markAsUntransferable(slab)
    slabOffset = 0
  }
  const b = Buffer.from(slab, slabOffset, length)
  slabOffset += (length + 7) & ~7 // 8-byte aligned, like Node's pool
  return b
}
native._setResultBuilders(fileInfo, pooledBuffer, FILE_INFO_SLOTS)

function setReadBufferPooling (enabled) {
  if (typeof enabled !== 'boolean') {
    const e = new Error(`enabled ${String(enabled)} is not a boolean`)
    e.code = 'invalid_argument'
    throw e
  }
  pooling = enabled
  slab = null
  slabOffset = SLAB_SIZE
}

// napi reports a bad argument type while converting arguments, before sandvol
// runs, with its own status names ('StringExpected', 'InvalidArg', ...). Every
// such error is a bad argument: give it the stable code.
function fixArgError (e) {
  if (e !== null && typeof e === 'object' && !KNOWN.has(e.code)) {
    try { e.code = 'invalid_argument' } catch (_) {}
  }
  return e
}

// Promise-returning methods never throw synchronously: a bad argument rejects.
function wrapAsync (owner, name) {
  const f = owner[name]
  Object.defineProperty(owner, name, {
    value: {
      [name] (...args) {
        try {
          return f.apply(this, args)
        } catch (e) {
          return Promise.reject(fixArgError(e))
        }
      }
    }[name],
    writable: true,
    configurable: true,
    enumerable: false
  })
}

function wrapSync (owner, name) {
  const f = owner[name]
  return {
    [name] (...args) {
      try {
        return f.apply(this, args)
      } catch (e) {
        throw fixArgError(e)
      }
    }
  }[name]
}

// A getter (`sb.id`, `handle.size`, ...) read on a wrong receiver throws
// napi-rs's 'InvalidArg' too; it gets the stable code, as methods do.
function wrapGetter (owner, name, d) {
  const get = d.get
  Object.defineProperty(owner, name, {
    get: Object.getOwnPropertyDescriptor({
      get [name] () {
        try {
          return get.call(this)
        } catch (e) {
          throw fixArgError(e)
        }
      }
    }, name).get,
    set: d.set,
    configurable: true,
    enumerable: d.enumerable
  })
}

for (const cls of [native.Engine, native.Sandbox, native.FileHandle]) {
  const proto = cls.prototype
  for (const name of Object.getOwnPropertyNames(proto)) {
    const d = Object.getOwnPropertyDescriptor(proto, name)
    if (name !== 'constructor' && typeof d.value === 'function') wrapAsync(proto, name)
    else if (d.get) wrapGetter(proto, name, d)
  }
}
// The per-file calls a program makes most have hand-written entry points
// (bindings/node/src/fast.rs: napi-rs's generated glue cost ~1 µs a call);
// they reject rather than throw, so they need no wrapper.
for (const [cls, methods] of [[native.Sandbox, native._fastSandboxMethods()], [native.FileHandle, native._fastFileHandleMethods()]]) {
  for (const [name, f] of Object.entries(methods)) {
    Object.defineProperty(cls.prototype, name, { value: f, writable: true, configurable: true, enumerable: false })
  }
}
// napi defines static members read-only, so the static opener is native
// `_open` and `Engine.open` is added here.
Object.defineProperty(native.Engine, 'open', {
  value: { open: native.Engine._open }.open,
  writable: true,
  configurable: true,
  enumerable: false
})
wrapAsync(native.Engine, 'open')

/** A bootstrap mount of `claimSandbox` (a plain object works as well). */
class MountRequest {
  constructor (ref, mountPoint, opts = {}) {
    if (opts === null || typeof opts !== 'object') {
      const e = new TypeError(`MountRequest options must be an object, got ${typeof opts}`)
      e.code = 'invalid_argument'
      throw e
    }
    this.ref = ref
    this.mountPoint = mountPoint
    if (opts.subpath !== undefined) this.subpath = opts.subpath
    if (opts.readOnly !== undefined) this.readOnly = opts.readOnly
    if (opts.config !== undefined) this.config = opts.config
  }
}

module.exports = {
  Engine: native.Engine,
  Sandbox: native.Sandbox,
  FileHandle: native.FileHandle,
  MountRequest,
  ERROR_CODES,
  setReadBufferPooling,
  version: native.version(),
  // For benchmarks and tests only, not part of the API.
  _private: Object.freeze({
    ...native._benchFunctions(), // readFileSync, writeFileSync, floorSync, floorAsync, floorWriteSync, empty
    rustLoop: wrapSync(native, '_rustLoop'),
    rustLoopOnWorker: native._rustLoopOnWorker,
    rustLatenciesOnWorker: native._rustLatenciesOnWorker,
    panic: native._panicForTest,
    noop: native._noopAsync
  })
}
