//! The seed walkthrough from DESIGN.md, in Rust: volumes, sandboxes, bootstrap
//! mounts, shared RWX files, the delete conflict, snapshots, fork, restore.
//!
//! Run: `cargo run -p sandvol-core --example walkthrough [DATA_DIR]`

use sandvol_core::{
    AccessMode, ClaimOptions, ConfigOverride, CreateVolume, Engine, ErrorCode, MountRequest, Target, WriteOptions,
};

fn main() -> Result<(), sandvol_core::Error> {
    let engine = match std::env::args().nth(1) {
        Some(dir) => Engine::open(dir)?,
        None => Engine::open_default()?,
    };
    let name = format!("datasets-{}", std::process::id());
    let vol = engine.create_volume(CreateVolume {
        name: Some(name.clone()),
        access_mode: Some(AccessMode::ReadWriteMany),
        config: ConfigOverride { cache_size: Some("1G".into()), buffer_size: Some("128M".into()), ..Default::default() },
        ..Default::default()
    })?;
    println!("volume   {} {} {}", vol.id, name, vol.access_mode);

    let sb = engine.claim_sandbox("default", ClaimOptions::default())?;
    let m = sb.mount(MountRequest::new(&vol.id, "/mnt/data"))?;
    println!("mount    {} {} {}", m.id, m.mount_point, m.state);
    sb.write_file("/mnt/data/hello.txt", b"Hello, Volume!")?;
    assert_eq!(sb.read_file("/mnt/data/hello.txt")?, b"Hello, Volume!");

    let sb2 = engine.claim_sandbox(
        "default",
        ClaimOptions {
            mounts: vec![MountRequest::new(&name, "/workspace/data")],
            wait_for_mounts: true,
            mount_wait_timeout_ms: Some(30_000),
            ..Default::default()
        },
    )?;
    for bm in sb2.bootstrap_mounts() {
        println!("boot     {} {} {}", bm.volume_id, bm.mount_point, bm.state);
    }
    assert_eq!(sb2.read_file("/workspace/data/hello.txt")?, b"Hello, Volume!");
    println!("sandbox2 reads {:?}", String::from_utf8_lossy(&sb2.read_file("/workspace/data/hello.txt")?));

    for s in sb.mount_status()? {
        println!("status   {} {} {} {}", s.volume_id, s.mount_point, s.id, s.state);
    }

    match engine.delete_volume(&vol.id, false) {
        Err(e) if e.code() == ErrorCode::Conflict => println!("delete   {} ({})", e.code(), e),
        other => panic!("expected a conflict, got {other:?}"),
    }

    let snap = engine.create_snapshot(&vol.id, Some("v1"))?;
    let fork = engine.fork_snapshot(&snap.id, CreateVolume { name: Some(format!("{name}-copy")), ..Default::default() })?;
    engine.write_file(Target::Volume(&fork.id), "/notes.txt", b"direct, no mount", &WriteOptions::default())?;
    println!("fork     {} reads {:?}", fork.id, String::from_utf8_lossy(&engine.read_file(Target::Volume(&fork.id), "/notes.txt")?));

    sb.unmount(&vol.id, &m.id)?;
    sb2.release()?;
    sb.write_file("/tmp/scratch.txt", b"scratch")?;
    engine.write_file(Target::Volume(&vol.id), "/hello.txt", b"changed after v1", &WriteOptions::default())?;
    engine.restore_snapshot(&snap.id)?;
    assert_eq!(engine.read_file(Target::Volume(&vol.id), "/hello.txt")?, b"Hello, Volume!");
    println!("restore  {} back to {:?}", vol.id, "Hello, Volume!");
    sb.release()?;
    engine.delete_volume(&vol.id, false)?;
    engine.delete_volume(&fork.id, false)?;
    println!("deleted  {} and {}", vol.id, fork.id);
    engine.close()?;
    Ok(())
}
