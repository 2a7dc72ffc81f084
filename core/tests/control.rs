//! Control-plane rules: volumes, sandboxes, mount sessions (DESIGN.md "Concepts and rules").

mod common;

use common::*;
use sandvol_core::*;
use std::collections::BTreeMap;
use std::io::{BufRead, BufReader};
use std::sync::Arc;
use std::time::{Duration, Instant};

// ---------- volumes ----------

#[test]
fn volume_ref_by_name_and_by_id() {
    let (_d, e) = engine();
    let v = vol(&e, "datasets", AccessMode::ReadWriteMany);
    assert!(v.id.starts_with("vol_"));
    assert_eq!(e.get_volume("datasets").unwrap().id, v.id);
    assert_eq!(e.get_volume(&v.id).unwrap().name.as_deref(), Some("datasets"));
    assert_eq!(code(e.get_volume("nope")), ErrorCode::NotFound);
    let msg = e.get_volume("nope").unwrap_err().to_string();
    assert!(msg.contains("\"nope\""), "{msg}");
}

#[test]
fn id_shaped_and_bad_names_are_rejected_and_nothing_is_created() {
    let (_d, e) = engine();
    for bad in ["vol_abc", "snap_1", "sb_x", "ms_y", "", "has space", "-lead"] {
        let r = e.create_volume(CreateVolume { name: Some(bad.into()), ..Default::default() });
        assert_eq!(code(r), ErrorCode::InvalidArgument, "{bad:?}");
    }
    assert!(e.list_volumes(&ListOptions::default()).unwrap().items.is_empty());
}

#[test]
fn duplicate_name_is_already_exists() {
    let (_d, e) = engine();
    vol(&e, "a", AccessMode::ReadWriteOnce);
    let r = e.create_volume(CreateVolume { name: Some("a".into()), ..Default::default() });
    assert_eq!(code(r), ErrorCode::AlreadyExists);
    assert_eq!(e.list_volumes(&ListOptions::default()).unwrap().items.len(), 1);
}

#[test]
fn size_strings_parse_and_bad_ones_change_nothing() {
    let (_d, e) = engine();
    let v = e
        .create_volume(CreateVolume {
            name: Some("sized".into()),
            size_limit: Some("512MiB".into()),
            config: ConfigOverride { cache_size: Some("1.5G".into()), buffer_size: Some("128M".into()), prefetch: Some(2), writeback: Some(true) },
            ..Default::default()
        })
        .unwrap();
    assert_eq!(v.size_limit, Some(512 << 20));
    assert_eq!(v.config, VolumeConfig { cache_size: 3 << 29, buffer_size: 128 << 20, prefetch: 2, writeback: true });
    for bad in ["12", "1X", "lots", "G"] {
        let r = e.create_volume(CreateVolume { name: Some("bad".into()), size_limit: Some(bad.into()), ..Default::default() });
        let err = r.unwrap_err();
        assert_eq!(err.code(), ErrorCode::InvalidArgument);
        assert!(err.message().contains(bad), "{}", err.message());
        let r = e.create_volume(CreateVolume {
            name: Some("bad".into()),
            config: ConfigOverride { cache_size: Some(bad.into()), ..Default::default() },
            ..Default::default()
        });
        assert_eq!(code(r), ErrorCode::InvalidArgument);
    }
    assert_eq!(code(e.get_volume("bad")), ErrorCode::NotFound);
}

#[test]
fn list_filters_by_label_and_paginates() {
    let (_d, e) = engine();
    for i in 0..7 {
        let mut labels = BTreeMap::new();
        labels.insert("team".to_string(), if i % 2 == 0 { "a" } else { "b" }.to_string());
        e.create_volume(CreateVolume { name: Some(format!("v{i}")), labels, ..Default::default() }).unwrap();
    }
    let mut seen = Vec::new();
    let mut cursor = None;
    loop {
        let mut labels = BTreeMap::new();
        labels.insert("team".to_string(), "a".to_string());
        let page = e.list_volumes(&ListOptions { labels, limit: Some(2), cursor }).unwrap();
        seen.extend(page.items.iter().map(|v| v.name.clone().unwrap()));
        match page.next_cursor {
            Some(c) => cursor = Some(c),
            None => break,
        }
    }
    assert_eq!(seen, ["v0", "v2", "v4", "v6"]);
    assert_eq!(code(e.list_volumes(&ListOptions { limit: Some(0), ..Default::default() })), ErrorCode::InvalidArgument);
    assert_eq!(code(e.list_volumes(&ListOptions { cursor: Some("x".into()), ..Default::default() })), ErrorCode::InvalidArgument);
}

#[test]
fn update_and_resize() {
    let (_d, e) = engine();
    let v = vol(&e, "u", AccessMode::ReadWriteOnce);
    let mut labels = BTreeMap::new();
    labels.insert("k".to_string(), "v".to_string());
    let u = e
        .update_volume("u", &UpdateVolume { labels: Some(labels.clone()), size_limit: Some(Some("1G".into())), config: ConfigOverride { prefetch: Some(4), ..Default::default() } })
        .unwrap();
    assert_eq!((u.labels, u.size_limit, u.config.prefetch), (labels, Some(1 << 30), 4));
    assert!(u.updated_at >= v.updated_at);
    let r = e.resize_volume("u", None).unwrap();
    assert_eq!(r.size_limit, None);
    e.write_file(Target::Volume("u"), "/f", &[1u8; 10_000], &WriteOptions::default()).unwrap();
    assert_eq!(code(e.resize_volume("u", Some(Size::Bytes(100)))), ErrorCode::InvalidArgument);
    assert_eq!(e.get_volume("u").unwrap().size_limit, None, "refused resize changed nothing");
}

#[test]
fn delete_with_active_mount_is_conflict_and_changes_nothing() {
    let (_d, e) = engine();
    let v = vol(&e, "busy", AccessMode::ReadWriteMany);
    let sb = claim(&e);
    let m = sb.mount(mount_req("busy", "/data")).unwrap();
    sb.write_file("/data/x", b"keep").unwrap();
    let err = e.delete_volume("busy", false).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Conflict);
    assert!(err.message().contains(&m.id), "{}", err.message());
    assert_eq!(e.get_volume(&v.id).unwrap().id, v.id);
    assert_eq!(e.get_mount(&m.id).unwrap().state, MountState::Mounted);
    assert_eq!(sb.read_file("/data/x").unwrap(), b"keep");
    sb.unmount("busy", &m.id).unwrap();
    e.delete_volume("busy", false).unwrap();
    assert_eq!(code(e.get_volume("busy")), ErrorCode::NotFound);
}

#[test]
fn force_delete_detaches_active_sessions() {
    let (_d, e) = engine();
    vol(&e, "gone", AccessMode::ReadWriteMany);
    let sb = claim(&e);
    let m = sb.mount(mount_req("gone", "/data")).unwrap();
    e.delete_volume("gone", true).unwrap();
    let after = e.get_mount(&m.id).unwrap();
    assert_eq!(after.state, MountState::Failed);
    assert_eq!(after.last_error_code.as_deref(), Some(FORCE_DETACHED));
    assert_eq!(code(e.get_volume("gone")), ErrorCode::NotFound);
    // The sandbox goes on; the path now lands in its scratch volume.
    sb.write_file("/data/y", b"scratch").unwrap();
    assert_eq!(sb.read_file("/data/y").unwrap(), b"scratch");
}

// ---------- mount point, subpath and access-mode rules ----------

fn assert_mount_refused(e: &Engine, sb: &Sandbox, req: MountRequest, want: ErrorCode) {
    let before = sb.mount_status().unwrap();
    let err = sb.mount(req.clone()).unwrap_err();
    assert_eq!(err.code(), want, "{:?}: {}", req.mount_point, err.message());
    assert_eq!(sb.mount_status().unwrap(), before, "a refused mount persisted something");
    let _ = e;
}

#[test]
fn invalid_mount_points_are_refused_before_anything_is_persisted() {
    let (_d, e) = engine();
    vol(&e, "v", AccessMode::ReadWriteMany);
    let sb = claim(&e);
    let cases = [
        ("mnt/data", ErrorCode::InvalidArgument),
        ("/", ErrorCode::InvalidArgument),
        ("/mnt/../data", ErrorCode::InvalidArgument),
        ("/mnt/\0data", ErrorCode::InvalidArgument),
        ("/proc/x", ErrorCode::PermissionDenied),
        ("/etc", ErrorCode::PermissionDenied),
        ("/.sandvol", ErrorCode::PermissionDenied),
        ("/dev/shm", ErrorCode::PermissionDenied),
    ];
    for (mp, want) in cases {
        assert_mount_refused(&e, &sb, mount_req("v", mp), want);
    }
    let long = format!("/{}", "d/".repeat(2100));
    assert_mount_refused(&e, &sb, mount_req("v", &long), ErrorCode::InvalidArgument);
    let err = sb.mount(mount_req("v", "/")).unwrap_err();
    assert!(err.message().contains("\"/\" is the sandbox root"), "{}", err.message());
}

#[test]
fn mount_point_in_use_is_conflict_and_nested_mounts_route_by_longest_prefix() {
    let (_d, e) = engine();
    vol(&e, "outer", AccessMode::ReadWriteMany);
    vol(&e, "inner", AccessMode::ReadWriteMany);
    let sb = claim(&e);
    let m = sb.mount(mount_req("outer", "/data/")).unwrap();
    assert_eq!(m.mount_point, "/data", "normalized");
    assert_mount_refused(&e, &sb, mount_req("inner", "//data/."), ErrorCode::Conflict);
    sb.mount(mount_req("inner", "/data/sub")).unwrap();
    sb.write_file("/data/a.txt", b"outer").unwrap();
    sb.write_file("/data/sub/b.txt", b"inner").unwrap();
    assert_eq!(e.read_file(Target::Volume("outer"), "/a.txt").unwrap(), b"outer");
    assert_eq!(e.read_file(Target::Volume("inner"), "/b.txt").unwrap(), b"inner");
    assert_eq!(code(e.read_file(Target::Volume("outer"), "/sub/b.txt")), ErrorCode::NotFound);
    // Another sandbox may use the same mount point.
    let sb2 = claim(&e);
    sb2.mount(mount_req("outer", "/data")).unwrap();
    // After unmount the mount point is free again.
    sb.unmount("outer", &m.id).unwrap();
    sb.mount(mount_req("outer", "/data")).unwrap();
}

#[test]
fn mount_point_directory_is_created_in_the_sandbox_view() {
    let (_d, e) = engine();
    vol(&e, "v", AccessMode::ReadWriteMany);
    let sb = claim(&e);
    sb.mount(mount_req("v", "/mnt/deep/data")).unwrap();
    let names: Vec<String> = sb.list_dir("/mnt", &ListDirOptions::default()).unwrap().items.into_iter().map(|d| d.name).collect();
    assert_eq!(names, ["deep"]);
    assert_eq!(sb.stat("/mnt/deep/data").unwrap().kind, FileKind::Dir);
}

#[test]
fn subpath_rules() {
    let (_d, e) = engine();
    vol(&e, "v", AccessMode::ReadWriteMany);
    let sb = claim(&e);
    for esc in ["..", "a/../..", "../etc"] {
        let mut r = mount_req("v", "/x");
        r.subpath = Some(esc.into());
        assert_mount_refused(&e, &sb, r, ErrorCode::PermissionDenied);
    }
    // A read-only mount needs the subpath to exist; the failure is recorded on the session.
    let mut r = mount_req("v", "/ro");
    r.subpath = Some("missing".into());
    r.read_only = Some(true);
    assert_eq!(code(sb.mount(r)), ErrorCode::NotFound);
    let failed = sb.mount_status().unwrap().into_iter().find(|m| m.mount_point == "/ro").unwrap();
    assert_eq!(failed.state, MountState::Failed);
    assert_eq!(failed.last_error_code.as_deref(), Some("not_found"));
    assert!(failed.last_error_message.unwrap().contains("missing"));
    // A read-write mount creates it.
    let mut r = mount_req("v", "/rw");
    r.subpath = Some("./a/b/".into());
    let m = sb.mount(r).unwrap();
    assert_eq!(m.subpath, "a/b");
    sb.write_file("/rw/f", b"in subpath").unwrap();
    assert_eq!(e.read_file(Target::Volume("v"), "/a/b/f").unwrap(), b"in subpath");
    // A symlink that points out of the volume cannot be used as a subpath.
    e.symlink(Target::Volume("v"), "../../outside", "/link").unwrap();
    let mut r = mount_req("v", "/sl");
    r.subpath = Some("link".into());
    r.read_only = Some(true);
    assert_eq!(code(sb.mount(r)), ErrorCode::PermissionDenied);
    // Now the read-only mount of the existing subpath works and sees only the subtree.
    let mut r = mount_req("v", "/ro2");
    r.subpath = Some("a".into());
    r.read_only = Some(true);
    sb.mount(r).unwrap();
    assert_eq!(sb.read_file("/ro2/b/f").unwrap(), b"in subpath");
    assert_eq!(code(sb.read_file("/ro2/../link")), ErrorCode::PermissionDenied);
}

#[test]
fn rwo_allows_one_sandbox_unless_they_share_a_group() {
    let (_d, e) = engine();
    vol(&e, "once", AccessMode::ReadWriteOnce);
    let a = claim(&e);
    let b = claim(&e);
    a.mount(mount_req("once", "/d")).unwrap();
    // The same sandbox may mount it again elsewhere.
    a.mount(mount_req("once", "/d2")).unwrap();
    let err = b.mount(mount_req("once", "/d")).unwrap_err();
    assert_eq!(err.code(), ErrorCode::AccessModeViolation);
    assert!(err.message().contains(a.id()), "{}", err.message());
    assert!(b.mount_status().unwrap().is_empty());

    vol(&e, "team", AccessMode::ReadWriteOnce);
    let g1 = claim_in(&e, "job-1");
    let g2 = claim_in(&e, "job-1");
    let other = claim_in(&e, "job-2");
    g1.mount(mount_req("team", "/t")).unwrap();
    g2.mount(mount_req("team", "/t")).unwrap();
    assert_eq!(code(other.mount(mount_req("team", "/t"))), ErrorCode::AccessModeViolation);
    assert_eq!(code(a.mount(mount_req("team", "/t"))), ErrorCode::AccessModeViolation, "no group never shares");
}

#[test]
fn rox_is_read_only_for_everyone() {
    let (_d, e) = engine();
    vol(&e, "ds", AccessMode::ReadOnlyMany);
    e.write_file(Target::Volume("ds"), "/data.csv", b"a,b", &WriteOptions::default()).unwrap();
    let a = claim(&e);
    let b = claim(&e);
    let mut rw = mount_req("ds", "/ds");
    rw.read_only = Some(false);
    assert_mount_refused(&e, &a, rw, ErrorCode::AccessModeViolation);
    let ma = a.mount(mount_req("ds", "/ds")).unwrap();
    assert!(ma.read_only, "ROX mounts default to read-only");
    let mut ro = mount_req("ds", "/ds");
    ro.read_only = Some(true);
    b.mount(ro).unwrap();
    assert_eq!(b.read_file("/ds/data.csv").unwrap(), b"a,b");
    assert_eq!(code(a.write_file("/ds/new", b"x")), ErrorCode::ReadOnly);
    // Direct writes wait until nobody has it mounted.
    let w = e.write_file(Target::Volume("ds"), "/data.csv", b"changed", &WriteOptions::default());
    assert_eq!(code(w), ErrorCode::ReadOnly);
    assert_eq!(a.read_file("/ds/data.csv").unwrap(), b"a,b");
}

#[test]
fn rwx_shares_between_sandboxes() {
    let (_d, e) = engine();
    vol(&e, "shared", AccessMode::ReadWriteMany);
    let sbs: Vec<Sandbox> = (0..4).map(|_| claim(&e)).collect();
    for s in &sbs {
        s.mount(mount_req("shared", "/w")).unwrap();
    }
    sbs[0].write_file("/w/f", b"from 0").unwrap();
    for s in &sbs {
        assert_eq!(s.read_file("/w/f").unwrap(), b"from 0");
    }
}

#[test]
fn config_override_is_per_mount() {
    let (_d, e) = engine();
    e.create_volume(CreateVolume {
        name: Some("c".into()),
        access_mode: Some(AccessMode::ReadWriteMany),
        config: ConfigOverride { buffer_size: Some("64M".into()), ..Default::default() },
        ..Default::default()
    })
    .unwrap();
    let sb = claim(&e);
    let mut r = mount_req("c", "/a");
    r.config = ConfigOverride { prefetch: Some(8), writeback: Some(true), ..Default::default() };
    let a = sb.mount(r).unwrap();
    let b = sb.mount(mount_req("c", "/b")).unwrap();
    assert_eq!((a.config.prefetch, a.config.writeback, a.config.buffer_size), (8, true, 64 << 20));
    assert_eq!((b.config.prefetch, b.config.writeback), (0, false));
    let mut bad = mount_req("c", "/x");
    bad.config.cache_size = Some("9Q".into());
    assert_mount_refused(&e, &sb, bad, ErrorCode::InvalidArgument);
}

// ---------- state machine through the API ----------

#[test]
fn illegal_transitions_are_invalid_state() {
    let (_d, e) = engine();
    vol(&e, "v", AccessMode::ReadWriteMany);
    let sb = claim(&e);
    let m = sb.mount(mount_req("v", "/v")).unwrap();
    let released = sb.unmount("v", &m.id).unwrap();
    assert_eq!(released.state, MountState::Released);
    // released -> unmounted
    assert_eq!(code(sb.unmount("v", &m.id)), ErrorCode::InvalidState);
    // failed -> unmounted
    let mut r = mount_req("v", "/f");
    r.subpath = Some("nope".into());
    r.read_only = Some(true);
    sb.mount(r).unwrap_err();
    let failed = sb.mount_status().unwrap().into_iter().find(|m| m.state == MountState::Failed).unwrap();
    assert_eq!(code(sb.unmount("v", &failed.id)), ErrorCode::InvalidState);
    // sandbox transitions
    assert_eq!(code(sb.resume()), ErrorCode::InvalidState, "resume of a running sandbox");
    sb.pause().unwrap();
    assert_eq!(code(sb.pause()), ErrorCode::InvalidState, "pause of a paused sandbox");
    assert_eq!(code(sb.mount(mount_req("v", "/p"))), ErrorCode::InvalidState, "mount into a paused sandbox");
    assert_eq!(code(sb.read_file("/v/x")), ErrorCode::InvalidState, "file ops on a paused sandbox");
    sb.release().unwrap();
    assert_eq!(code(sb.release()), ErrorCode::InvalidState);
    assert_eq!(code(sb.pause()), ErrorCode::InvalidState);
    assert_eq!(code(sb.resume()), ErrorCode::InvalidState);
    // The exhaustive pairwise check lives in mount.rs's unit tests.
    for from in MountState::ALL {
        assert!(!from.can_transition_to(MountState::Requested), "nothing returns to requested");
    }
}

#[test]
fn unmount_checks_volume_and_sandbox() {
    let (_d, e) = engine();
    vol(&e, "a", AccessMode::ReadWriteMany);
    vol(&e, "b", AccessMode::ReadWriteMany);
    let sb = claim(&e);
    let other = claim(&e);
    let m = sb.mount(mount_req("a", "/a")).unwrap();
    assert_eq!(code(sb.unmount("b", &m.id)), ErrorCode::NotFound);
    assert_eq!(code(other.unmount("a", &m.id)), ErrorCode::NotFound);
    assert_eq!(code(sb.unmount("a", "ms_missing")), ErrorCode::NotFound);
    assert_eq!(e.get_mount(&m.id).unwrap().state, MountState::Mounted);
    // by name works as well as by id
    sb.unmount("a", &m.id).unwrap();
}

#[test]
fn pause_resume_and_release_walk_the_states() {
    let (_d, e) = engine();
    vol(&e, "v", AccessMode::ReadWriteMany);
    let sb = claim(&e);
    let m = sb.mount(mount_req("v", "/v")).unwrap();
    sb.write_file("/v/f", b"1").unwrap();
    sb.write_file("/scratch.txt", b"tmp").unwrap();
    assert_eq!(sb.pause().unwrap().state, SandboxState::Paused);
    assert_eq!(e.get_mount(&m.id).unwrap().state, MountState::Paused);
    assert_eq!(sb.resume().unwrap().state, SandboxState::Running);
    assert_eq!(e.get_mount(&m.id).unwrap().state, MountState::Mounted);
    assert_eq!(sb.read_file("/v/f").unwrap(), b"1");
    let rel = sb.release().unwrap();
    assert_eq!(rel.state, SandboxState::Released);
    assert_eq!(e.get_mount(&m.id).unwrap().state, MountState::Released);
    assert_eq!(e.stats().unwrap().active_mounts, 0);
    // The volume survives; the scratch volume does not.
    assert_eq!(e.read_file(Target::Volume("v"), "/f").unwrap(), b"1");
    assert_eq!(e.stats().unwrap().volumes, 1);
    assert_eq!(e.fsck().unwrap().counter_drift, Vec::<String>::new());
}

// ---------- bootstrap mounts ----------

/// A host hook that sleeps for mounts at chosen mount points and fails others.
struct SlowHook {
    slow: Vec<(String, Duration)>,
    fail: Vec<String>,
}

impl MountHook for SlowHook {
    fn attach(&self, s: &MountSession) -> Result<()> {
        if self.fail.contains(&s.mount_point) {
            return Err(Error::io(format!("host could not attach {}", s.mount_point)));
        }
        if let Some((_, d)) = self.slow.iter().find(|(p, _)| *p == s.mount_point) {
            std::thread::sleep(*d);
        }
        Ok(())
    }
}

fn hooked(dir: &std::path::Path, hook: SlowHook) -> Engine {
    Engine::open_with(dir, EngineOptions { mount_hook: Some(Arc::new(hook)), ..Default::default() }).unwrap()
}

#[test]
fn claim_with_wait_reports_failed_and_timed_out_mounts_without_failing() {
    let d = tempfile::tempdir().unwrap();
    let e = hooked(d.path(), SlowHook { slow: vec![("/slow".into(), Duration::from_millis(1500))], fail: vec!["/hostfail".into()] });
    vol(&e, "ok", AccessMode::ReadWriteMany);
    vol(&e, "once", AccessMode::ReadWriteOnce);
    let holder = claim(&e);
    holder.mount(mount_req("once", "/h")).unwrap();
    let mut ro_missing = mount_req("ok", "/ro");
    ro_missing.subpath = Some("absent".into());
    ro_missing.read_only = Some(true);
    let t0 = Instant::now();
    let sb = e
        .claim_sandbox(
            "default",
            ClaimOptions {
                mounts: vec![
                    mount_req("ok", "/good"),
                    mount_req("missing-volume", "/nv"),
                    mount_req("once", "/rwo"),
                    ro_missing,
                    mount_req("ok", "/hostfail"),
                    mount_req("ok", "/slow"),
                ],
                wait_for_mounts: true,
                mount_wait_timeout_ms: Some(300),
                ..Default::default()
            },
        )
        .unwrap();
    let waited = t0.elapsed();
    assert!(waited >= Duration::from_millis(250) && waited < Duration::from_millis(1400), "{waited:?}");
    let by: BTreeMap<&str, &MountSession> = sb.bootstrap_mounts().iter().map(|m| (m.mount_point.as_str(), m)).collect();
    assert_eq!(by["/good"].state, MountState::Mounted);
    assert_eq!(by["/nv"].state, MountState::Failed);
    assert_eq!(by["/nv"].last_error_code.as_deref(), Some("not_found"));
    assert_eq!(by["/rwo"].last_error_code.as_deref(), Some("access_mode_violation"));
    assert_eq!(by["/ro"].last_error_code.as_deref(), Some("not_found"));
    assert_eq!(by["/hostfail"].state, MountState::Failed);
    assert_eq!(by["/hostfail"].last_error_code.as_deref(), Some("io"));
    assert!(matches!(by["/slow"].state, MountState::Requested | MountState::Mounting), "{:?}", by["/slow"].state);
    // The slow one finishes in the background.
    let deadline = Instant::now() + Duration::from_secs(10);
    loop {
        let s = e.get_mount(&by["/slow"].id).unwrap();
        if s.state == MountState::Mounted {
            break;
        }
        assert!(Instant::now() < deadline, "slow mount never finished: {:?}", s.state);
        std::thread::sleep(Duration::from_millis(20));
    }
    sb.write_file("/slow/f", b"ok").unwrap();
}

#[test]
fn claim_without_wait_returns_before_mounts_finish() {
    let d = tempfile::tempdir().unwrap();
    let e = hooked(d.path(), SlowHook { slow: vec![("/w".into(), Duration::from_millis(500))], fail: vec![] });
    vol(&e, "v", AccessMode::ReadWriteMany);
    let t0 = Instant::now();
    let sb = e.claim_sandbox("t", ClaimOptions { mounts: vec![mount_req("v", "/w")], ..Default::default() }).unwrap();
    assert!(t0.elapsed() < Duration::from_millis(400));
    let st = sb.bootstrap_mounts()[0].state;
    assert!(matches!(st, MountState::Requested | MountState::Mounting), "{st:?}");
    // While mounting, its paths do not fall through to scratch.
    let r = sb.write_file("/w/x", b"too early");
    if e.get_mount(&sb.bootstrap_mounts()[0].id).unwrap().state != MountState::Mounted {
        assert_eq!(code(r), ErrorCode::InvalidState);
    }
    let again = e.get_sandbox(sb.id()).unwrap();
    assert_eq!(again.bootstrap_mounts().len(), 1);
}

#[test]
fn malformed_bootstrap_requests_fail_the_claim_and_persist_nothing() {
    let (_d, e) = engine();
    vol(&e, "v", AccessMode::ReadWriteMany);
    let bad = |mounts: Vec<MountRequest>| e.claim_sandbox("t", ClaimOptions { mounts, ..Default::default() });
    assert_eq!(code(bad(vec![mount_req("v", "/")])), ErrorCode::InvalidArgument);
    assert_eq!(code(bad(vec![mount_req("v", "/etc")])), ErrorCode::PermissionDenied);
    assert_eq!(code(bad(vec![mount_req("v", "/a"), mount_req("v", "/a/")])), ErrorCode::Conflict);
    assert_eq!(code(e.claim_sandbox("", ClaimOptions::default())), ErrorCode::InvalidArgument);
    assert!(e.list_sandboxes().unwrap().is_empty());
}

// ---------- durability across close, reopen and process death ----------

#[test]
fn everything_survives_close_and_reopen() {
    let d = tempfile::tempdir().unwrap();
    let (vid, sid, mid) = {
        let e = Engine::open(d.path()).unwrap();
        let v = vol(&e, "p", AccessMode::ReadWriteMany);
        let sb = claim(&e);
        let m = sb.mount(mount_req("p", "/p")).unwrap();
        sb.write_file("/p/f", b"persisted").unwrap();
        e.close().unwrap();
        assert_eq!(code(e.get_volume("p")), ErrorCode::InvalidState, "closed engine refuses calls");
        e.close().unwrap();
        (v.id, sb.id().to_string(), m.id)
    };
    let e = Engine::open(d.path()).unwrap();
    assert_eq!(e.get_volume("p").unwrap().id, vid);
    let sb = e.get_sandbox(&sid).unwrap();
    assert_eq!(sb.info().state, SandboxState::Running);
    assert_eq!(e.get_mount(&mid).unwrap().state, MountState::Mounted);
    assert_eq!(sb.read_file("/p/f").unwrap(), b"persisted");
    sb.unmount("p", &mid).unwrap();
}

#[test]
fn block_size_is_fixed_per_data_directory() {
    let d = tempfile::tempdir().unwrap();
    small_blocks(d.path()).close().unwrap();
    let r = Engine::open(d.path());
    assert_eq!(code(r), ErrorCode::InvalidArgument);
    let r = Engine::open_with(d.path(), EngineOptions { block_size: 1, ..Default::default() });
    assert_eq!(code(r), ErrorCode::InvalidArgument);
}

#[test]
fn an_empty_or_nul_data_directory_path_is_refused_before_anything_is_created() {
    let d = tempfile::tempdir().unwrap();
    // "" would have opened the working directory.
    let cwd_had_catalog = std::path::Path::new("catalog.db").exists();
    let e = Engine::open("").map(|_| ()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidArgument);
    assert!(e.to_string().contains("data directory \"\" is empty"), "{e}");
    assert_eq!(std::path::Path::new("catalog.db").exists(), cwd_had_catalog);
    let e = Engine::open_with("", EngineOptions::default()).map(|_| ()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidArgument);
    // A NUL byte was an `io` error from the first mkdir; it is a bad argument.
    let e = Engine::open(d.path().join("a\0b")).map(|_| ()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidArgument);
    assert!(e.to_string().contains("a\\0b\" contains a NUL byte"), "{e}");
    assert!(std::fs::read_dir(d.path()).unwrap().next().is_none(), "something was created");
    // A name longer than the OS allows is the caller's too (it was `io`).
    let e = Engine::open(d.path().join("x".repeat(5000))).map(|_| ()).unwrap_err();
    assert_eq!(e.code(), ErrorCode::InvalidArgument, "{e}");
    assert!(std::fs::read_dir(d.path()).unwrap().next().is_none(), "something was created");
}

/// Child role: mount, report ids, then either idle (to be SIGKILLed) or race.
#[test]
#[ignore = "run as a child process by other tests"]
fn child_entry() {
    let Ok(role) = std::env::var("SANDVOL_CHILD_ROLE") else { return };
    let dir = std::env::var("SANDVOL_CHILD_DIR").unwrap();
    match role.as_str() {
        "mount-and-hang" => {
            let e = Engine::open(&dir).unwrap();
            let sb = claim(&e);
            let m = sb.mount(mount_req("shared", "/s")).unwrap();
            sb.write_file("/s/from-child", b"child wrote").unwrap();
            println!("CHILD {} {}", sb.id(), m.id);
            std::thread::sleep(Duration::from_secs(60));
        }
        "mounting-and-hang" => {
            struct Hang;
            impl MountHook for Hang {
                fn attach(&self, _: &MountSession) -> Result<()> {
                    std::thread::sleep(Duration::from_secs(60));
                    Ok(())
                }
            }
            let e = Engine::open_with(&dir, EngineOptions { mount_hook: Some(Arc::new(Hang)), ..Default::default() }).unwrap();
            let sb = e.claim_sandbox("t", ClaimOptions { mounts: vec![mount_req("shared", "/s")], ..Default::default() }).unwrap();
            println!("CHILD {} {}", sb.id(), sb.bootstrap_mounts()[0].id);
            std::thread::sleep(Duration::from_secs(60));
        }
        "race" => {
            let e = Engine::open(&dir).unwrap();
            let sb = claim(&e);
            let go = std::path::Path::new(&dir).join("go");
            while !go.exists() {
                std::thread::sleep(Duration::from_millis(1));
            }
            match sb.mount(mount_req("once", "/o")) {
                Ok(m) => println!("CHILD won {}", m.id),
                Err(err) => println!("CHILD lost {}", err.code()),
            }
        }
        other => panic!("unknown role {other}"),
    }
}

fn read_first_child_line(child: &mut std::process::Child) -> String {
    let out = child.stdout.as_mut().unwrap();
    let mut reader = BufReader::new(out);
    let mut line = String::new();
    loop {
        line.clear();
        assert!(reader.read_line(&mut line).unwrap() > 0, "child exited without reporting");
        if let Some(rest) = child_line(&line) {
            return rest;
        }
    }
}

#[test]
fn sessions_survive_a_sigkilled_owner() {
    let d = tempfile::tempdir().unwrap();
    {
        let e = Engine::open(d.path()).unwrap();
        vol(&e, "shared", AccessMode::ReadWriteMany);
    }
    let mut child = spawn_child(
        "child_entry",
        &[("SANDVOL_CHILD_ROLE", "mount-and-hang".into()), ("SANDVOL_CHILD_DIR", d.path().display().to_string())],
    );
    let line = read_first_child_line(&mut child);
    let (sid, mid) = line.split_once(' ').unwrap();
    child.kill().unwrap(); // SIGKILL
    child.wait().unwrap();
    let e = Engine::open(d.path()).unwrap();
    let sb = e.get_sandbox(sid).unwrap();
    assert_eq!(sb.info().state, SandboxState::Running);
    assert_eq!(e.get_mount(mid).unwrap().state, MountState::Mounted);
    assert_eq!(sb.read_file("/s/from-child").unwrap(), b"child wrote");
    assert_eq!(code(e.delete_volume("shared", false)), ErrorCode::Conflict);
    // Any process may release it.
    sb.release().unwrap();
    assert_eq!(e.get_mount(mid).unwrap().state, MountState::Released);
    e.delete_volume("shared", false).unwrap();
}

#[test]
fn a_mount_left_mounting_by_a_dead_process_is_recovered_on_open() {
    let d = tempfile::tempdir().unwrap();
    {
        let e = Engine::open(d.path()).unwrap();
        vol(&e, "shared", AccessMode::ReadWriteMany);
    }
    let mut child = spawn_child(
        "child_entry",
        &[("SANDVOL_CHILD_ROLE", "mounting-and-hang".into()), ("SANDVOL_CHILD_DIR", d.path().display().to_string())],
    );
    let line = read_first_child_line(&mut child);
    let (_sid, mid) = line.split_once(' ').unwrap();
    // Wait until the child is inside its attach hook.
    let probe = Engine::open(d.path()).unwrap();
    let deadline = Instant::now() + Duration::from_secs(10);
    while probe.get_mount(mid).unwrap().state != MountState::Mounting {
        assert!(Instant::now() < deadline);
        std::thread::sleep(Duration::from_millis(10));
    }
    // A live owner's in-flight session is left alone by other openers.
    drop(probe);
    let e2 = Engine::open(d.path()).unwrap();
    assert_eq!(e2.get_mount(mid).unwrap().state, MountState::Mounting);
    drop(e2);
    child.kill().unwrap();
    child.wait().unwrap();
    let e = Engine::open(d.path()).unwrap();
    assert_eq!(e.get_mount(mid).unwrap().state, MountState::Mounted);
}

#[test]
fn two_processes_racing_for_an_rwo_volume_exactly_one_wins() {
    for round in 0..3 {
        let d = tempfile::tempdir().unwrap();
        {
            let e = Engine::open(d.path()).unwrap();
            vol(&e, "once", AccessMode::ReadWriteOnce);
        }
        let env = [("SANDVOL_CHILD_ROLE", "race".to_string()), ("SANDVOL_CHILD_DIR", d.path().display().to_string())];
        let kids: Vec<_> = (0..2).map(|_| spawn_child("child_entry", &env)).collect();
        std::thread::sleep(Duration::from_millis(300));
        std::fs::write(d.path().join("go"), b"").unwrap();
        let mut results = Vec::new();
        for k in kids {
            let out = k.wait_with_output().unwrap();
            assert!(out.status.success());
            results.extend(child_lines(&String::from_utf8_lossy(&out.stdout)));
        }
        let won = results.iter().filter(|l| l.starts_with("won")).count();
        let lost: Vec<_> = results.iter().filter(|l| l.starts_with("lost")).collect();
        assert_eq!((won, lost.len()), (1, 1), "round {round}: {results:?}");
        assert_eq!(lost[0], "lost access_mode_violation");
        let e = Engine::open(d.path()).unwrap();
        assert_eq!(e.stats().unwrap().active_mounts, 1);
    }
}

#[test]
fn threads_racing_for_an_rwo_volume_exactly_one_wins() {
    let (_d, e) = engine();
    vol(&e, "once", AccessMode::ReadWriteOnce);
    let sbs: Vec<Sandbox> = (0..8).map(|_| claim(&e)).collect();
    let barrier = Arc::new(std::sync::Barrier::new(8));
    let handles: Vec<_> = sbs
        .into_iter()
        .map(|sb| {
            let b = barrier.clone();
            std::thread::spawn(move || {
                b.wait();
                sb.mount(mount_req("once", "/o")).map(|_| ()).map_err(|e| e.code())
            })
        })
        .collect();
    let results: Vec<_> = handles.into_iter().map(|h| h.join().unwrap()).collect();
    assert_eq!(results.iter().filter(|r| r.is_ok()).count(), 1, "{results:?}");
    assert!(results.iter().filter_map(|r| r.err()).all(|c| c == ErrorCode::AccessModeViolation));
}

#[test]
fn engine_is_send_sync_and_cheap_to_clone() {
    fn assert_send_sync<T: Send + Sync + Clone>() {}
    assert_send_sync::<Engine>();
    assert_send_sync::<Sandbox>();
}

#[test]
fn a_held_catalog_lock_is_timeout_after_busy_timeout_and_changes_nothing() {
    let d = tempfile::tempdir().unwrap();
    let opts = EngineOptions { busy_timeout: Duration::from_millis(300), ..Default::default() };
    let e = Engine::open_with(d.path(), opts).unwrap();
    let other = rusqlite::Connection::open(d.path().join("catalog.db")).unwrap();
    other.execute_batch("BEGIN IMMEDIATE").unwrap();
    let t0 = Instant::now();
    let err = e.create_volume(CreateVolume { name: Some("late".into()), ..Default::default() }).unwrap_err();
    assert_eq!(err.code(), ErrorCode::Timeout);
    assert!(t0.elapsed() >= Duration::from_millis(250) && t0.elapsed() < Duration::from_secs(10), "{:?}", t0.elapsed());
    other.execute_batch("ROLLBACK").unwrap();
    assert_eq!(code(e.get_volume("late")), ErrorCode::NotFound);
    e.create_volume(CreateVolume { name: Some("late".into()), ..Default::default() }).unwrap();
}

#[test]
fn a_busy_timeout_sqlite_cannot_take_is_refused_and_creates_nothing() {
    let d = tempfile::tempdir().unwrap();
    let dir = d.path().join("data");
    let opts = EngineOptions { busy_timeout: Duration::from_millis(i32::MAX as u64 + 1), ..Default::default() };
    let err = Engine::open_with(&dir, opts).map(|_| ()).unwrap_err();
    assert_eq!(err.code(), ErrorCode::InvalidArgument);
    assert!(err.to_string().contains("busy_timeout 2147483648 ms"), "{err}");
    assert!(!dir.exists(), "nothing was created");
    let opts = EngineOptions { busy_timeout: Duration::from_millis(i32::MAX as u64), ..Default::default() };
    Engine::open_with(&dir, opts).unwrap().close().unwrap();
}
