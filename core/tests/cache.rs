//! Block cache, prefetch, read-ahead, write buffer and writeback (DESIGN.md "Cache").

mod common;

use common::*;
use sandvol_core::*;
use std::io::{BufRead, BufReader};
use std::path::Path;
use std::sync::Arc;
use std::time::{Duration, Instant};

const BS: u64 = 64 << 10;

fn pattern(len: usize, seed: u8) -> Vec<u8> {
    (0..len).map(|i| (i as u8).wrapping_mul(13).wrapping_add(seed) ^ (i >> 11) as u8).collect()
}

fn cfg(cache: u64, prefetch: u32, writeback: bool) -> ConfigOverride {
    ConfigOverride { cache_size: Some(Size::Bytes(cache)), prefetch: Some(prefetch), writeback: Some(writeback), buffer_size: Some(Size::Bytes(4 * BS)) }
}

fn volume_with(e: &Engine, name: &str, c: ConfigOverride) {
    e.create_volume(CreateVolume { name: Some(name.into()), access_mode: Some(AccessMode::ReadWriteMany), config: c, ..Default::default() }).unwrap();
}

fn dir_bytes(p: &Path) -> u64 {
    let Ok(rd) = std::fs::read_dir(p) else { return 0 };
    // Files may vanish while we look (evictions run concurrently): skip those.
    rd.flatten()
        .filter_map(|e| {
            let md = e.metadata().ok()?;
            Some(if md.is_dir() { dir_bytes(&e.path()) } else { md.len() })
        })
        .sum()
}

fn wait_for(what: &str, mut f: impl FnMut() -> bool) {
    let deadline = Instant::now() + Duration::from_secs(10);
    while !f() {
        assert!(Instant::now() < deadline, "timed out waiting for {what}");
        std::thread::sleep(Duration::from_millis(5));
    }
}

#[test]
fn hit_miss_and_eviction_accounting() {
    let d = tempfile::tempdir().unwrap();
    let e = small_blocks(d.path());
    // A one-block buffer fetches sequentially, so LRU order is the read order.
    volume_with(&e, "c", ConfigOverride { buffer_size: Some(Size::Bytes(BS)), ..cfg(3 * BS, 0, false) });
    let at = Target::Volume("c");
    let data = pattern((5 * BS) as usize, 1);
    e.write_file(at, "/f", &data, &WriteOptions::default()).unwrap();
    assert_eq!(e.volume_stats("c").unwrap(), CacheStats::default(), "writes do not fill the cache");
    assert_eq!(e.read_file(at, "/f").unwrap(), data);
    let s = e.volume_stats("c").unwrap();
    assert_eq!((s.misses, s.hits, s.bytes_from_store), (5, 0, 5 * BS));
    assert_eq!(s.evictions, 2);
    assert_eq!(s.cached_bytes, 3 * BS);
    // The last three blocks are cached: reading them is all hits.
    assert_eq!(e.read_range(at, "/f", 2 * BS, 3 * BS).unwrap(), &data[(2 * BS) as usize..]);
    let s2 = e.volume_stats("c").unwrap();
    assert_eq!((s2.hits - s.hits, s2.misses - s.misses, s2.bytes_from_store - s.bytes_from_store), (3, 0, 0));
    // Block 0 was evicted: a miss again.
    e.read_range(at, "/f", 0, 10).unwrap();
    let s3 = e.volume_stats("c").unwrap();
    assert_eq!((s3.misses - s2.misses, s3.evictions - s2.evictions), (1, 1));
    assert_eq!(e.stats().unwrap().cache.misses, s3.misses, "engine stats sum the partitions");
}

#[test]
fn cache_directory_never_exceeds_cache_size_plus_one_block() {
    let d = tempfile::tempdir().unwrap();
    let e = small_blocks(d.path());
    let cap = 4 * BS + BS / 2;
    volume_with(&e, "c", cfg(cap, 2, false));
    let at = Target::Volume("c");
    let data = pattern((20 * BS) as usize, 2);
    e.write_file(at, "/f", &data, &WriteOptions::default()).unwrap();
    let mut x = 12345u64;
    for _ in 0..200 {
        x = x.wrapping_mul(6364136223846793005).wrapping_add(1442695040888963407);
        let off = (x >> 33) % (20 * BS);
        let got = e.read_range(at, "/f", off, 3 * BS).unwrap();
        assert_eq!(got, &data[off as usize..(off + 3 * BS).min(20 * BS) as usize]);
        let used = dir_bytes(&d.path().join("cache"));
        assert!(used <= cap + BS, "cache dir holds {used} bytes, cap {cap}");
    }
    assert!(e.volume_stats("c").unwrap().evictions > 0);
}

#[test]
fn damaged_cache_block_is_detected_and_never_returned() {
    let d = tempfile::tempdir().unwrap();
    let data = pattern((2 * BS) as usize, 3);
    {
        let e = small_blocks(d.path());
        volume_with(&e, "c", cfg(1 << 30, 0, false));
        e.write_file(Target::Volume("c"), "/f", &data, &WriteOptions::default()).unwrap();
        e.read_file(Target::Volume("c"), "/f").unwrap();
        e.close().unwrap();
    }
    let mut flipped = 0;
    for p in std::fs::read_dir(d.path().join("cache")).unwrap() {
        for f in std::fs::read_dir(p.unwrap().path()).unwrap() {
            let path = f.unwrap().path();
            let mut bytes = std::fs::read(&path).unwrap();
            bytes[100] ^= 0x55;
            std::fs::write(&path, bytes).unwrap();
            flipped += 1;
        }
    }
    assert_eq!(flipped, 2);
    let e = small_blocks(d.path());
    assert_eq!(e.read_file(Target::Volume("c"), "/f").unwrap(), data, "damaged copies are refetched from the store");
    let s = e.volume_stats("c").unwrap();
    assert_eq!((s.corrupt, s.misses, s.hits), (2, 2, 0));
    // Damage in the store itself is an error, never data.
    e.close().unwrap();
    let _ = std::fs::remove_dir_all(d.path().join("cache"));
    for sub in std::fs::read_dir(d.path().join("blocks")).unwrap() {
        let sub = sub.unwrap();
        if sub.file_name() == "tmp" {
            continue;
        }
        for f in std::fs::read_dir(sub.path()).unwrap() {
            let path = f.unwrap().path();
            let mut bytes = std::fs::read(&path).unwrap();
            bytes[7] ^= 1;
            std::fs::write(&path, bytes).unwrap();
        }
    }
    let e = small_blocks(d.path());
    assert_eq!(code(e.read_file(Target::Volume("c"), "/f")), ErrorCode::Corrupt);
    assert_eq!(e.volume_stats("c").unwrap().cached_bytes, 0, "a corrupt block never enters the cache");
}

#[test]
fn cache_survives_restart() {
    let d = tempfile::tempdir().unwrap();
    let data = pattern((3 * BS) as usize, 4);
    {
        let e = small_blocks(d.path());
        volume_with(&e, "c", cfg(1 << 30, 0, false));
        e.write_file(Target::Volume("c"), "/f", &data, &WriteOptions::default()).unwrap();
        e.read_file(Target::Volume("c"), "/f").unwrap();
    }
    let e = small_blocks(d.path());
    assert_eq!(e.read_file(Target::Volume("c"), "/f").unwrap(), data);
    let s = e.volume_stats("c").unwrap();
    assert_eq!((s.hits, s.misses, s.bytes_from_store), (3, 0, 0));
}

#[test]
fn prefetch_zero_fetches_nothing_extra_and_prefetch_n_fetches_n() {
    let d = tempfile::tempdir().unwrap();
    let e = small_blocks(d.path());
    volume_with(&e, "p0", cfg(1 << 30, 0, false));
    volume_with(&e, "p3", cfg(1 << 30, 3, false));
    let data = pattern((10 * BS) as usize, 5);
    for v in ["p0", "p3"] {
        e.write_file(Target::Volume(v), "/f", &data, &WriteOptions::default()).unwrap();
        e.read_range(Target::Volume(v), "/f", BS, 10).unwrap();
    }
    std::thread::sleep(Duration::from_millis(200));
    let s0 = e.volume_stats("p0").unwrap();
    assert_eq!((s0.misses, s0.prefetched, s0.bytes_from_store), (1, 0, BS));
    wait_for("3 prefetched blocks", || e.volume_stats("p3").unwrap().prefetched == 3);
    let s3 = e.volume_stats("p3").unwrap();
    assert_eq!(s3.bytes_from_store, 4 * BS);
    // Reading the prefetched blocks is all hits and counts them as used.
    e.read_range(Target::Volume("p3"), "/f", 2 * BS, 3 * BS).unwrap();
    let s3b = e.volume_stats("p3").unwrap();
    assert_eq!((s3b.prefetched_used, s3b.misses), (3, 1));
}

#[test]
fn sequential_reads_read_ahead_and_random_reads_do_not() {
    let d = tempfile::tempdir().unwrap();
    let e = small_blocks(d.path());
    volume_with(&e, "v", cfg(1 << 30, 0, false));
    let data = pattern((32 * BS) as usize, 6);
    e.write_file(Target::Volume("v"), "/f", &data, &WriteOptions::default()).unwrap();
    let sb = claim(&e);
    sb.mount(mount_req("v", "/seq")).unwrap();
    sb.mount(mount_req("v", "/rnd")).unwrap();
    let h = sb.open_file("/seq/f", OpenOptions::from_mode("r").unwrap()).unwrap();
    let mut off = 0;
    while off < 16 * BS {
        assert_eq!(h.read_at(off, BS / 2).unwrap(), &data[off as usize..(off + BS / 2) as usize]);
        off += BS / 2;
    }
    let seq_mount = sb.mount_status().unwrap().into_iter().find(|m| m.mount_point == "/seq").unwrap();
    assert_eq!(seq_mount.config.buffer_size, 4 * BS);
    wait_for("read-ahead", || e.volume_stats("v").unwrap().prefetched > 0);
    // Let in-flight read-ahead land before taking the baseline for the random phase.
    let mut seq = e.volume_stats("v").unwrap();
    loop {
        std::thread::sleep(Duration::from_millis(150));
        let now = e.volume_stats("v").unwrap();
        if now.prefetched == seq.prefetched {
            break;
        }
        seq = now;
    }
    assert!(seq.prefetched_used > 0, "{seq:?}");
    assert!(seq.misses < 16, "read-ahead turned misses into hits: {seq:?}");
    let h = sb.open_file("/rnd/f", OpenOptions::from_mode("r").unwrap()).unwrap();
    for i in [9u64, 3, 27, 14, 30, 1, 22, 6] {
        assert_eq!(h.read_at(i * BS + 7, 100).unwrap(), &data[(i * BS + 7) as usize..(i * BS + 107) as usize]);
    }
    std::thread::sleep(Duration::from_millis(100));
    let after = e.volume_stats("v").unwrap();
    assert_eq!(after.prefetched, seq.prefetched, "random reads read nothing ahead");
}

#[test]
fn per_mount_override_is_honoured() {
    let d = tempfile::tempdir().unwrap();
    let e = small_blocks(d.path());
    volume_with(&e, "v", cfg(1 << 30, 0, false));
    let data = pattern((6 * BS) as usize, 7);
    e.write_file(Target::Volume("v"), "/f", &data, &WriteOptions::default()).unwrap();
    let sb = claim(&e);
    let mut small = mount_req("v", "/small");
    // A one-block buffer fetches sequentially, so which blocks survive in the
    // 2-block cache does not depend on the order parallel fetches finish.
    small.config = ConfigOverride { cache_size: Some(Size::Bytes(2 * BS)), buffer_size: Some(Size::Bytes(BS)), ..Default::default() };
    let ms = sb.mount(small).unwrap();
    sb.mount(mount_req("v", "/big")).unwrap();
    assert_eq!(ms.config.cache_size, 2 * BS);
    for mp in ["/small/f", "/big/f"] {
        assert_eq!(sb.read_file(mp).unwrap(), data);
        assert_eq!(sb.read_file(mp).unwrap(), data);
    }
    let s = e.volume_stats("v").unwrap();
    // /big caches all 6 blocks (6 misses, then 6 hits); /small thrashes (12 misses).
    assert_eq!((s.misses, s.hits), (18, 6), "{s:?}");
    assert!(dir_bytes(&d.path().join("cache").join(&ms.id)) <= 2 * BS);
    // Unmount drops that mount's cache.
    sb.unmount("v", &ms.id).unwrap();
    assert!(!d.path().join("cache").join(&ms.id).exists());
}

/// An engine over a local block store behind a simulated slow link, and that link.
fn slow_engine(d: &Path, first_byte: Duration, bytes_per_sec: u64) -> (Engine, Arc<SimulatedStore>) {
    let local: Arc<dyn BlockStore> = Arc::new(LocalStore::open(&d.join("blocks"), false).unwrap());
    let slow = Arc::new(SimulatedStore::new(local, first_byte, bytes_per_sec));
    let e = Engine::open_with(d, EngineOptions { block_size: BS, store: Some(slow.clone()), ..Default::default() }).unwrap();
    (e, slow)
}

#[test]
fn slow_backend_does_not_block_cache_hits() {
    let d = tempfile::tempdir().unwrap();
    let (e, _) = slow_engine(d.path(), Duration::from_millis(400), 200 << 20);
    volume_with(&e, "v", cfg(1 << 30, 0, false));
    let at = Target::Volume("v");
    e.write_file(at, "/cold", &pattern(BS as usize, 1), &WriteOptions::default()).unwrap();
    e.write_file(at, "/warm", &pattern(BS as usize, 2), &WriteOptions::default()).unwrap();
    e.read_file(at, "/warm").unwrap();
    let cold = {
        let e = e.clone();
        std::thread::spawn(move || e.read_file(Target::Volume("v"), "/cold").unwrap())
    };
    std::thread::sleep(Duration::from_millis(50));
    let t0 = Instant::now();
    assert_eq!(e.read_file(at, "/warm").unwrap(), pattern(BS as usize, 2));
    assert!(t0.elapsed() < Duration::from_millis(200), "hit waited {:?} behind a slow fetch", t0.elapsed());
    assert_eq!(cold.join().unwrap(), pattern(BS as usize, 1));
}

#[test]
fn writeback_acknowledges_before_upload_and_serves_reads_from_staging() {
    let d = tempfile::tempdir().unwrap();
    let (e, slow) = slow_engine(d.path(), Duration::from_millis(300), 50 << 20);
    volume_with(&e, "wb", cfg(1 << 30, 0, true));
    volume_with(&e, "wt", cfg(1 << 30, 0, false));
    let data = pattern((4 * BS) as usize, 8);
    let t0 = Instant::now();
    e.write_file(Target::Volume("wt"), "/f", &data, &WriteOptions::default()).unwrap();
    let through = t0.elapsed();
    let sb = claim(&e);
    let m = sb.mount(mount_req("wb", "/wb")).unwrap();
    let data2 = pattern((4 * BS) as usize, 9);
    let t0 = Instant::now();
    sb.write_file("/wb/f", &data2).unwrap();
    let back = t0.elapsed();
    assert!(back * 5 < through, "writeback {back:?} vs write-through {through:?}");
    assert!(e.stats().unwrap().cache.staged_bytes > 0);
    let puts = slow.puts();
    assert_eq!(sb.read_file("/wb/f").unwrap(), data2, "staged blocks are readable before upload");
    assert_eq!(e.volume_stats("wb").unwrap().bytes_from_store, 0);
    assert!(e.fsck().unwrap().is_clean(), "staged blocks count as present");
    // Unmount flushes: afterwards everything is in the store.
    sb.unmount("wb", &m.id).unwrap();
    assert_eq!(e.stats().unwrap().cache.staged_bytes, 0);
    assert!(slow.puts() >= puts);
    assert_eq!(walk(&d.path().join("staging")), Vec::<String>::new(), "no staged file left");
    assert!(e.fsck().unwrap().is_clean());
}

#[test]
#[ignore = "run as a child process by writeback_crash_test"]
fn writeback_child() {
    let Ok(dir) = std::env::var("SANDVOL_WB_DIR") else { return };
    let dir = Path::new(&dir);
    // Uploads are slow, so staged blocks pile up when the parent kills us.
    let (e, _) = slow_engine(dir, Duration::from_millis(200), 10 << 20);
    let mut i = 0u64;
    loop {
        let data = pattern((BS + i * 997 % (2 * BS)) as usize, i as u8);
        let info = e.write_file(Target::Volume("wb"), &format!("/f{}", i % 7), &data, &WriteOptions::default()).unwrap();
        println!("CHILD /f{} {} {} {}", i % 7, info.version, data.len(), i as u8);
        i += 1;
    }
}

#[test]
fn writeback_crash_test() {
    let d = tempfile::tempdir().unwrap();
    {
        let e = small_blocks(d.path());
        volume_with(&e, "wb", cfg(1 << 30, 0, true));
    }
    let mut child = spawn_child("writeback_child", &[("SANDVOL_WB_DIR", d.path().display().to_string())]);
    let mut acked = std::collections::BTreeMap::new();
    let mut lines = BufReader::new(child.stdout.take().unwrap()).lines();
    while acked.len() < 7 || acked.values().map(|v: &(u64, usize, u8)| v.0).max().unwrap_or(0) < 40 {
        let Some(Ok(l)) = lines.next() else { panic!("child stopped") };
        if let Some(rest) = child_line(&l) {
            let p: Vec<&str> = rest.split(' ').collect();
            acked.insert(p[0].to_string(), (p[1].parse::<u64>().unwrap(), p[2].parse::<usize>().unwrap(), p[3].parse::<u8>().unwrap()));
        }
    }
    child.kill().unwrap();
    child.wait().unwrap();
    let staged: Vec<String> =
        std::fs::read_dir(d.path().join("staging")).unwrap().map(|e| e.unwrap().file_name().to_string_lossy().into_owned()).collect();
    assert!(!staged.is_empty(), "the kill should leave staged blocks behind");
    // Everything the child staged is in its own directory (slots and whole-block files).
    assert!(staged.iter().all(|n| n.starts_with("engine-")), "{staged:?}");
    // Reopen with a plain local store: staged blocks are uploaded first.
    let e = small_blocks(d.path());
    assert_eq!(std::fs::read_dir(d.path().join("staging")).unwrap().count(), 0);
    let rep = e.fsck().unwrap();
    assert!(rep.is_clean(), "{rep:?}");
    for (path, (version, len, s)) in &acked {
        let info = e.stat(Target::Volume("wb"), path).unwrap();
        assert!(info.version >= *version);
        if info.version == *version {
            assert_eq!(e.read_file(Target::Volume("wb"), path).unwrap(), pattern(*len, *s), "{path}");
        }
    }
}

#[test]
fn many_concurrent_readers_and_writers() {
    let d = tempfile::tempdir().unwrap();
    let e = small_blocks(d.path());
    volume_with(&e, "v", cfg(8 * BS, 1, false));
    let threads: Vec<_> = (0..8)
        .map(|t| {
            let e = e.clone();
            std::thread::spawn(move || {
                let at = Target::Volume("v");
                for i in 0..15 {
                    let data = pattern((BS + (t * 1000 + i * 37) as u64 % (3 * BS)) as usize, (t + i) as u8);
                    let p = format!("/t{t}/f{}", i % 3);
                    e.write_file(at, &p, &data, &WriteOptions::default()).unwrap();
                    assert_eq!(e.read_file(at, &p).unwrap(), data);
                    let other = format!("/t{}/f0", (t + 1) % 8);
                    match e.read_file(at, &other) {
                        Ok(_) => {}
                        Err(err) => assert_eq!(err.code(), ErrorCode::NotFound),
                    }
                }
            })
        })
        .collect();
    for t in threads {
        t.join().unwrap();
    }
    assert!(e.fsck().unwrap().is_clean());
    assert!(dir_bytes(&d.path().join("cache")) <= 8 * BS + BS);
}

/// Block store trouble for the cache tests: puts can be slowed and made to fail.
struct Flaky {
    fail: std::sync::atomic::AtomicBool,
    delay: Duration,
}

impl PutHook for Flaky {
    fn before_put(&self, hash: &str, _data: &[u8]) -> Result<()> {
        std::thread::sleep(self.delay);
        if self.fail.load(std::sync::atomic::Ordering::SeqCst) {
            return Err(Error::new(ErrorCode::Io, format!("injected failure storing {hash}")));
        }
        Ok(())
    }
}

fn flaky_engine(d: &Path, delay: Duration) -> (Engine, Arc<HookedStore<Flaky>>) {
    let store = HookedStore::open(d, Flaky { fail: std::sync::atomic::AtomicBool::new(false), delay });
    let e = Engine::open_with(d, EngineOptions { block_size: BS, store: Some(store.clone()), ..Default::default() }).unwrap();
    (e, store)
}

#[test]
fn handle_reads_and_rewrites_see_batches_still_being_stored() {
    let d = tempfile::tempdir().unwrap();
    // Slow puts keep batches in flight while the test looks at them.
    let (e, _store) = flaky_engine(d.path(), Duration::from_millis(100));
    volume_with(&e, "p", cfg(1 << 30, 0, false));
    let at = Target::Volume("p");
    let mut data = pattern((6 * BS) as usize, 3);
    let h = e.open_file(at, "/f", OpenOptions::from_mode("w+").unwrap()).unwrap();
    let mut peak = 0;
    for piece in data.chunks(10_000) {
        h.write_at(h.size(), piece).unwrap();
        peak = peak.max(h.dirty_bytes());
    }
    // buffer_size is 4 blocks: batches in flight count against it.
    assert!(peak <= 5 * BS, "held {peak} bytes");
    assert!(h.dirty_bytes() > BS, "several blocks are still being stored");
    let got = h.read_at(0, 6 * BS).unwrap();
    let first_diff = got.iter().zip(&data).position(|(a, b)| a != b);
    assert!(got.len() == data.len() && first_diff.is_none(), "reads see batches in flight: {} bytes, first difference at {first_diff:?}", got.len());
    // A partial rewrite of a block in flight starts from its newest bytes.
    // (Blocks 2-4 are in flight now: block 0 and 1 were committed to make room.)
    h.write_at(3 * BS + 7, b"rewritten").unwrap();
    data[(3 * BS + 7) as usize..(3 * BS + 16) as usize].copy_from_slice(b"rewritten");
    assert_eq!(h.read_at(3 * BS, BS).unwrap(), &data[3 * BS as usize..4 * BS as usize]);
    h.close().unwrap();
    assert_eq!(h.dirty_bytes(), 0);
    assert_eq!(e.read_file(at, "/f").unwrap(), data);
    assert_eq!(e.get_volume("p").unwrap().used_bytes, data.len() as u64);
    assert!(e.fsck().unwrap().is_clean());
}

#[test]
fn failed_block_stores_keep_the_writes_for_a_retry_and_publish_nothing() {
    let d = tempfile::tempdir().unwrap();
    let (e, store) = flaky_engine(d.path(), Duration::ZERO);
    volume_with(&e, "p", cfg(1 << 30, 0, false));
    let at = Target::Volume("p");
    let old = pattern((2 * BS) as usize, 4);
    e.write_file(at, "/f", &old, &WriteOptions::default()).unwrap();
    let before = e.stat(at, "/f").unwrap();
    store.hook.fail.store(true, std::sync::atomic::Ordering::SeqCst);
    let new = pattern((3 * BS) as usize, 5);
    let h = e.open_file(at, "/f", OpenOptions::from_mode("r+").unwrap()).unwrap();
    h.write_at(0, &new).unwrap();
    assert_eq!(code(h.flush()), ErrorCode::Io);
    assert_eq!(e.stat(at, "/f").unwrap().version, before.version, "nothing was published");
    assert_eq!(e.read_file(at, "/f").unwrap(), old);
    assert_eq!(h.read_at(0, 3 * BS).unwrap(), new, "the handle still holds its writes");
    store.hook.fail.store(false, std::sync::atomic::Ordering::SeqCst);
    h.close().unwrap();
    assert_eq!(e.read_file(at, "/f").unwrap(), new);
    assert_eq!(e.get_volume("p").unwrap().used_bytes, new.len() as u64);
    assert!(e.fsck().unwrap().is_clean());
}

#[test]
fn whole_writeback_blocks_of_a_running_engine_are_left_to_it() {
    let d = tempfile::tempdir().unwrap();
    let (e1, slow) = slow_engine(d.path(), Duration::from_millis(500), 50 << 20);
    volume_with(&e1, "wb", cfg(1 << 30, 0, true));
    let at = Target::Volume("wb");
    let whole = pattern((2 * BS) as usize, 5);
    e1.write_file(at, "/whole", &whole, &WriteOptions::default()).unwrap();
    let staged = e1.stats().unwrap().cache.staged_bytes;
    assert_eq!(staged, whole.len() as u64, "both blocks wait for the slow upload");
    let files = || -> Vec<String> {
        let mut v: Vec<String> = walk(&d.path().join("staging")).into_iter().filter(|n| !n.contains(".tmp.")).collect();
        v.sort();
        v
    };
    let before = files();
    assert_eq!(before.len(), 2, "{before:?}");
    // A second engine opening the directory meanwhile takes none of them (it used to
    // upload and delete them, and then e1's own upload found no file).
    let puts = slow.puts();
    let e2 = small_blocks(d.path());
    assert_eq!(files(), before);
    assert_eq!(slow.puts(), puts, "the second engine uploaded nothing");
    assert_eq!(e1.stats().unwrap().cache.staged_bytes, staged);
    // (e2 first: a block e1 has read is in the volume's cache files, which e2 shares.)
    assert_eq!(e2.read_file(at, "/whole").unwrap(), whole, "another engine reads e1's staged blocks");
    assert_eq!(slow.puts(), puts, "still not uploaded");
    assert_eq!(e1.read_file(at, "/whole").unwrap(), whole, "served from staging before upload");
    let rep = e2.fsck().unwrap();
    assert!(rep.is_clean(), "e1's staged blocks count as present: {rep:?}");
    // e1 uploads its own blocks: a clean close leaves staging/ empty.
    e1.close().unwrap();
    assert_eq!(files(), Vec::<String>::new());
    assert_eq!(std::fs::read_dir(d.path().join("staging")).unwrap().count(), 0);
    assert_eq!(e2.read_file(at, "/whole").unwrap(), whole);
    assert!(e2.fsck().unwrap().is_clean());
}

/// Staging entries below `dir`, as "subdir/name" (or "name" at the top), but
/// for the lock file each engine keeps in its directory.
fn walk(dir: &Path) -> Vec<String> {
    let mut out = Vec::new();
    for e in std::fs::read_dir(dir).unwrap() {
        let e = e.unwrap();
        let name = e.file_name().to_string_lossy().into_owned();
        if e.file_type().unwrap().is_dir() {
            out.extend(
                std::fs::read_dir(e.path())
                    .unwrap()
                    .map(|f| f.unwrap().file_name().to_string_lossy().into_owned())
                    .filter(|f| f != "lock")
                    .map(|f| format!("{name}/{f}")),
            );
        } else {
            out.push(name);
        }
    }
    out
}

#[test]
fn small_writeback_blocks_use_slots_that_another_engine_leaves_alone() {
    let d = tempfile::tempdir().unwrap();
    let (e1, _) = slow_engine(d.path(), Duration::from_millis(500), 50 << 20);
    volume_with(&e1, "wb", cfg(1 << 30, 0, true));
    let at = Target::Volume("wb");
    let small = pattern(10_000, 3);
    e1.write_file(at, "/small", &small, &WriteOptions::default()).unwrap();
    assert_eq!(e1.stats().unwrap().cache.staged_bytes, small.len() as u64);
    let slots = || std::fs::read_dir(d.path().join("staging")).unwrap().filter(|e| e.as_ref().unwrap().file_name().to_string_lossy().starts_with("engine-")).count();
    assert_eq!(slots(), 1);
    // A second engine on the same directory (same process, still alive) does not take the slot over.
    let e2 = small_blocks(d.path());
    assert_eq!(slots(), 1);
    // (e2 first: a block e1 has read is in the volume's cache files, which e2 shares.)
    assert_eq!(e2.read_file(at, "/small").unwrap(), small, "another engine reads e1's slot before upload");
    assert_eq!(e1.stats().unwrap().cache.staged_bytes, small.len() as u64, "still not uploaded");
    assert_eq!(e1.read_file(at, "/small").unwrap(), small, "served from the slot before upload");
    // A clean close uploads and removes the slots.
    e1.close().unwrap();
    assert_eq!(slots(), 0);
    assert_eq!(e2.read_file(at, "/small").unwrap(), small);
    assert!(e2.fsck().unwrap().is_clean());
}

#[test]
fn a_block_that_cannot_be_cached_is_still_read() {
    let d = tempfile::tempdir().unwrap();
    let e = small_blocks(d.path());
    volume_with(&e, "c", cfg(1 << 30, 0, false));
    let at = Target::Volume("c");
    let (f, g) = (pattern((2 * BS) as usize, 5), pattern((3 * BS) as usize, 6));
    e.write_file(at, "/f", &f, &WriteOptions::default()).unwrap();
    e.write_file(at, "/g", &g, &WriteOptions::default()).unwrap();
    assert_eq!(e.read_file(at, "/f").unwrap(), f);
    // Each partition directory becomes a plain file: no new block can be
    // cached (as with a cache disk that fails), and reads go on from the store.
    let mut broken = 0;
    for p in std::fs::read_dir(d.path().join("cache")).unwrap() {
        let p = p.unwrap().path();
        std::fs::remove_dir_all(&p).unwrap();
        std::fs::write(&p, b"not a directory").unwrap();
        broken += 1;
    }
    assert!(broken >= 1);
    let before = e.volume_stats("c").unwrap();
    assert_eq!(e.read_file(at, "/g").unwrap(), g, "an uncacheable block failed the read");
    let after = e.volume_stats("c").unwrap();
    assert_eq!(after.misses - before.misses, 3);
    assert_eq!(after.cached_bytes, before.cached_bytes, "nothing was cached");
}

#[test]
fn reads_racing_a_release_never_fail_with_io() {
    // Releasing a sandbox drops its sessions' cache partitions; a read that
    // fetched a block at that moment used to fail renaming its cache file
    // into the removed directory ("i/o: No such file or directory").
    let d = tempfile::tempdir().unwrap();
    let e = small_blocks(d.path());
    volume_with(&e, "c", cfg(1 << 30, 0, false));
    let data = pattern((4 * BS) as usize, 7);
    e.write_file(Target::Volume("c"), "/f", &data, &WriteOptions::default()).unwrap();
    let mut outcomes = std::collections::BTreeMap::new();
    for _ in 0..60 {
        let sb = claim(&e);
        sb.mount(mount_req("c", "/m")).unwrap();
        let readers: Vec<_> = (0..3)
            .map(|_| {
                let sb = sb.clone();
                std::thread::spawn(move || (0..8).map(|_| sb.read_file("/m/f").map(|b| b.len())).collect::<Vec<_>>())
            })
            .collect();
        std::thread::sleep(Duration::from_micros(300));
        sb.release().unwrap();
        for r in readers {
            for got in r.join().unwrap() {
                let key = match got {
                    Ok(n) => {
                        assert_eq!(n, data.len());
                        "ok".to_string()
                    }
                    Err(err) => {
                        assert!(matches!(err.code(), ErrorCode::NotFound | ErrorCode::InvalidState), "{err:?}");
                        err.code().as_str().to_string()
                    }
                };
                *outcomes.entry(key).or_insert(0) += 1;
            }
        }
    }
    assert!(outcomes.len() >= 2, "every read ended the same way, so none raced the release: {outcomes:?}");
    // Nothing is left in the cache for the released sessions.
    let left: Vec<_> = std::fs::read_dir(d.path().join("cache")).unwrap().map(|p| p.unwrap().file_name()).collect();
    assert!(left.iter().all(|n| !n.to_string_lossy().starts_with("ms_")), "{left:?}");
}

#[test]
fn sessions_and_volumes_that_end_without_an_unmount_leave_no_cache() {
    let d = tempfile::tempdir().unwrap();
    let e = small_blocks(d.path());
    volume_with(&e, "c", cfg(1 << 30, 0, false));
    let data = pattern((2 * BS) as usize, 9);
    e.write_file(Target::Volume("c"), "/f", &data, &WriteOptions::default()).unwrap();
    let sb = claim(&e);
    let m = sb.mount(mount_req("c", "/m")).unwrap();
    sb.write_file("/own", &data).unwrap(); // in the sandbox's scratch volume
    assert_eq!(sb.read_file("/m/f").unwrap(), data);
    assert_eq!(e.read_file(Target::Volume("c"), "/f").unwrap(), data);
    assert_eq!(sb.read_file("/own").unwrap(), data);
    let cached = || -> Vec<String> {
        let mut v: Vec<_> = std::fs::read_dir(d.path().join("cache")).unwrap().map(|p| p.unwrap().file_name().to_string_lossy().into_owned()).collect();
        v.sort();
        v
    };
    assert_eq!(cached().len(), 3, "session, volume and scratch partitions: {:?}", cached());
    let vid = e.get_volume("c").unwrap().id;
    assert!(cached().contains(&m.id) && cached().contains(&vid));
    // A forced delete fails the session and drops both its cache and the volume's.
    e.delete_volume("c", true).unwrap();
    assert_eq!(e.get_mount(&m.id).unwrap().state, MountState::Failed);
    assert_eq!(cached().len(), 1, "{:?}", cached());
    // Releasing drops the scratch volume's.
    sb.release().unwrap();
    assert!(cached().is_empty(), "{:?}", cached());
}
