//! Sandbox filesystem, block store, snapshots, gc/fsck and the change feed
//! (DESIGN.md "Sandbox filesystem", "Snapshots", "Data layout").

mod common;

use common::*;
use sandvol_core::*;
use std::collections::BTreeSet;
use std::io::{BufRead, BufReader};
use std::sync::Arc;
use std::time::Duration;

const BS: u64 = 64 << 10;

fn setup() -> (tempfile::TempDir, Engine, Sandbox) {
    let d = tempfile::tempdir().unwrap();
    let e = small_blocks(d.path());
    vol(&e, "v", AccessMode::ReadWriteMany);
    let sb = claim(&e);
    sb.mount(mount_req("v", "/v")).unwrap();
    (d, e, sb)
}

fn store_files(d: &std::path::Path) -> BTreeSet<String> {
    let mut out = BTreeSet::new();
    for sub in std::fs::read_dir(d.join("blocks")).unwrap() {
        let sub = sub.unwrap();
        if sub.file_name() == "tmp" {
            continue;
        }
        for f in std::fs::read_dir(sub.path()).unwrap() {
            out.insert(f.unwrap().file_name().into_string().unwrap());
        }
    }
    out
}

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(31).wrapping_add(seed) ^ (i >> 13) as u8).collect()
}

/// A volume whose handles buffer 256 KiB (four 64 KiB blocks), so a few
/// blocks of writes already spill batches.
fn small_buffer_volume(e: &Engine, name: &str) {
    let config = ConfigOverride { buffer_size: Some("256K".into()), ..Default::default() };
    e.create_volume(CreateVolume { name: Some(name.into()), config, ..Default::default() }).unwrap();
}

fn opts(mode: WriteMode) -> WriteOptions {
    WriteOptions { mode, ..Default::default() }
}

#[test]
fn write_modes_and_ranges() {
    let (_d, e, sb) = setup();
    let at = Target::Sandbox(sb.id());
    let a = sb.write_file("/v/f", b"hello").unwrap();
    assert_eq!((a.size, a.kind), (5, FileKind::File));
    let b = e.write_file(at, "/v/f", b" world", &opts(WriteMode::Append)).unwrap();
    assert!(b.version > a.version);
    assert_eq!(sb.read_file("/v/f").unwrap(), b"hello world");
    e.write_file(at, "/v/f", b"W", &opts(WriteMode::At(6))).unwrap();
    assert_eq!(sb.read_file("/v/f").unwrap(), b"hello World");
    e.write_file(at, "/v/f", b"!", &opts(WriteMode::At(14))).unwrap();
    assert_eq!(sb.read_file("/v/f").unwrap(), b"hello World\0\0\0!");
    assert_eq!(sb.read_range("/v/f", 6, 5).unwrap(), b"World");
    assert_eq!(sb.read_range("/v/f", 100, 5).unwrap(), b"");
    assert_eq!(code(e.write_file(at, "/v/f", b"x", &opts(WriteMode::Exclusive))), ErrorCode::AlreadyExists);
    assert_eq!(sb.read_file("/v/f").unwrap(), b"hello World\0\0\0!", "refused exclusive write changed nothing");
    e.write_file(at, "/v/new", b"x", &opts(WriteMode::Exclusive)).unwrap();
    let no_parents = WriteOptions { parents: false, ..Default::default() };
    assert_eq!(code(e.write_file(at, "/v/a/b/c", b"x", &no_parents)), ErrorCode::NotFound);
    sb.write_file("/v/a/b/c", b"parents made").unwrap();
    assert_eq!(sb.stat("/v/a/b").unwrap().kind, FileKind::Dir);
    assert_eq!(code(sb.write_file("/v/a", b"x")), ErrorCode::IsADirectory);
    assert_eq!(code(sb.write_file("/v/a/b/c/d", b"x")), ErrorCode::NotADirectory);
    assert_eq!(code(sb.read_file("/v/a")), ErrorCode::IsADirectory);
    assert_eq!(code(sb.read_file("/v/nope")), ErrorCode::NotFound);
}

#[test]
fn inline_files_grow_into_blocks_and_shrink_back() {
    let (d, e, sb) = setup();
    let at = Target::Sandbox(sb.id());
    sb.write_file("/v/small", &[7u8; 4096]).unwrap();
    assert!(store_files(d.path()).is_empty(), "files up to 4 KiB live in the catalog");
    e.write_file(at, "/v/small", &[8u8; 10], &opts(WriteMode::Append)).unwrap();
    let mut want = vec![7u8; 4096];
    want.extend([8u8; 10]);
    assert_eq!(sb.read_file("/v/small").unwrap(), want);
    assert_eq!(store_files(d.path()).len(), 1);
    sb.write_file("/v/small", b"tiny again").unwrap();
    assert_eq!(sb.read_file("/v/small").unwrap(), b"tiny again");
    assert!(e.fsck().unwrap().is_clean());
}

#[test]
fn large_file_through_a_handle_read_back_by_range() {
    let (_d, e, sb) = setup();
    let data = pattern((3 * BS + 12_345) as usize, 1);
    let h = sb.open_file("/v/big", OpenOptions::from_mode("w").unwrap()).unwrap();
    for piece in data.chunks(10_000) {
        h.write_at(h.size(), piece).unwrap();
    }
    assert!(h.dirty_bytes() <= (32 << 20) + BS);
    h.close().unwrap();
    assert_eq!(code(h.write_at(0, b"x")), ErrorCode::InvalidState);
    let info = sb.stat("/v/big").unwrap();
    assert_eq!(info.size, data.len() as u64);
    for (off, len) in [(0u64, 10u64), (BS - 3, 6), (2 * BS + 5, BS), (3 * BS, 20_000), (0, data.len() as u64)] {
        let end = (off + len).min(data.len() as u64);
        assert_eq!(sb.read_range("/v/big", off, len).unwrap(), &data[off as usize..end as usize], "range {off}+{len}");
    }
    // Read through a handle, including its own unflushed writes.
    let h = sb.open_file("/v/big", OpenOptions::from_mode("r+").unwrap()).unwrap();
    h.write_at(BS, b"PATCH").unwrap();
    assert_eq!(h.read_at(BS - 1, 7).unwrap(), [&data[BS as usize - 1..BS as usize], b"PATCH", &data[BS as usize + 5..BS as usize + 6]].concat());
    assert_eq!(sb.read_range("/v/big", BS, 5).unwrap(), &data[BS as usize..BS as usize + 5], "not published before flush");
    h.flush().unwrap();
    assert_eq!(sb.read_range("/v/big", BS, 5).unwrap(), b"PATCH");
    drop(h);
    assert_eq!(e.get_volume("v").unwrap().used_bytes, data.len() as u64);
    assert!(e.fsck().unwrap().is_clean());
}

/// One `write_at` larger than a write batch into a new (or truncated) file:
/// the batches it spills mid-call keep their bytes. (A spill once took the
/// still-empty file for an inline one, published it empty and dropped the
/// first batch's chunks: the start of the file read back as zeros.)
#[test]
fn one_large_write_at_into_an_empty_file_keeps_every_byte() {
    let d = tempfile::tempdir().unwrap();
    let e = small_blocks(d.path());
    small_buffer_volume(&e, "b");
    // 16 blocks in one call: four batches of a quarter of buffer_size each.
    let data = pattern((16 * BS + 777) as usize, 9);
    for mode in ["w", "w+", "x"] {
        let path = format!("/one-{mode}");
        let h = e.open_file(Target::Volume("b"), &path, OpenOptions::from_mode(mode).unwrap()).unwrap();
        assert_eq!(h.write_at(0, &data).unwrap(), data.len() as u64);
        h.close().unwrap();
        assert!(e.read_file(Target::Volume("b"), &path).unwrap() == data, "mode {mode}: bytes differ");
    }
    // The same over a small (inline) file that the write grows out of the catalog.
    e.write_file(Target::Volume("b"), "/grow", b"tiny", &WriteOptions::default()).unwrap();
    let h = e.open_file(Target::Volume("b"), "/grow", OpenOptions::from_mode("r+").unwrap()).unwrap();
    h.write_at(2, &data).unwrap();
    h.close().unwrap();
    assert!(e.read_file(Target::Volume("b"), "/grow").unwrap() == [&b"ti"[..], &data].concat(), "grown file's bytes differ");
    assert!(e.fsck().unwrap().is_clean());
}

#[test]
fn handle_buffer_bounds_memory() {
    let d = tempfile::tempdir().unwrap();
    let e = small_blocks(d.path());
    small_buffer_volume(&e, "b");
    let h = e.open_file(Target::Volume("b"), "/stream", OpenOptions::from_mode("w").unwrap()).unwrap();
    let piece = vec![3u8; 10_000];
    let mut peak = 0;
    for _ in 0..200 {
        h.write_at(h.size(), &piece).unwrap();
        peak = peak.max(h.dirty_bytes());
    }
    assert!(peak <= (256 << 10) + BS, "dirty bytes peaked at {peak}");
    h.close().unwrap();
    assert_eq!(e.read_file(Target::Volume("b"), "/stream").unwrap(), vec![3u8; 2_000_000]);
}

#[test]
fn partial_overwrite_rewrites_only_touched_blocks() {
    let (d, e, sb) = setup();
    let data = pattern((8 * BS) as usize, 2);
    sb.write_file("/v/f", &data).unwrap();
    let before = store_files(d.path());
    assert_eq!(before.len(), 8);
    // Touch blocks 2 and 3 only.
    e.write_file(Target::Sandbox(sb.id()), "/v/f", &[0xAB; 100], &opts(WriteMode::At(3 * BS - 50))).unwrap();
    let after = store_files(d.path());
    assert_eq!(after.difference(&before).count(), 2, "exactly two new blocks");
    let mut want = data.clone();
    want[(3 * BS - 50) as usize..(3 * BS + 50) as usize].fill(0xAB);
    assert_eq!(sb.read_file("/v/f").unwrap(), want);
    // Identical content is stored once.
    sb.write_file("/v/copy", &data).unwrap();
    assert_eq!(store_files(d.path()).len(), after.len());
}

#[test]
fn writes_are_atomic_to_concurrent_readers() {
    let (_d, e, sb) = setup();
    let a = vec![b'a'; (3 * BS) as usize];
    let b = vec![b'b'; (3 * BS + 7) as usize];
    sb.write_file("/v/f", &a).unwrap();
    let stop = Arc::new(std::sync::atomic::AtomicBool::new(false));
    let reader = {
        let (e, id, stop, a, b) = (e.clone(), sb.id().to_string(), stop.clone(), a.clone(), b.clone());
        std::thread::spawn(move || {
            let mut n = 0;
            while !stop.load(std::sync::atomic::Ordering::Relaxed) {
                let got = e.read_file(Target::Sandbox(&id), "/v/f").unwrap();
                assert!(got == a || got == b, "torn read of {} bytes", got.len());
                n += 1;
            }
            n
        })
    };
    for i in 0..60 {
        sb.write_file("/v/f", if i % 2 == 0 { &b } else { &a }).unwrap();
    }
    stop.store(true, std::sync::atomic::Ordering::Relaxed);
    assert!(reader.join().unwrap() > 0);
}

#[test]
fn if_version_compare_and_swap_loses_no_update() {
    let (_d, e, sb) = setup();
    sb.write_file("/v/counter", b"0").unwrap();
    let threads: Vec<_> = (0..4)
        .map(|_| {
            let (e, id) = (e.clone(), sb.id().to_string());
            std::thread::spawn(move || {
                let at = Target::Sandbox(&id);
                let mut done = 0;
                while done < 25 {
                    let info = e.stat(at, "/v/counter").unwrap();
                    let n: u64 = String::from_utf8(e.read_file(at, "/v/counter").unwrap()).unwrap().parse().unwrap();
                    let w = WriteOptions { if_version: Some(info.version), ..Default::default() };
                    match e.write_file(at, "/v/counter", (n + 1).to_string().as_bytes(), &w) {
                        Ok(_) => done += 1,
                        Err(err) => assert_eq!(err.code(), ErrorCode::Conflict),
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert_eq!(sb.read_file("/v/counter").unwrap(), b"100");
    // if_version 0 means "must not exist".
    let create = WriteOptions { if_version: Some(0), ..Default::default() };
    assert_eq!(code(e.write_file(Target::Sandbox(sb.id()), "/v/counter", b"x", &create)), ErrorCode::Conflict);
    e.write_file(Target::Sandbox(sb.id()), "/v/fresh", b"x", &create).unwrap();
}

#[test]
fn versions_increase_on_every_change_even_across_recreate() {
    let (_d, e, sb) = setup();
    let v1 = sb.write_file("/v/f", b"1").unwrap().version;
    let v2 = sb.write_file("/v/f", b"2").unwrap().version;
    let v3 = e.set_times(Target::Sandbox(sb.id()), "/v/f", Some(1), Some(2)).unwrap().version;
    sb.remove("/v/f", false).unwrap();
    let v4 = sb.write_file("/v/f", b"3").unwrap().version;
    assert!(v1 < v2 && v2 < v3 && v3 < v4, "{v1} {v2} {v3} {v4}");
    let st = sb.stat("/v/f").unwrap();
    assert_eq!(st.version, v4);
    let st = e.set_times(Target::Sandbox(sb.id()), "/v/f", None, Some(1234)).unwrap();
    assert_eq!(st.mtime, 1234);
}

#[test]
fn cross_sandbox_visibility_and_isolation() {
    let (_d, e, a) = setup();
    let b = claim(&e);
    b.mount(mount_req("v", "/elsewhere")).unwrap();
    let c = claim(&e);
    a.write_file("/v/shared.txt", b"from A").unwrap();
    assert_eq!(b.read_file("/elsewhere/shared.txt").unwrap(), b"from A");
    assert_eq!(code(c.read_file("/v/shared.txt")), ErrorCode::NotFound);
    assert_eq!(code(c.read_file("/elsewhere/shared.txt")), ErrorCode::NotFound);
    // Scratch volumes are private.
    a.write_file("/tmp/private", b"a's").unwrap();
    assert_eq!(code(b.read_file("/tmp/private")), ErrorCode::NotFound);
    c.write_file("/v/shared.txt", b"c's scratch").unwrap();
    assert_eq!(a.read_file("/v/shared.txt").unwrap(), b"from A");
}

#[test]
fn escapes_are_permission_denied() {
    let (_d, e, sb) = setup();
    sb.write_file("/v/in.txt", b"inside").unwrap();
    sb.write_file("/secret", b"scratch secret").unwrap();
    assert_eq!(code(sb.read_file("/v/../secret")), ErrorCode::PermissionDenied);
    assert_eq!(code(sb.write_file("/v/a/../../secret", b"x")), ErrorCode::PermissionDenied);
    assert_eq!(code(e.read_file(Target::Volume("v"), "/../in.txt")), ErrorCode::PermissionDenied);
    sb.symlink("../../secret", "/v/out").unwrap();
    assert_eq!(sb.readlink("/v/out").unwrap(), "../../secret");
    assert_eq!(code(sb.read_file("/v/out")), ErrorCode::PermissionDenied);
    assert_eq!(code(sb.write_file("/v/out", b"x")), ErrorCode::PermissionDenied);
    assert_eq!(sb.read_file("/secret").unwrap(), b"scratch secret");
    // An absolute target stays inside the mount root.
    sb.symlink("/in.txt", "/v/abs").unwrap();
    assert_eq!(sb.read_file("/v/abs").unwrap(), b"inside");
    sb.symlink("in.txt", "/v/rel").unwrap();
    assert_eq!(sb.read_file("/v/rel").unwrap(), b"inside");
    assert_eq!(sb.stat("/v/rel").unwrap().kind, FileKind::Symlink);
    sb.symlink("loop", "/v/loop").unwrap();
    assert_eq!(code(sb.read_file("/v/loop")), ErrorCode::InvalidArgument);
}

#[test]
fn read_only_mount_refuses_every_write() {
    let (_d, e, sb) = setup();
    sb.write_file("/v/f", b"x").unwrap();
    sb.mkdir("/v/dir", false).unwrap();
    let ro = claim(&e);
    let mut r = mount_req("v", "/ro");
    r.read_only = Some(true);
    ro.mount(r).unwrap();
    let at = Target::Sandbox(ro.id());
    let checks: Vec<(&str, Result<()>)> = vec![
        ("write", ro.write_file("/ro/f", b"y").map(drop)),
        ("append", e.write_file(at, "/ro/f", b"y", &opts(WriteMode::Append)).map(drop)),
        ("mkdir", ro.mkdir("/ro/d2", false).map(drop)),
        ("remove", ro.remove("/ro/f", false)),
        ("rename", ro.rename("/ro/f", "/ro/g").map(drop)),
        ("symlink", ro.symlink("f", "/ro/l").map(drop)),
        ("set_times", e.set_times(at, "/ro/f", Some(1), None).map(drop)),
        ("open-w", ro.open_file("/ro/f", OpenOptions::from_mode("a").unwrap()).map(drop)),
    ];
    for (what, r) in checks {
        assert_eq!(code(r), ErrorCode::ReadOnly, "{what}");
    }
    assert_eq!(ro.read_file("/ro/f").unwrap(), b"x");
    assert_eq!(ro.list_dir("/ro", &ListDirOptions::default()).unwrap().items.len(), 2);
}

#[test]
fn a_size_limit_past_i64_is_refused_and_changes_nothing() {
    let d = tempfile::tempdir().unwrap();
    let e = small_blocks(d.path());
    for limit in [Size::Bytes(1 << 63), Size::Bytes(u64::MAX), Size::Text("8192P".into())] {
        let err = e.create_volume(CreateVolume { name: Some("big".into()), size_limit: Some(limit), ..Default::default() }).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidArgument, "{err}");
        assert!(err.message().contains("size_limit"), "{err}");
    }
    assert!(e.list_volumes(&Default::default()).unwrap().items.is_empty());
    let v = e.create_volume(CreateVolume { size_limit: Some(Size::Bytes(i64::MAX as u64)), ..Default::default() }).unwrap();
    assert_eq!(code(e.resize_volume(&v.id, Some(Size::Bytes(u64::MAX)))), ErrorCode::InvalidArgument);
    assert_eq!(e.get_volume(&v.id).unwrap().size_limit, Some(i64::MAX as u64));
    // The largest one it takes still lets writes through (a wrapped limit refused them all).
    e.write_file(Target::Volume(&v.id), "/f", b"x", &WriteOptions::default()).unwrap();
}

#[test]
fn quota_refuses_and_leaves_the_file_as_it_was() {
    let d = tempfile::tempdir().unwrap();
    let e = small_blocks(d.path());
    e.create_volume(CreateVolume { name: Some("q".into()), size_limit: Some(Size::Bytes(200_000)), ..Default::default() }).unwrap();
    let at = Target::Volume("q");
    e.write_file(at, "/a", &vec![1u8; 150_000], &WriteOptions::default()).unwrap();
    let before = e.stat(at, "/a").unwrap();
    let err = e.write_file(at, "/a", &vec![2u8; 60_000], &opts(WriteMode::Append)).unwrap_err();
    assert_eq!(err.code(), ErrorCode::QuotaExceeded);
    assert!(err.message().contains("200000"), "{}", err.message());
    assert_eq!(e.stat(at, "/a").unwrap(), before);
    assert_eq!(e.read_file(at, "/a").unwrap(), vec![1u8; 150_000]);
    assert_eq!(code(e.write_file(at, "/b", &vec![2u8; 60_000], &WriteOptions::default())), ErrorCode::QuotaExceeded);
    assert!(!e.exists(at, "/b").unwrap());
    // Replacing a file counts only the difference.
    e.write_file(at, "/a", &vec![3u8; 190_000], &WriteOptions::default()).unwrap();
    let h = e.open_file(at, "/c", OpenOptions::from_mode("w").unwrap()).unwrap();
    h.write_at(0, &vec![4u8; 20_000]).unwrap();
    assert_eq!(code(h.flush()), ErrorCode::QuotaExceeded);
    let v = e.get_volume("q").unwrap();
    assert_eq!((v.used_bytes, v.file_count), (190_000, 2));
    drop(h);
    assert!(e.fsck().unwrap().is_clean());
}

#[test]
fn used_bytes_and_file_count_stay_exact() {
    let (_d, e, sb) = setup();
    sb.write_file("/v/a", &[1; 100]).unwrap();
    sb.write_file("/v/d/b", &vec![1; (2 * BS) as usize]).unwrap();
    sb.write_file("/v/d/e/c", &[1; 10]).unwrap();
    sb.rename("/v/a", "/v/d/a2").unwrap();
    sb.write_file("/v/x", &[1; 7]).unwrap();
    sb.rename("/v/x", "/v/d/a2").unwrap(); // replaces a2
    let v = e.get_volume("v").unwrap();
    assert_eq!((v.used_bytes, v.file_count), (2 * BS + 10 + 7, 3));
    assert_eq!(code(sb.remove("/v/d", false)), ErrorCode::DirectoryNotEmpty);
    sb.remove("/v/d", true).unwrap();
    let v = e.get_volume("v").unwrap();
    assert_eq!((v.used_bytes, v.file_count), (0, 0));
    assert!(e.fsck().unwrap().is_clean());
}

#[test]
fn directories_rename_and_listing() {
    let (_d, e, sb) = setup();
    for i in 0..25 {
        sb.write_file(&format!("/v/dir/f{i:02}"), b"x").unwrap();
    }
    let mut names = Vec::new();
    let mut cursor = None;
    loop {
        let p = sb.list_dir("/v/dir", &ListDirOptions { limit: Some(10), cursor }).unwrap();
        names.extend(p.items.into_iter().map(|d| d.name));
        match p.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(names.len(), 25);
    assert_eq!(names[0], "f00");
    assert_eq!(names[24], "f24");
    assert_eq!(code(sb.mkdir("/v/dir", false)), ErrorCode::AlreadyExists);
    sb.mkdir("/v/dir", true).unwrap();
    sb.mkdir("/v/p/q/r", true).unwrap();
    assert_eq!(code(sb.mkdir("/v/x/y", false)), ErrorCode::NotFound);
    sb.rename("/v/dir", "/v/p/moved").unwrap();
    assert_eq!(sb.read_file("/v/p/moved/f07").unwrap(), b"x");
    assert_eq!(code(sb.rename("/v/p", "/v/p/moved/inside")), ErrorCode::InvalidArgument);
    assert_eq!(code(sb.rename("/v/p/moved/f01", "/v/p/q")), ErrorCode::IsADirectory);
    assert_eq!(code(sb.list_dir("/v/p/moved/f01", &ListDirOptions::default())), ErrorCode::NotADirectory);
    // Across volumes: cross_device.
    vol(&e, "w", AccessMode::ReadWriteMany);
    sb.mount(mount_req("w", "/w")).unwrap();
    assert_eq!(code(sb.rename("/v/p/moved/f01", "/w/f01")), ErrorCode::CrossDevice);
    assert_eq!(code(sb.rename("/v/p/moved/f01", "/scratch-f01")), ErrorCode::CrossDevice);
    assert!(sb.stat("/v/p/moved/f01").is_ok());
    assert_eq!(code(sb.remove("/v", true)), ErrorCode::Conflict, "a mount root cannot be removed");
}

#[test]
fn subpath_mount_sees_only_its_subtree() {
    let (_d, e, sb) = setup();
    sb.write_file("/v/projects/a/code.py", b"print(1)").unwrap();
    sb.write_file("/v/top-secret", b"no").unwrap();
    let other = claim(&e);
    let mut r = mount_req("v", "/work");
    r.subpath = Some("projects/a".into());
    other.mount(r).unwrap();
    assert_eq!(other.read_file("/work/code.py").unwrap(), b"print(1)");
    let names: Vec<_> = other.list_dir("/work", &ListDirOptions::default()).unwrap().items.into_iter().map(|d| d.name).collect();
    assert_eq!(names, ["code.py"]);
    assert_eq!(code(other.read_file("/work/../../top-secret")), ErrorCode::PermissionDenied);
    other.write_file("/work/new.py", b"x").unwrap();
    assert_eq!(sb.read_file("/v/projects/a/new.py").unwrap(), b"x");
    let ch = e.changes("v", 0, None).unwrap();
    assert!(ch.iter().any(|c| c.path == "/projects/a/new.py" && c.kind == ChangeKind::Write), "{ch:?}");
}

#[test]
fn change_feed_records_every_kind_from_any_writer() {
    let (_d, e, sb) = setup();
    let start = e.changes("v", 0, None).unwrap().last().map(|c| c.seq).unwrap_or(0);
    sb.mkdir("/v/d", false).unwrap();
    sb.write_file("/v/d/f", b"1").unwrap();
    e.write_file(Target::Volume("v"), "/direct", b"2", &WriteOptions::default()).unwrap();
    sb.rename("/v/d/f", "/v/d/g").unwrap();
    sb.symlink("g", "/v/d/l").unwrap();
    sb.remove("/v/d/l", false).unwrap();
    let ch = e.changes("v", start, None).unwrap();
    let got: Vec<(String, ChangeKind, Option<String>)> = ch.iter().map(|c| (c.path.clone(), c.kind, c.new_path.clone())).collect();
    assert_eq!(
        got,
        vec![
            ("/d".into(), ChangeKind::Mkdir, None),
            ("/d/f".into(), ChangeKind::Write, None),
            ("/direct".into(), ChangeKind::Write, None),
            ("/d/f".into(), ChangeKind::Rename, Some("/d/g".into())),
            ("/d/l".into(), ChangeKind::Symlink, None),
            ("/d/l".into(), ChangeKind::Remove, None),
        ]
    );
    assert!(ch.windows(2).all(|w| w[0].seq < w[1].seq));
    let tail = e.changes("v", ch[3].seq, Some(1)).unwrap();
    assert_eq!(tail.len(), 1);
    assert_eq!(tail[0].kind, ChangeKind::Symlink);
    // Past the newest sequence there is nothing, however far (u64::MAX wrapped to -1 and listed everything).
    assert!(e.changes("v", ch.last().unwrap().seq, None).unwrap().is_empty());
    assert!(e.changes("v", u64::MAX, None).unwrap().is_empty());
    assert_eq!(e.changes("v", start, Some(usize::MAX)).unwrap(), ch);
}

#[test]
fn snapshots_are_isolated_restore_and_fork_work() {
    let (d, e, sb) = setup();
    let big = pattern((2 * BS + 99) as usize, 3);
    sb.write_file("/v/big", &big).unwrap();
    sb.write_file("/v/small", b"v1").unwrap();
    let blocks_before = store_files(d.path()).len();
    let snap = e.create_snapshot("v", Some("v1")).unwrap();
    assert_eq!(store_files(d.path()).len(), blocks_before, "a snapshot copies no block");
    assert_eq!(code(e.create_snapshot("v", Some("v1"))), ErrorCode::AlreadyExists);
    sb.write_file("/v/small", b"v2").unwrap();
    sb.write_file("/v/added", b"new").unwrap();
    e.write_file(Target::Sandbox(sb.id()), "/v/big", b"XX", &opts(WriteMode::At(5))).unwrap();
    // Fork reads the snapshot's content, not the volume's.
    let fork = e.fork_snapshot(&snap.id, CreateVolume { name: Some("forked".into()), ..Default::default() }).unwrap();
    assert_eq!(fork.access_mode, AccessMode::ReadWriteMany, "fork keeps the source's settings");
    assert_eq!(e.read_file(Target::Volume("forked"), "/small").unwrap(), b"v1");
    assert_eq!(e.read_file(Target::Volume("forked"), "/big").unwrap(), big);
    assert!(!e.exists(Target::Volume("forked"), "/added").unwrap());
    e.write_file(Target::Volume("forked"), "/small", b"fork's", &WriteOptions::default()).unwrap();
    // Restore refuses while a read-write mount is active.
    assert_eq!(code(e.restore_snapshot(&snap.id)), ErrorCode::Conflict);
    assert_eq!(sb.read_file("/v/small").unwrap(), b"v2", "refused restore changed nothing");
    let m = sb.mount_status().unwrap().into_iter().find(|m| m.mount_point == "/v").unwrap();
    let ver_before = sb.stat("/v/small").unwrap().version;
    sb.unmount("v", &m.id).unwrap();
    let restored = e.restore_snapshot(&snap.id).unwrap();
    assert_eq!((restored.used_bytes, restored.file_count), (big.len() as u64 + 2, 2));
    assert_eq!(e.read_file(Target::Volume("v"), "/small").unwrap(), b"v1");
    assert_eq!(e.read_file(Target::Volume("v"), "/big").unwrap(), big);
    assert!(!e.exists(Target::Volume("v"), "/added").unwrap());
    assert!(e.stat(Target::Volume("v"), "/small").unwrap().version > ver_before, "versions never go back");
    assert_eq!(e.read_file(Target::Volume("forked"), "/small").unwrap(), b"fork's");
    assert_eq!(e.list_snapshots("v").unwrap().len(), 1);
    assert_eq!(e.get_snapshot(&snap.id).unwrap().name.as_deref(), Some("v1"));
    assert!(e.fsck().unwrap().is_clean());
    e.delete_snapshot(&snap.id).unwrap();
    assert_eq!(code(e.get_snapshot(&snap.id)), ErrorCode::NotFound);
    assert_eq!(code(e.restore_snapshot(&snap.id)), ErrorCode::NotFound);
}

#[test]
fn gc_frees_exactly_the_unreferenced_blocks() {
    let (d, e, sb) = setup();
    let keep = pattern((2 * BS) as usize, 4);
    let drop_me = pattern((3 * BS) as usize, 5);
    sb.write_file("/v/keep", &keep).unwrap();
    sb.write_file("/v/drop", &drop_me).unwrap();
    let snap = e.create_snapshot("v", None).unwrap();
    sb.remove("/v/drop", false).unwrap();
    // Still referenced by the snapshot.
    assert_eq!(e.gc(Duration::ZERO).unwrap().blocks_deleted, 0);
    assert_eq!(store_files(d.path()).len(), 5);
    e.delete_snapshot(&snap.id).unwrap();
    // Within the grace period nothing goes, however long it is (a grace past
    // i64 milliseconds used to wrap the cutoff into the future).
    assert_eq!(e.gc(Duration::from_secs(600)).unwrap().blocks_deleted, 0);
    assert_eq!(e.gc(Duration::MAX).unwrap().blocks_deleted, 0);
    assert_eq!(e.gc(Duration::from_millis(u64::MAX)).unwrap().blocks_deleted, 0);
    // A leaked block (stored, never committed) is found too.
    e.options(); // engine is alive
    let report = e.fsck().unwrap();
    assert_eq!(report.leaked_blocks.len(), 3);
    assert!(report.is_clean());
    let gc = e.gc(Duration::ZERO).unwrap();
    assert_eq!((gc.blocks_deleted, gc.bytes_freed), (3, 3 * BS));
    assert_eq!(store_files(d.path()).len(), 2);
    assert_eq!(sb.read_file("/v/keep").unwrap(), keep);
    let report = e.fsck().unwrap();
    assert!(report.is_clean() && report.leaked_blocks.is_empty(), "{report:?}");
    // A block gc removed can be written again.
    sb.write_file("/v/again", &drop_me).unwrap();
    assert_eq!(sb.read_file("/v/again").unwrap(), drop_me);
    assert!(e.fsck().unwrap().is_clean());
}

#[test]
fn fsck_reports_damage() {
    let (d, e, sb) = setup();
    sb.write_file("/v/f", &pattern((2 * BS) as usize, 6)).unwrap();
    let victim = store_files(d.path()).into_iter().next().unwrap();
    std::fs::remove_file(d.path().join("blocks").join(&victim[..2]).join(&victim)).unwrap();
    let r = e.fsck().unwrap();
    assert!(!r.is_clean());
    assert_eq!(r.dangling.len(), 1, "{r:?}");
    assert!(r.dangling[0].contains(&victim));
    assert_eq!(code(sb.read_file("/v/f")), ErrorCode::Corrupt);
}

#[test]
fn corrupt_block_is_detected_not_returned() {
    let (d, _e, sb) = setup();
    sb.write_file("/v/f", &pattern((BS + 1) as usize, 7)).unwrap();
    for h in store_files(d.path()) {
        let p = d.path().join("blocks").join(&h[..2]).join(&h);
        let mut bytes = std::fs::read(&p).unwrap();
        bytes[0] ^= 0xFF;
        std::fs::write(&p, bytes).unwrap();
    }
    let err = sb.read_file("/v/f").unwrap_err();
    assert_eq!(err.code(), ErrorCode::Corrupt);
}

#[test]
fn direct_volume_operations_without_a_sandbox() {
    let (_d, e) = engine();
    vol(&e, "dv", AccessMode::ReadWriteOnce);
    let at = Target::Volume("dv");
    e.mkdir(at, "/a/b", true).unwrap();
    e.write_file(at, "/a/b/f", b"direct", &WriteOptions::default()).unwrap();
    assert_eq!(e.read_file(at, "/a/b/f").unwrap(), b"direct");
    e.rename(at, "/a/b/f", "/a/g").unwrap();
    assert_eq!(e.list_dir(at, "/a", &ListDirOptions::default()).unwrap().items.len(), 2);
    e.remove(at, "/a", true).unwrap();
    assert!(!e.exists(at, "/a").unwrap());
    assert_eq!(code(e.read_file(Target::Volume("missing"), "/x")), ErrorCode::NotFound);
    // An RWO volume mounted elsewhere still allows direct operations (the hosted "Volume HTTP").
    let sb = claim(&e);
    sb.mount(mount_req("dv", "/dv")).unwrap();
    e.write_file(at, "/while-mounted", b"ok", &WriteOptions::default()).unwrap();
    assert_eq!(sb.read_file("/dv/while-mounted").unwrap(), b"ok");
}

#[test]
fn bad_paths_are_invalid_argument() {
    let (_d, e, sb) = setup();
    assert_eq!(code(sb.write_file("relative", b"x")), ErrorCode::InvalidArgument);
    assert_eq!(code(sb.write_file("/v/\0nul", b"x")), ErrorCode::InvalidArgument);
    assert_eq!(code(sb.write_file(&format!("/v/{}", "n".repeat(300)), b"x")), ErrorCode::InvalidArgument);
    assert_eq!(code(sb.write_file("/", b"x")), ErrorCode::IsADirectory);
    assert_eq!(code(sb.read_file("")), ErrorCode::InvalidArgument);
    assert_eq!(code(sb.open_file("/v/x", OpenOptions::default())), ErrorCode::InvalidArgument);
    assert_eq!(code(sb.symlink("", "/v/l")), ErrorCode::InvalidArgument);
    assert_eq!(code(e.list_dir(Target::Sandbox(sb.id()), "/v", &ListDirOptions { limit: Some(0), cursor: None })), ErrorCode::InvalidArgument);
    assert_eq!(e.changes("v", 0, None).unwrap().len(), 0, "nothing was written by refused calls");
}

// ---------- crash safety ----------

#[test]
#[ignore = "run as a child process by crash_test"]
fn crash_child() {
    let Ok(dir) = std::env::var("SANDVOL_CRASH_DIR") else { return };
    let e = small_blocks(std::path::Path::new(&dir));
    let at = Target::Volume("crash");
    let mut i = 0u64;
    loop {
        let len = 1000 + (i * 7919) % (3 * BS);
        let data = pattern(len as usize, i as u8);
        let path = format!("/f{}", i % 13);
        let info = e.write_file(at, &path, &data, &WriteOptions::default()).unwrap();
        // Acknowledged: the parent may now expect exactly this content at this version.
        println!("CHILD {path} {} {len} {}", info.version, i as u8);
        i += 1;
    }
}

#[test]
fn crash_test_acknowledged_writes_survive_sigkill() {
    let d = tempfile::tempdir().unwrap();
    {
        let e = small_blocks(d.path());
        vol(&e, "crash", AccessMode::ReadWriteMany);
    }
    let mut seed = 0x9E37_79B9u64;
    for round in 0..4 {
        seed ^= seed << 13;
        seed ^= seed >> 7;
        seed ^= seed << 17;
        let mut child = spawn_child("crash_child", &[("SANDVOL_CRASH_DIR", d.path().display().to_string())]);
        let stdout = child.stdout.take().unwrap();
        let kill_after = 20 + (seed % 200) as usize;
        let mut acked = std::collections::BTreeMap::new();
        let mut lines = BufReader::new(stdout).lines();
        let mut read = 0;
        while read < kill_after {
            let Some(Ok(l)) = lines.next() else { break };
            if let Some(rest) = child_line(&l) {
                let p: Vec<&str> = rest.split(' ').collect();
                acked.insert(p[0].to_string(), (p[1].parse::<u64>().unwrap(), p[2].parse::<usize>().unwrap(), p[3].parse::<u8>().unwrap()));
                read += 1;
            }
        }
        assert!(read >= kill_after, "child stopped early");
        child.kill().unwrap();
        child.wait().unwrap();
        let e = small_blocks(d.path());
        let rep = e.fsck().unwrap();
        assert!(rep.is_clean(), "round {round}: {rep:?}");
        for (path, (version, len, s)) in &acked {
            let info = e.stat(Target::Volume("crash"), path).unwrap();
            // Later unacknowledged writes may have landed; an acknowledged one never vanishes.
            assert!(info.version >= *version, "round {round}: {path} went back from {version} to {}", info.version);
            if info.version == *version {
                assert_eq!(e.read_file(Target::Volume("crash"), path).unwrap(), pattern(*len, *s), "round {round}: {path}");
            }
        }
        e.gc(Duration::ZERO).unwrap();
        assert!(e.fsck().unwrap().leaked_blocks.is_empty());
    }
}

#[test]
fn read_into_fills_a_reused_buffer_exactly() {
    let (_d, e, sb) = setup();
    let at = Target::Sandbox(sb.id());
    // A sparse file: block 0 written, block 1 a hole, a tail in block 2.
    e.write_file(at, "/v/sparse", &pattern(1000, 9), &WriteOptions::default()).unwrap();
    e.write_file(at, "/v/sparse", &pattern(5000, 10), &opts(WriteMode::At(2 * BS + 10))).unwrap();
    let size = 2 * BS + 10 + 5000;
    let mut want = vec![0u8; size as usize];
    want[..1000].copy_from_slice(&pattern(1000, 9));
    want[(2 * BS + 10) as usize..].copy_from_slice(&pattern(5000, 10));
    let h = sb.open_file("/v/sparse", OpenOptions::from_mode("r+").unwrap()).unwrap();
    let mut buf = vec![0xEEu8; (size + 100) as usize];
    assert_eq!(h.read_into(0, &mut buf).unwrap(), size as usize);
    assert_eq!(&buf[..size as usize], &want[..], "stale bytes must not survive in holes");
    // Unflushed writes are seen, and a read past the end returns 0.
    h.write_at(BS + 5, b"dirty").unwrap();
    buf.fill(0xEE);
    assert_eq!(h.read_into(BS, &mut buf[..10]).unwrap(), 10);
    assert_eq!(&buf[..10], b"\0\0\0\0\0dirty");
    assert_eq!(h.read_into(size, &mut buf).unwrap(), 0);
    assert_eq!(h.read_at(size - 3, 10).unwrap(), &want[(size - 3) as usize..]);
}

#[test]
fn files_end_at_the_largest_file_size() {
    let (_d, e, sb) = setup();
    let at = Target::Sandbox(sb.id());
    sb.write_file("/v/f", b"hello").unwrap();
    let before = sb.stat("/v/f").unwrap();
    let used = e.get_volume("v").unwrap().used_bytes;
    let max = sandvol_core::fs::MAX_FILE_SIZE;
    // Past it, small (inline) and large writes alike, and offsets whose end
    // overflows u64 (a debug-build panic before): refused, nothing changed.
    for (offset, len) in [(max, 1), (max - 2, 3), (1 << 63, 1), (u64::MAX, 1), (max, (2 * BS) as usize)] {
        let err = e.write_file(at, "/v/f", &vec![7u8; len], &opts(WriteMode::At(offset))).unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidArgument, "{err}");
        assert!(err.message().contains("larger than the largest file") && err.message().contains("/v/f"), "{err}");
    }
    let h = sb.open_file("/v/f", OpenOptions::from_mode("r+").unwrap()).unwrap();
    assert_eq!(code(h.write_at(max, b"x")), ErrorCode::InvalidArgument);
    assert_eq!(code(h.write_at(u64::MAX, b"x")), ErrorCode::InvalidArgument);
    h.close().unwrap();
    assert_eq!(sb.stat("/v/f").unwrap(), before);
    assert_eq!(e.get_volume("v").unwrap().used_bytes, used);
    // Up to it, a (sparse) file grows to exactly the largest size.
    let info = e.write_file(at, "/v/g", b"z", &opts(WriteMode::At(max - 1))).unwrap();
    assert_eq!(info.size, max);
    assert_eq!(sb.read_range("/v/g", max - 1, 10).unwrap(), b"z");
    assert_eq!(e.get_volume("v").unwrap().used_bytes, used + max);
    assert!(e.fsck().unwrap().is_clean());
}

#[test]
fn a_volume_cannot_count_past_i64_bytes() {
    // 1,024 sparse files of the largest size hold 2^63 - 1,024 bytes; with one
    // more the counter would overflow (SQLite made it a float, and the write
    // failed with `io`): that write is refused as past what a volume holds.
    let (_d, e, _sb) = setup();
    vol(&e, "w", AccessMode::ReadWriteMany);
    let max = sandvol_core::fs::MAX_FILE_SIZE;
    let at = Target::Volume("v");
    let mut n = 0;
    let err = loop {
        match e.write_file(at, &format!("/f{n}"), b"x", &opts(WriteMode::At(max - 1))) {
            Ok(_) => n += 1,
            Err(err) => break err,
        }
        assert!(n <= 1025, "no refusal after {n} files");
    };
    assert_eq!(err.code(), ErrorCode::QuotaExceeded, "{err}");
    assert_eq!(n, 1024);
    let used = e.get_volume("v").unwrap().used_bytes;
    assert_eq!(used, 1024 * max);
    assert!(!e.exists(at, &format!("/f{n}")).unwrap(), "the refused write changed nothing");
    // Engine-wide, the sum past i64 is still reported (SQLite's SUM failed).
    for i in 0..2 {
        e.write_file(Target::Volume("w"), &format!("/g{i}"), b"x", &opts(WriteMode::At(max - 1))).unwrap();
    }
    assert_eq!(e.stats().unwrap().used_bytes, used + 2 * max);
}
