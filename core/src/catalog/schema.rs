//! Catalog schema and its migrations; `SCHEMA_VERSION` is stored in `PRAGMA user_version`.

use crate::error::{Error, Result};
use rusqlite::Connection;

/// The schema version this build writes; older catalogs are migrated on open.
pub const SCHEMA_VERSION: i64 = 2;

/// Each entry migrates from version `i` to `i + 1`; entries are never edited once released.
const MIGRATIONS: &[&str] = &[
    // 0 -> 1: the initial schema.
    r#"
    CREATE TABLE meta (
        key          TEXT PRIMARY KEY,
        value        TEXT NOT NULL
    ) WITHOUT ROWID;
    CREATE TABLE volumes (
        rowid        INTEGER PRIMARY KEY AUTOINCREMENT,
        id           TEXT NOT NULL UNIQUE,
        name         TEXT UNIQUE,
        kind         TEXT NOT NULL,              -- 'user' | 'scratch'
        access_mode  TEXT NOT NULL,
        size_limit   INTEGER,
        config       TEXT NOT NULL,              -- JSON VolumeConfig
        labels       TEXT NOT NULL,              -- JSON map
        used_bytes   INTEGER NOT NULL DEFAULT 0,
        file_count   INTEGER NOT NULL DEFAULT 0,
        next_ino     INTEGER NOT NULL DEFAULT 2, -- 1 is the root directory
        change_seq   INTEGER NOT NULL DEFAULT 0,
        created_at   INTEGER NOT NULL,
        updated_at   INTEGER NOT NULL
    );
    CREATE TABLE sandboxes (
        rowid        INTEGER PRIMARY KEY AUTOINCREMENT,
        id           TEXT NOT NULL UNIQUE,
        template     TEXT NOT NULL,
        grp          TEXT,
        state        TEXT NOT NULL,
        labels       TEXT NOT NULL,
        root         TEXT,
        scratch_id   TEXT NOT NULL,
        created_at   INTEGER NOT NULL,
        updated_at   INTEGER NOT NULL
    );
    CREATE TABLE mounts (
        rowid        INTEGER PRIMARY KEY AUTOINCREMENT,
        id           TEXT NOT NULL UNIQUE,
        volume_id    TEXT NOT NULL,
        sandbox_id   TEXT NOT NULL,
        mount_point  TEXT NOT NULL,
        subpath      TEXT NOT NULL,
        read_only    INTEGER NOT NULL,
        config       TEXT NOT NULL,
        state        TEXT NOT NULL,
        bootstrap    INTEGER NOT NULL DEFAULT 0,
        root_ino     INTEGER,                    -- the subpath directory, pinned like a bind mount
        last_error_code    TEXT,
        last_error_message TEXT,
        owner_pid    INTEGER,
        owner_start  INTEGER,
        created_at   INTEGER NOT NULL,
        updated_at   INTEGER NOT NULL
    );
    CREATE INDEX mounts_by_volume ON mounts(volume_id, state);
    CREATE INDEX mounts_by_sandbox ON mounts(sandbox_id, state);
    CREATE TABLE snapshots (
        rowid        INTEGER PRIMARY KEY AUTOINCREMENT,
        id           TEXT NOT NULL UNIQUE,
        volume_id    TEXT NOT NULL,
        name         TEXT,
        used_bytes   INTEGER NOT NULL,
        file_count   INTEGER NOT NULL,
        next_ino     INTEGER NOT NULL,
        created_at   INTEGER NOT NULL,
        UNIQUE(volume_id, name)
    );
    -- A file tree is owned by a volume id or a snapshot id; inode numbers are
    -- local to their owner so a snapshot is a plain copy of rows.
    CREATE TABLE inodes (
        owner        TEXT NOT NULL,
        ino          INTEGER NOT NULL,
        kind         TEXT NOT NULL,              -- 'file' | 'dir' | 'symlink'
        size         INTEGER NOT NULL DEFAULT 0,
        mode         INTEGER NOT NULL,
        version      INTEGER NOT NULL,
        inline_data  BLOB,
        target       TEXT,
        atime        INTEGER NOT NULL,
        mtime        INTEGER NOT NULL,
        ctime        INTEGER NOT NULL,
        PRIMARY KEY(owner, ino)
    ) WITHOUT ROWID;
    CREATE TABLE dentries (
        owner        TEXT NOT NULL,
        parent       INTEGER NOT NULL,
        name         TEXT NOT NULL,
        ino          INTEGER NOT NULL,
        PRIMARY KEY(owner, parent, name)
    ) WITHOUT ROWID;
    CREATE INDEX dentries_by_ino ON dentries(owner, ino);
    CREATE TABLE chunks (
        owner        TEXT NOT NULL,
        ino          INTEGER NOT NULL,
        idx          INTEGER NOT NULL,
        hash         TEXT NOT NULL,
        len          INTEGER NOT NULL,
        PRIMARY KEY(owner, ino, idx)
    ) WITHOUT ROWID;
    CREATE INDEX chunks_by_hash ON chunks(hash);
    CREATE TABLE blocks (
        hash         TEXT PRIMARY KEY,
        size         INTEGER NOT NULL,
        refcount     INTEGER NOT NULL,
        zero_since   INTEGER                     -- when refcount last reached 0 (gc grace)
    ) WITHOUT ROWID;
    CREATE TABLE changes (
        volume_id    TEXT NOT NULL,
        seq          INTEGER NOT NULL,
        path         TEXT NOT NULL,
        kind         TEXT NOT NULL,
        new_path     TEXT,
        at           INTEGER NOT NULL,
        PRIMARY KEY(volume_id, seq)
    ) WITHOUT ROWID;
    "#,
    // 1 -> 2: small files' bytes move out of the inode rows (a 4 KiB blob made every
    // lookup read overflow pages), and a routing version that triggers bump whenever
    // a sandbox or mount row changes, so engines can cache mount tables safely
    // across processes.
    r#"
    CREATE TABLE inline_data (
        owner        TEXT NOT NULL,
        ino          INTEGER NOT NULL,
        data         BLOB NOT NULL,
        PRIMARY KEY(owner, ino)
    );
    INSERT INTO inline_data (owner, ino, data)
        SELECT owner, ino, inline_data FROM inodes WHERE inline_data IS NOT NULL;
    ALTER TABLE inodes ADD COLUMN inline INTEGER NOT NULL DEFAULT 0;
    UPDATE inodes SET inline = 1 WHERE inline_data IS NOT NULL;
    ALTER TABLE inodes DROP COLUMN inline_data;
    INSERT INTO meta (key, value) VALUES ('route_version', '0');
    CREATE TRIGGER route_mounts_ins AFTER INSERT ON mounts BEGIN
        UPDATE meta SET value = value + 1 WHERE key = 'route_version'; END;
    CREATE TRIGGER route_mounts_upd AFTER UPDATE ON mounts BEGIN
        UPDATE meta SET value = value + 1 WHERE key = 'route_version'; END;
    CREATE TRIGGER route_mounts_del AFTER DELETE ON mounts BEGIN
        UPDATE meta SET value = value + 1 WHERE key = 'route_version'; END;
    CREATE TRIGGER route_sandboxes_upd AFTER UPDATE ON sandboxes BEGIN
        UPDATE meta SET value = value + 1 WHERE key = 'route_version'; END;
    CREATE TRIGGER route_sandboxes_del AFTER DELETE ON sandboxes BEGIN
        UPDATE meta SET value = value + 1 WHERE key = 'route_version'; END;
    "#,
];

/// Brings a catalog up to [`SCHEMA_VERSION`], refusing one written by a newer build.
pub fn migrate(conn: &mut Connection) -> Result<()> {
    let tx = conn.transaction_with_behavior(rusqlite::TransactionBehavior::Immediate)?;
    let current: i64 = tx.query_row("PRAGMA user_version", [], |r| r.get(0))?;
    if current > SCHEMA_VERSION {
        return Err(Error::invalid_state(format!(
            "catalog schema version {current} is newer than this build's {SCHEMA_VERSION}"
        )));
    }
    for (v, sql) in MIGRATIONS.iter().enumerate().skip(current as usize) {
        tx.execute_batch(sql)?;
        tx.pragma_update(None, "user_version", v as i64 + 1)?;
    }
    tx.commit()?;
    Ok(())
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn migrations_end_at_schema_version_and_are_idempotent() {
        assert_eq!(MIGRATIONS.len() as i64, SCHEMA_VERSION);
        let mut c = Connection::open_in_memory().unwrap();
        migrate(&mut c).unwrap();
        migrate(&mut c).unwrap();
        let v: i64 = c.query_row("PRAGMA user_version", [], |r| r.get(0)).unwrap();
        assert_eq!(v, SCHEMA_VERSION);
    }

    #[test]
    fn v1_catalogs_migrate_with_their_inline_files() {
        let mut c = Connection::open_in_memory().unwrap();
        c.execute_batch(MIGRATIONS[0]).unwrap();
        c.pragma_update(None, "user_version", 1).unwrap();
        c.execute_batch(
            "INSERT INTO inodes (owner, ino, kind, size, mode, version, inline_data, atime, mtime, ctime)
             VALUES ('vol_a', 2, 'file', 3, 420, 5, x'616263', 0, 0, 0),
                    ('vol_a', 3, 'file', 9000, 420, 6, NULL, 0, 0, 0);",
        )
        .unwrap();
        migrate(&mut c).unwrap();
        let (inline, data): (bool, Vec<u8>) = c
            .query_row(
                "SELECT i.inline, d.data FROM inodes i JOIN inline_data d USING (owner, ino) WHERE i.ino = 2",
                [],
                |r| Ok((r.get(0)?, r.get(1)?)),
            )
            .unwrap();
        assert!(inline);
        assert_eq!(data, b"abc");
        let big: bool = c.query_row("SELECT inline FROM inodes WHERE ino = 3", [], |r| r.get(0)).unwrap();
        assert!(!big);
        let v: i64 = c.query_row("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'route_version'", [], |r| r.get(0)).unwrap();
        c.execute_batch(
            "INSERT INTO mounts (id, volume_id, sandbox_id, mount_point, subpath, read_only, config, state, created_at, updated_at)
             VALUES ('ms_1', 'vol_a', 'sb_1', '/m', '', 0, '{}', 'requested', 0, 0);
             UPDATE mounts SET state = 'mounting';",
        )
        .unwrap();
        let v2: i64 = c.query_row("SELECT CAST(value AS INTEGER) FROM meta WHERE key = 'route_version'", [], |r| r.get(0)).unwrap();
        assert_eq!(v2, v + 2, "every mount change bumps the routing version");
    }

    #[test]
    fn newer_catalog_is_refused() {
        let mut c = Connection::open_in_memory().unwrap();
        c.pragma_update(None, "user_version", SCHEMA_VERSION + 1).unwrap();
        let e = migrate(&mut c).unwrap_err();
        assert_eq!(e.code(), crate::error::ErrorCode::InvalidState);
    }
}
