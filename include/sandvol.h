/*
 * sandvol.h - C API of sandvol, an embeddable engine for sandbox volumes.
 *
 * Link with `pkg-config --cflags --libs sandvol` (shared) or
 * `pkg-config --static --cflags --libs sandvol` (static).
 *
 * CONVENTIONS (every function follows them)
 *
 * Status. Every function that can fail returns int (sandvol_status): SANDVOL_OK
 * (0) or a negative SANDVOL_ERR_* constant, equal to -(code) of the stable
 * error code shared with the Python and Node bindings (sandvol_error_name()
 * gives its snake_case name, e.g. "conflict"). sandvol_last_error_code() and
 * sandvol_last_error_message() describe the last call made on the calling
 * thread (thread-local; the message names the offending value; "" after a
 * successful call). A panic inside the library never crosses the boundary:
 * it becomes SANDVOL_ERR_INTERNAL.
 *
 * Arguments. A NULL pointer where a value is required, a string that is not
 * valid UTF-8, or a length no real buffer can have gives
 * SANDVOL_ERR_INVALID_ARGUMENT and changes nothing. Strings are
 * NUL-terminated UTF-8 and are only read during the call. Byte buffers are
 * passed with an explicit length.
 *
 * Outputs come last, through out-parameters, and are written only on
 * success (untouched on error). Out-parameters documented "may be NULL" can
 * be NULL when the result is not wanted.
 *
 * Ownership. Strings the library returns (char *) are freed with
 * sandvol_string_free, byte buffers (uint8_t *) with sandvol_buffer_free;
 * both accept NULL and must not be called twice on the same pointer. Strings
 * returned as const char * (version, error message, error name) belong to the
 * library and are never freed by the caller.
 *
 * Handles. sandvol_engine and sandvol_file are opaque handles, safe to use
 * from many threads at once. They are tokens checked on every call: using a
 * handle after sandvol_engine_close / sandvol_file_close (or closing it
 * twice) returns SANDVOL_ERR_INVALID_ARGUMENT instead of touching freed
 * memory. Each open handle must be closed exactly once.
 *
 * Option structs carry their `size`: always fill one with its _init function
 * (which sets `size` to the struct's sizeof and every field to its default),
 * then set the fields you need. A struct not initialized that way, or one from
 * a newer header than the library, is SANDVOL_ERR_INVALID_ARGUMENT. An _init
 * function writes the library's sizeof, and structs may grow between
 * versions: build against the header of the library you load.
 * Passing NULL for an options pointer means "all defaults".
 *
 * Targets. File operations take (target_kind, target_id): SANDVOL_TARGET_SANDBOX
 * with a sandbox id addresses sandbox paths, routed through that sandbox's
 * mounts (paths outside every mount land in the sandbox's scratch volume);
 * SANDVOL_TARGET_VOLUME with a volume id or name addresses the volume
 * directly, with no sandbox.
 *
 * STRUCTURED RESULTS are JSON strings (UTF-8, one object or array). Times
 * are integers, ms since the epoch; sizes are integers, bytes; absent
 * optional values are null. Schemas:
 *
 *   Volume       {"id": "vol_...", "name": str|null, "access_mode": "RWO"|"ROX"|"RWX",
 *                 "size_limit": int|null, "config": Config, "labels": {str: str},
 *                 "used_bytes": int, "file_count": int, "created_at": int, "updated_at": int}
 *   Config       {"cache_size": int, "buffer_size": int, "prefetch": int, "writeback": bool}
 *   Sandbox      {"id": "sb_...", "template": str, "group": str|null,
 *                 "state": "running"|"paused"|"released", "labels": {str: str},
 *                 "root": str|null, "created_at": int, "updated_at": int,
 *                 "bootstrap_mounts": [MountSession]}
 *   SandboxInfo  Sandbox without "bootstrap_mounts"
 *   MountSession {"id": "ms_...", "mount_session_id": "ms_..." (same as id),
 *                 "volume_id": str, "sandbox_id": str, "mount_point": str,
 *                 "subpath": str ("" = volume root), "read_only": bool,
 *                 "config": Config (effective), "state": "requested"|"mounting"|
 *                 "mounted"|"paused"|"remounting"|"unmounted"|"releasing"|
 *                 "released"|"failed", "last_error_code": str|null,
 *                 "last_error_message": str|null, "created_at": int, "updated_at": int}
 *   Snapshot     {"id": "snap_...", "volume_id": str, "name": str|null,
 *                 "used_bytes": int, "file_count": int, "created_at": int}
 *   FileInfo     {"path": str, "kind": "file"|"dir"|"symlink", "size": int,
 *                 "mode": int, "version": int, "atime": int, "mtime": int,
 *                 "ctime": int, "target": str|null (symlinks)}
 *   DirEntry     {"name": str, "kind": "file"|"dir"|"symlink", "size": int,
 *                 "version": int, "mtime": int}
 *   Page of T    {"items": [T], "next_cursor": str|null (null on the last page)}
 *
 * sandvol_json_get(json, "/id", &s) extracts one value without a JSON parser.
 */


#ifndef SANDVOL_H
#define SANDVOL_H

/* Generated by cbindgen 0.29.4 from bindings/c (make gen-c). Do not edit by hand. */

#include <stddef.h>
#include <stdint.h>

/**
 * Major version of this library (also in `sandvol_version()`).
 */
#define SANDVOL_VERSION_MAJOR 0

/**
 * Minor version of this library.
 */
#define SANDVOL_VERSION_MINOR 1

/**
 * Patch version of this library.
 */
#define SANDVOL_VERSION_PATCH 0

/**
 * MAJOR * 1000000 + MINOR * 1000 + PATCH, for `#if` comparisons.
 */
#define SANDVOL_VERSION_NUMBER 1000

/**
 * Value of an optional integer field that is not set.
 */
#define SANDVOL_UNSET -1

/**
 * Target kind: paths are sandbox paths, routed through the sandbox's mounts; `target` is a sandbox id.
 */
#define SANDVOL_TARGET_SANDBOX 1

/**
 * Target kind: paths are volume paths of one volume, no sandbox; `target` is a volume id or name.
 */
#define SANDVOL_TARGET_VOLUME 2

/**
 * Write mode: create or replace the whole content (default).
 */
#define SANDVOL_WRITE_TRUNCATE 0

/**
 * Write mode: create, or add to the end.
 */
#define SANDVOL_WRITE_APPEND 1

/**
 * Write mode: create, or write at `offset` (the file grows with zeros if needed).
 */
#define SANDVOL_WRITE_AT 2

/**
 * Write mode: create; SANDVOL_ERR_ALREADY_EXISTS if the path exists.
 */
#define SANDVOL_WRITE_EXCLUSIVE 3

/**
 * An open engine (a data directory). Thread-safe: one handle may be used from many threads.
 */
typedef struct sandvol_engine sandvol_engine;

/**
 * An open file. Thread-safe; calls on one handle are serialized.
 */
typedef struct sandvol_file sandvol_file;

/**
 * Return type of every fallible function: `SANDVOL_OK` (0) or a negative `SANDVOL_ERR_*`.
 */
typedef int sandvol_status;

/**
 * Options of `sandvol_engine_open_with`.
 */
typedef struct sandvol_engine_options {
  /**
   * sizeof(sandvol_engine_options); set by sandvol_engine_options_init.
   */
  size_t size;
  /**
   * Largest chunk stored as one block, fixed per data directory; 0 = default (4 MiB).
   */
  uint64_t block_size;
  /**
   * Files up to this size live inline in the catalog; SANDVOL_UNSET = default (4 KiB).
   */
  int64_t inline_threshold;
  /**
   * "process" (default) or "power"; NULL = default.
   */
  const char *durability;
  /**
   * Replaces the reserved mount-point prefixes when not NULL (`reserved_prefixes_len` entries, may be 0).
   */
  const char *const *reserved_prefixes;
  /**
   * Number of entries in `reserved_prefixes`.
   */
  size_t reserved_prefixes_len;
  /**
   * Milliseconds a write waits for another process's catalog transaction
   * before SANDVOL_ERR_TIMEOUT; SANDVOL_UNSET = default (30000).
   */
  int64_t busy_timeout_ms;
} sandvol_engine_options;

/**
 * Options of `sandvol_write_file`.
 */
typedef struct sandvol_write_options {
  /**
   * sizeof(sandvol_write_options); set by sandvol_write_options_init.
   */
  size_t size;
  /**
   * SANDVOL_WRITE_TRUNCATE (default), _APPEND, _AT or _EXCLUSIVE.
   */
  int mode;
  /**
   * Byte offset for SANDVOL_WRITE_AT.
   */
  uint64_t offset;
  /**
   * Compare-and-swap: write only if the file's version is this (0 = must not exist); SANDVOL_UNSET = always.
   */
  int64_t if_version;
  /**
   * 1 (default) = create missing parent directories, 0 = SANDVOL_ERR_NOT_FOUND if a parent is missing.
   */
  int parents;
} sandvol_write_options;

/**
 * Cache settings of a volume, or a per-mount override; unset fields keep the base value.
 * Sizes are given either as a string with a unit ("1G", "128M", "512MiB", "1.5G")
 * or as bytes in the `_bytes` field, not both.
 */
typedef struct sandvol_config {
  /**
   * sizeof(sandvol_config); set by sandvol_config_init.
   */
  size_t size;
  /**
   * Local block cache for the volume (soft limit); NULL = unset.
   */
  const char *cache_size;
  /**
   * Same in bytes; SANDVOL_UNSET = unset.
   */
  int64_t cache_size_bytes;
  /**
   * Memory for dirty data and read-ahead; NULL = unset.
   */
  const char *buffer_size;
  /**
   * Same in bytes; SANDVOL_UNSET = unset.
   */
  int64_t buffer_size_bytes;
  /**
   * Whole blocks fetched in the background after a cache miss (0 = off); SANDVOL_UNSET = unset.
   */
  int64_t prefetch;
  /**
   * Acknowledge writes once staged locally: 1 on, 0 off, -1 unset.
   */
  int writeback;
} sandvol_config;

/**
 * A mount request (`sandvol_mount`) or a bootstrap mount (`sandvol_claim_options.mounts`).
 */
typedef struct sandvol_mount_request {
  /**
   * sizeof(sandvol_mount_request); set by sandvol_mount_request_init.
   */
  size_t size;
  /**
   * Volume id or name; required.
   */
  const char *volume;
  /**
   * Absolute mount point in the sandbox; required.
   */
  const char *mount_point;
  /**
   * Directory of the volume to mount instead of its root; NULL = root.
   */
  const char *subpath;
  /**
   * 1 read-only, 0 read-write, -1 = read-only only if the access mode demands it (ROX).
   */
  int read_only;
  /**
   * Per-mount cache settings; NULL = the volume's.
   */
  const struct sandvol_config *config;
} sandvol_mount_request;

/**
 * Options of `sandvol_volume_create` and `sandvol_snapshot_fork`.
 */
typedef struct sandvol_volume_options {
  /**
   * sizeof(sandvol_volume_options); set by sandvol_volume_options_init.
   */
  size_t size;
  /**
   * Unique name (may not look like an id); NULL = unnamed.
   */
  const char *name;
  /**
   * "RWO" (default), "ROX" or "RWX" (or the Kubernetes long names); NULL = default.
   */
  const char *access_mode;
  /**
   * Size limit with a unit ("10G"); NULL = unset.
   */
  const char *size_limit;
  /**
   * Size limit in bytes; SANDVOL_UNSET = unset.
   */
  int64_t size_limit_bytes;
  /**
   * Labels as a JSON object of strings, e.g. {"team":"ml"}; NULL = none.
   */
  const char *labels_json;
  /**
   * Cache settings on top of the defaults; NULL = defaults.
   */
  const struct sandvol_config *config;
} sandvol_volume_options;

/**
 * Options of `sandvol_volume_update_options`; unset fields stay as they are.
 */
typedef struct sandvol_volume_update_options {
  /**
   * sizeof(sandvol_volume_update_options); set by sandvol_volume_update_options_init.
   */
  size_t size;
  /**
   * Replaces all labels (JSON object of strings; "{}" clears them); NULL = keep.
   */
  const char *labels_json;
  /**
   * New size limit with a unit; NULL = unset.
   */
  const char *size_limit;
  /**
   * New size limit in bytes; SANDVOL_UNSET = unset.
   */
  int64_t size_limit_bytes;
  /**
   * 1 = remove the size limit (then no new limit may be given).
   */
  int clear_size_limit;
  /**
   * Cache settings to change (for mounts made afterwards); NULL = keep.
   */
  const struct sandvol_config *config;
} sandvol_volume_update_options;

/**
 * Options of `sandvol_sandbox_claim`.
 */
typedef struct sandvol_claim_options {
  /**
   * sizeof(sandvol_claim_options); set by sandvol_claim_options_init.
   */
  size_t size;
  /**
   * Group for RWO sharing; NULL = none.
   */
  const char *group;
  /**
   * Labels as a JSON object of strings; NULL = none.
   */
  const char *labels_json;
  /**
   * Host directory where real mounts are materialized; NULL = none.
   */
  const char *root;
  /**
   * Bootstrap mounts (`mounts_len` structs, each set up with sandvol_mount_request_init); may be NULL when mounts_len is 0.
   */
  const struct sandvol_mount_request *mounts;
  /**
   * Number of bootstrap mounts.
   */
  size_t mounts_len;
  /**
   * 1 = wait until every bootstrap mount is mounted or failed (the claim succeeds either way).
   */
  int wait_for_mounts;
  /**
   * How long to wait in ms; SANDVOL_UNSET = default (30000).
   */
  int64_t mount_wait_timeout_ms;
} sandvol_claim_options;

/**
 * Success.
 */
#define SANDVOL_OK 0

/**
 * Bad path, size string, access mode, option, NULL pointer, non-UTF-8 string or absurd length (HTTP 400).
 */
#define SANDVOL_ERR_INVALID_ARGUMENT -1

/**
 * Volume, snapshot, sandbox, mount session or file missing (404).
 */
#define SANDVOL_ERR_NOT_FOUND -2

/**
 * Name taken, or exclusive create of an existing file (409).
 */
#define SANDVOL_ERR_ALREADY_EXISTS -3

/**
 * Volume in use, mount path in use, version mismatch (409).
 */
#define SANDVOL_ERR_CONFLICT -4

/**
 * Mount request against the volume's access mode (409).
 */
#define SANDVOL_ERR_ACCESS_MODE -5

/**
 * Write through a read-only mount, or the ROX rule (403).
 */
#define SANDVOL_ERR_READ_ONLY -6

/**
 * Reserved path or escape attempt (403).
 */
#define SANDVOL_ERR_PERMISSION -7

/**
 * Operation not allowed in the current state (409).
 */
#define SANDVOL_ERR_INVALID_STATE -8

/**
 * size_limit reached (507).
 */
#define SANDVOL_ERR_QUOTA -9

/**
 * A wait ran out, e.g. another process held the catalog's write lock too long (504).
 */
#define SANDVOL_ERR_TIMEOUT -10

/**
 * A path component that must be a directory is not one.
 */
#define SANDVOL_ERR_NOT_A_DIRECTORY -11

/**
 * A file operation was aimed at a directory.
 */
#define SANDVOL_ERR_IS_A_DIRECTORY -12

/**
 * Removing a directory that still has entries without `recursive`.
 */
#define SANDVOL_ERR_DIRECTORY_NOT_EMPTY -13

/**
 * Rename across volumes.
 */
#define SANDVOL_ERR_CROSS_DEVICE -14

/**
 * Backend or disk failure (500).
 */
#define SANDVOL_ERR_IO -15

/**
 * Hash mismatch or damaged catalog (500).
 */
#define SANDVOL_ERR_CORRUPT -16

/**
 * A bug inside sandvol: a panic caught at the C boundary (500).
 */
#define SANDVOL_ERR_INTERNAL -17

#ifdef __cplusplus
extern "C" {
#endif // __cplusplus

/**
 * Opens (creating if needed) a data directory with default options.
 *
 * `path` NULL means `$SANDVOL_HOME` if set and not empty, else `./sandvol-data`; "" is invalid. On success
 * `*out_engine` receives a handle to close with sandvol_engine_close. Several
 * handles, threads and processes may use one data directory at once.
 */
sandvol_status sandvol_engine_open(const char *path,
                                   struct sandvol_engine **out_engine);

/**
 * Opens a data directory with options (`opts` NULL = defaults; see sandvol_engine_options).
 * `path` NULL means `$SANDVOL_HOME` if set and not empty, else `./sandvol-data`; "" is invalid.
 */
sandvol_status sandvol_engine_open_with(const char *path,
                                        const struct sandvol_engine_options *opts,
                                        struct sandvol_engine **out_engine);

/**
 * Waits for background work, closes the engine and releases the handle.
 *
 * NULL is allowed and does nothing. The handle is released even when closing
 * reports an error. Must not be called twice; if it is, the second call
 * touches nothing and returns SANDVOL_ERR_INVALID_ARGUMENT (handles are never
 * reused), as does any later use of the handle. Calls already running on other
 * threads finish or fail with SANDVOL_ERR_INVALID_STATE. Open sandvol_file
 * handles of this engine must still be closed with sandvol_file_close.
 */
sandvol_status sandvol_engine_close(struct sandvol_engine *engine);

/**
 * The data directory the engine opened; `*out_path` is freed with sandvol_string_free.
 */
sandvol_status sandvol_engine_data_dir(const struct sandvol_engine *engine, char **out_path);

/**
 * Engine-wide counters. JSON: {"volumes", "sandboxes", "active_mounts",
 * "blocks", "block_bytes", "used_bytes"} (all integers; sandboxes = not released).
 */
sandvol_status sandvol_stats(const struct sandvol_engine *engine, char **out_json);

/**
 * Deletes blocks nothing references once unreferenced for `grace_ms`
 * (SANDVOL_UNSET = the default 600000 ms). JSON (`out_json` may be NULL):
 * {"blocks_deleted": int, "bytes_freed": int}.
 */
sandvol_status sandvol_gc(const struct sandvol_engine *engine, int64_t grace_ms, char **out_json);

/**
 * Checks the catalog against the block store. JSON: {"clean": bool,
 * "dangling": [str], "leaked_blocks": [str], "refcount_drift": [str],
 * "counter_drift": [str], "orphans": [str]}; "clean" is true when nothing but
 * leaked blocks (harmless until gc) was found. Findings are not an error.
 */
sandvol_status sandvol_fsck(const struct sandvol_engine *engine, char **out_json);

/**
 * Message of the last failed call on this thread, or "" when the last call succeeded.
 *
 * The message names the offending value. The pointer is owned by the library
 * and stays valid until the next sandvol call on this thread; do not free it.
 */
const char *sandvol_last_error_message(void);

/**
 * Status of the last call on this thread: `SANDVOL_OK` or the `SANDVOL_ERR_*` it returned.
 */
sandvol_status sandvol_last_error_code(void);

/**
 * The stable snake_case name of a status ("ok", "conflict", ...; the `code`
 * string of the Python and Node bindings), or "unknown" for any other value.
 * The string is static; do not free it.
 */
const char *sandvol_error_name(sandvol_status status);

/**
 * The library version ("MAJOR.MINOR.PATCH", the crate version), a static string; do not free it.
 */
const char *sandvol_version(void);

/**
 * Reads a whole file. `*out_data` (never NULL on success, even when empty)
 * is freed with sandvol_buffer_free; `*out_len` receives its length.
 */
sandvol_status sandvol_read_file(const struct sandvol_engine *engine,
                                 int target_kind,
                                 const char *target_id,
                                 const char *path,
                                 uint8_t **out_data,
                                 size_t *out_len);

/**
 * Reads up to `len` bytes at `offset` (fewer at the end of the file; none past it).
 * Ownership as sandvol_read_file.
 */
sandvol_status sandvol_read_range(const struct sandvol_engine *engine,
                                  int target_kind,
                                  const char *target_id,
                                  const char *path,
                                  uint64_t offset,
                                  uint64_t len,
                                  uint8_t **out_data,
                                  size_t *out_len);

/**
 * Writes `len` bytes (`data` may be NULL when `len` is 0) atomically: readers
 * see the old or the new content. `opts` NULL = create or replace, creating
 * parent directories. With `if_version` the write is a compare-and-swap
 * failing with SANDVOL_ERR_CONFLICT on a version mismatch. Writes through a
 * read-only mount fail with SANDVOL_ERR_READ_ONLY, past size_limit with
 * SANDVOL_ERR_QUOTA, and change nothing. `*out_json` (may be NULL) receives
 * the new FileInfo JSON.
 */
sandvol_status sandvol_write_file(const struct sandvol_engine *engine,
                                  int target_kind,
                                  const char *target_id,
                                  const char *path,
                                  const uint8_t *data,
                                  size_t len,
                                  const struct sandvol_write_options *opts,
                                  char **out_json);

/**
 * File info; a symlink is reported as itself (like lstat). JSON: FileInfo.
 */
sandvol_status sandvol_stat(const struct sandvol_engine *engine,
                            int target_kind,
                            const char *target_id,
                            const char *path,
                            char **out_json);

/**
 * `*out_exists` = 1 when the path exists (a dangling symlink exists), else 0.
 */
sandvol_status sandvol_exists(const struct sandvol_engine *engine,
                              int target_kind,
                              const char *target_id,
                              const char *path,
                              int *out_exists);

/**
 * Lists a directory in name order, one page at a time: `limit` 0 = default
 * (1000, at most 10000), `cursor` NULL = first page, else the previous page's
 * "next_cursor". JSON: {"items": [DirEntry], "next_cursor": str|null}.
 */
sandvol_status sandvol_list_dir(const struct sandvol_engine *engine,
                                int target_kind,
                                const char *target_id,
                                const char *path,
                                size_t limit,
                                const char *cursor,
                                char **out_json);

/**
 * Creates a directory; with `parents` non-zero, missing parents too and no
 * error if it exists. `*out_json` (may be NULL) receives the FileInfo JSON.
 */
sandvol_status sandvol_mkdir(const struct sandvol_engine *engine,
                             int target_kind,
                             const char *target_id,
                             const char *path,
                             int parents,
                             char **out_json);

/**
 * Removes a file, symlink or directory; a non-empty directory needs
 * `recursive` non-zero (else SANDVOL_ERR_DIRECTORY_NOT_EMPTY).
 */
sandvol_status sandvol_remove(const struct sandvol_engine *engine,
                              int target_kind,
                              const char *target_id,
                              const char *path,
                              int recursive);

/**
 * Renames atomically within one volume (replacing a file or an empty
 * directory at `dst`); across volumes SANDVOL_ERR_CROSS_DEVICE. `*out_json`
 * (may be NULL) receives the FileInfo JSON of `dst`.
 */
sandvol_status sandvol_rename(const struct sandvol_engine *engine,
                              int target_kind,
                              const char *target_id,
                              const char *src,
                              const char *dst,
                              char **out_json);

/**
 * Creates a symlink at `link` pointing to `link_target` (stored as given,
 * only ever resolved inside the volume). `*out_json` (may be NULL) receives
 * the FileInfo JSON of the link.
 */
sandvol_status sandvol_symlink(const struct sandvol_engine *engine,
                               int target_kind,
                               const char *target_id,
                               const char *link_target,
                               const char *link,
                               char **out_json);

/**
 * The target of a symlink as stored; `*out_target` is freed with sandvol_string_free.
 */
sandvol_status sandvol_readlink(const struct sandvol_engine *engine,
                                int target_kind,
                                const char *target_id,
                                const char *path,
                                char **out_target);

/**
 * Sets the access and/or modification time, in ms since the epoch; a NULL
 * time pointer leaves that time as it is. `*out_json` (may be NULL) receives
 * the FileInfo JSON.
 */
sandvol_status sandvol_set_times(const struct sandvol_engine *engine,
                                 int target_kind,
                                 const char *target_id,
                                 const char *path,
                                 const int64_t *atime_ms,
                                 const int64_t *mtime_ms,
                                 char **out_json);

/**
 * Opens a file for positional reads and writes. `mode` is fopen-style: "r",
 * "r+", "w", "w+", "a", "a+", "x", "x+" (a "b" is ignored). Close the handle
 * with sandvol_file_close; writes are published by sandvol_file_flush or close.
 */
sandvol_status sandvol_file_open(const struct sandvol_engine *engine,
                                 int target_kind,
                                 const char *target_id,
                                 const char *path,
                                 const char *mode,
                                 struct sandvol_file **out_file);

/**
 * Reads up to `buf_len` bytes at `offset` into the caller's `buf` (which may
 * be NULL when `buf_len` is 0), seeing this handle's unflushed writes;
 * `*out_read` receives the count (0 at or past the end of the file).
 */
sandvol_status sandvol_file_read_at(const struct sandvol_file *file,
                                    uint64_t offset,
                                    uint8_t *buf,
                                    size_t buf_len,
                                    size_t *out_read);

/**
 * Writes `len` bytes at `offset` (at the end for "a" handles). Data is
 * buffered up to the mount's buffer_size, then flushed as blocks.
 * `*out_written` (may be NULL) receives the count.
 */
sandvol_status sandvol_file_write_at(const struct sandvol_file *file,
                                     uint64_t offset,
                                     const uint8_t *data,
                                     size_t len,
                                     size_t *out_written);

/**
 * Publishes buffered writes: blocks to the store, then one metadata commit.
 */
sandvol_status sandvol_file_flush(const struct sandvol_file *file);

/**
 * Current size of the file, including this handle's unflushed writes.
 */
sandvol_status sandvol_file_size(const struct sandvol_file *file, uint64_t *out_size);

/**
 * The file's committed info. JSON: FileInfo.
 */
sandvol_status sandvol_file_stat(const struct sandvol_file *file, char **out_json);

/**
 * Flushes, closes and releases a file handle; returns the flush result (the
 * handle is released either way). NULL is allowed and does nothing. Must not
 * be called twice; if it is, the second call touches nothing and returns
 * SANDVOL_ERR_INVALID_ARGUMENT, as does any later use of the handle.
 */
sandvol_status sandvol_file_close(struct sandvol_file *file);

/**
 * Looks up one value in a JSON document by JSON Pointer (RFC 6901), e.g.
 * "/id", "/bootstrap_mounts/0/state", "/items/2/name".
 *
 * A string value is returned without quotes; any other value (number, bool,
 * null, object, array) as compact JSON text. `*out_value` is freed with
 * sandvol_string_free. Errors: SANDVOL_ERR_INVALID_ARGUMENT when `json` is not
 * JSON, SANDVOL_ERR_NOT_FOUND when nothing is at `pointer`.
 */
sandvol_status sandvol_json_get(const char *json, const char *pointer, char **out_value);

/**
 * Frees a string returned by the library (JSON results, ids, symlink targets).
 *
 * NULL is allowed and does nothing. Must not be called twice on the same
 * string, and must not be given a string the library did not return.
 */
void sandvol_string_free(char *s);

/**
 * Frees a byte buffer returned by the library (file contents).
 *
 * NULL is allowed and does nothing. Must not be called twice on the same
 * buffer, and must not be given a pointer the library did not return.
 */
void sandvol_buffer_free(uint8_t *data);

/**
 * Mounts a volume into a running sandbox and returns the mounted session.
 *
 * Rule violations (reserved or taken mount point, access mode) fail before
 * anything is persisted. A failure while attaching leaves the session
 * "failed" (visible in sandvol_mount_status) and returns the error.
 * `*out_json` (may be NULL) receives the MountSession JSON.
 */
sandvol_status sandvol_mount(const struct sandvol_engine *engine,
                             const char *sandbox_id,
                             const struct sandvol_mount_request *request,
                             char **out_json);

/**
 * Flushes, detaches and releases one mount session (mounted or paused).
 * `volume_ref` must name the session's volume (else SANDVOL_ERR_NOT_FOUND);
 * a session that is no longer mounted or paused gives SANDVOL_ERR_INVALID_STATE.
 * `*out_json` (may be NULL) receives the MountSession JSON (state "released").
 */
sandvol_status sandvol_unmount(const struct sandvol_engine *engine,
                               const char *sandbox_id,
                               const char *volume_ref,
                               const char *mount_session_id,
                               char **out_json);

/**
 * Every mount session of a sandbox (any state), oldest first. JSON: [MountSession].
 */
sandvol_status sandvol_mount_status(const struct sandvol_engine *engine,
                                    const char *sandbox_id,
                                    char **out_json);

/**
 * One mount session by id. JSON: MountSession.
 */
sandvol_status sandvol_mount_get(const struct sandvol_engine *engine,
                                 const char *mount_session_id,
                                 char **out_json);

/**
 * Sets every field of `opts` to its default and `size` to sizeof(sandvol_config).
 */
sandvol_status sandvol_config_init(struct sandvol_config *opts);

/**
 * Sets every field of `opts` to its default and `size` to sizeof(sandvol_engine_options).
 */
sandvol_status sandvol_engine_options_init(struct sandvol_engine_options *opts);

/**
 * Sets every field of `opts` to its default and `size` to sizeof(sandvol_volume_options).
 */
sandvol_status sandvol_volume_options_init(struct sandvol_volume_options *opts);

/**
 * Sets every field of `opts` to its default and `size` to sizeof(sandvol_volume_update_options).
 */
sandvol_status sandvol_volume_update_options_init(struct sandvol_volume_update_options *opts);

/**
 * Sets every field of `opts` to its default and `size` to sizeof(sandvol_mount_request).
 */
sandvol_status sandvol_mount_request_init(struct sandvol_mount_request *opts);

/**
 * Sets every field of `opts` to its default and `size` to sizeof(sandvol_claim_options).
 */
sandvol_status sandvol_claim_options_init(struct sandvol_claim_options *opts);

/**
 * Sets every field of `opts` to its default and `size` to sizeof(sandvol_write_options).
 */
sandvol_status sandvol_write_options_init(struct sandvol_write_options *opts);

/**
 * Claims a running sandbox from `template`, with optional bootstrap mounts
 * (`opts` NULL = none).
 *
 * Bootstrap mounts attach in the background; with `wait_for_mounts` the call
 * waits up to `mount_wait_timeout_ms` for each to be mounted or failed and
 * returns their states either way (a failed mount never fails the claim: look
 * at "bootstrap_mounts"[i]."state" and "last_error_code"). `*out_json` (may
 * be NULL) receives the Sandbox JSON; "id" is the sandbox id used by every
 * other sandbox call.
 */
sandvol_status sandvol_sandbox_claim(const struct sandvol_engine *engine,
                                     const char *template_name,
                                     const struct sandvol_claim_options *opts,
                                     char **out_json);

/**
 * A sandbox by id (any state, released ones included). JSON: Sandbox.
 */
sandvol_status sandvol_sandbox_get(const struct sandvol_engine *engine,
                                   const char *sandbox_id,
                                   char **out_json);

/**
 * Every sandbox, oldest first (released ones included). JSON: [SandboxInfo]
 * (a Sandbox without "bootstrap_mounts").
 */
sandvol_status sandvol_sandbox_list(const struct sandvol_engine *engine, char **out_json);

/**
 * Pauses a running sandbox: every mounted session becomes "paused" and file
 * operations fail with SANDVOL_ERR_INVALID_STATE until resumed.
 * `*out_json` (may be NULL) receives the SandboxInfo JSON.
 */
sandvol_status sandvol_sandbox_pause(const struct sandvol_engine *engine,
                                     const char *sandbox_id,
                                     char **out_json);

/**
 * Resumes a paused sandbox: every paused session goes remounting -> mounted
 * (or failed). `*out_json` (may be NULL) receives the SandboxInfo JSON.
 */
sandvol_status sandvol_sandbox_resume(const struct sandvol_engine *engine,
                                      const char *sandbox_id,
                                      char **out_json);

/**
 * Releases a sandbox (from any process): unmounts every session, drops its
 * scratch volume, marks it "released". `*out_json` (may be NULL) receives the
 * SandboxInfo JSON.
 */
sandvol_status sandvol_sandbox_release(const struct sandvol_engine *engine,
                                       const char *sandbox_id,
                                       char **out_json);

/**
 * Snapshots a volume (O(metadata); blocks are shared). `name` NULL = unnamed;
 * names are unique per volume. `*out_json` (may be NULL) receives the Snapshot JSON.
 */
sandvol_status sandvol_snapshot_create(const struct sandvol_engine *engine,
                                       const char *volume_ref,
                                       const char *name,
                                       char **out_json);

/**
 * Snapshots of a volume, oldest first. JSON: [Snapshot].
 */
sandvol_status sandvol_snapshot_list(const struct sandvol_engine *engine,
                                     const char *volume_ref,
                                     char **out_json);

/**
 * One snapshot by id. JSON: Snapshot.
 */
sandvol_status sandvol_snapshot_get(const struct sandvol_engine *engine,
                                    const char *snapshot_id,
                                    char **out_json);

/**
 * Rewinds the snapshot's volume in place; SANDVOL_ERR_CONFLICT while a
 * read-write mount of it is active. `*out_json` (may be NULL) receives the Volume JSON.
 */
sandvol_status sandvol_snapshot_restore(const struct sandvol_engine *engine,
                                        const char *snapshot_id,
                                        char **out_json);

/**
 * Creates a new volume from a snapshot, with the source volume's settings
 * unless `opts` (NULL = none) overrides them. `*out_json` (may be NULL)
 * receives the new Volume JSON.
 */
sandvol_status sandvol_snapshot_fork(const struct sandvol_engine *engine,
                                     const char *snapshot_id,
                                     const struct sandvol_volume_options *opts,
                                     char **out_json);

/**
 * Deletes a snapshot; blocks only it referenced become garbage for sandvol_gc.
 */
sandvol_status sandvol_snapshot_delete(const struct sandvol_engine *engine,
                                       const char *snapshot_id);

/**
 * Creates a volume (`opts` NULL = an unnamed RWO volume with default config).
 * `*out_json` (may be NULL) receives the Volume JSON.
 */
sandvol_status sandvol_volume_create(const struct sandvol_engine *engine,
                                     const struct sandvol_volume_options *opts,
                                     char **out_json);

/**
 * A volume by id or exact name. `*out_json` receives the Volume JSON.
 */
sandvol_status sandvol_volume_get(const struct sandvol_engine *engine,
                                  const char *volume_ref,
                                  char **out_json);

/**
 * Volumes in creation order, one page at a time.
 *
 * `labels_json` (NULL = no filter) is a JSON object of strings every returned
 * volume must carry; `limit` 0 = default page size (100, at most 1000);
 * `cursor` NULL = first page, else the previous page's "next_cursor".
 * JSON: {"items": [Volume], "next_cursor": str|null}.
 */
sandvol_status sandvol_volume_list(const struct sandvol_engine *engine,
                                   const char *labels_json,
                                   size_t limit,
                                   const char *cursor,
                                   char **out_json);

/**
 * Changes labels, size limit or config of a volume (see sandvol_volume_update_options;
 * NULL = change nothing). `*out_json` (may be NULL) receives the new Volume JSON.
 */
sandvol_status sandvol_volume_update(const struct sandvol_engine *engine,
                                     const char *volume_ref,
                                     const struct sandvol_volume_update_options *update,
                                     char **out_json);

/**
 * Deletes a volume with its snapshots.
 *
 * While a mount session of the volume is active it fails with
 * SANDVOL_ERR_CONFLICT and changes nothing, unless `force` is non-zero: then
 * those sessions become "failed" with last_error_code "force_detached" first.
 */
sandvol_status sandvol_volume_delete(const struct sandvol_engine *engine,
                                     const char *volume_ref,
                                     int force);

/**
 * Changes of a volume with a sequence number above `since`, oldest first, at
 * most `limit` (0 = default 1000). JSON: [{"seq": int, "path": str (from the
 * volume root), "kind": "write"|"mkdir"|"symlink"|"remove"|"rename"|"setattr"|"restore",
 * "new_path": str|null, "at": int}].
 */
sandvol_status sandvol_volume_changes(const struct sandvol_engine *engine,
                                      const char *volume_ref,
                                      uint64_t since,
                                      size_t limit,
                                      char **out_json);

#ifdef __cplusplus
}  // extern "C"
#endif  // __cplusplus

#endif  /* SANDVOL_H */

/* The version as a string, e.g. "0.1.0"; equal to what sandvol_version() returns. */
#define SANDVOL_STRINGIFY_(x) #x
#define SANDVOL_STRINGIFY(x) SANDVOL_STRINGIFY_(x)
#define SANDVOL_VERSION SANDVOL_STRINGIFY(SANDVOL_VERSION_MAJOR) "." \
    SANDVOL_STRINGIFY(SANDVOL_VERSION_MINOR) "." SANDVOL_STRINGIFY(SANDVOL_VERSION_PATCH)
