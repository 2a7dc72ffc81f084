//! What the randomized model tests (fs_model.rs, handle_model.rs) share:
//! deterministic randomness, early-return checks, and the seeds to run.

// Every test binary includes `common`; only the model tests use `ensure!`.
#![allow(unused_macros, unused_imports)]

/// xorshift64: deterministic, no dependency.
pub struct Rng(pub u64);

impl Rng {
    pub fn new(seed: u64) -> Rng {
        let mut r = Rng(seed.wrapping_mul(0x9E37_79B9_7F4A_7C15) ^ 0xD1B5_4A32_D192_ED03);
        if r.0 == 0 {
            r.0 = 1;
        }
        r.next();
        r
    }
    pub fn next(&mut self) -> u64 {
        let mut x = self.0;
        x ^= x << 13;
        x ^= x >> 7;
        x ^= x << 17;
        self.0 = x;
        x
    }
    pub fn below(&mut self, n: u64) -> u64 {
        if n == 0 { 0 } else { self.next() % n }
    }
    /// Inclusive.
    pub fn range(&mut self, lo: u64, hi: u64) -> u64 {
        lo + self.below(hi - lo + 1)
    }
    pub fn chance(&mut self, percent: u64) -> bool {
        self.below(100) < percent
    }
    pub fn pick<T: Copy>(&mut self, xs: &[T]) -> T {
        xs[self.below(xs.len() as u64) as usize]
    }
    pub fn bytes(&mut self, n: usize) -> Vec<u8> {
        let mut v = Vec::with_capacity(n + 8);
        while v.len() < n {
            v.extend_from_slice(&self.next().to_le_bytes());
        }
        v.truncate(n);
        v
    }
}

/// Returns `Err(format!(...))` from the enclosing function unless the condition holds.
macro_rules! ensure {
    ($cond:expr, $($fmt:tt)+) => {
        if !$cond {
            return Err(format!($($fmt)+));
        }
    };
}
pub(crate) use ensure;

/// The seeds and operations per seed a model test runs, from
/// `<PREFIX>_SEED=<seed>` (that seed alone, verbose), `<PREFIX>_SEEDS=<a>..<b>`
/// and `<PREFIX>_OPS=<n>`, else `0..seeds` with `ops` each.
pub struct Plan {
    pub seeds: Vec<u64>,
    pub ops: usize,
    /// One seed was asked for: print every operation.
    pub verbose: bool,
}

pub fn plan(prefix: &str, seeds: u64, ops: usize) -> Plan {
    let var = |name: &str| std::env::var(format!("{prefix}_{name}")).ok();
    let ops = var("OPS").map(|s| s.parse().expect("OPS is a number")).unwrap_or(ops);
    if let Some(s) = var("SEED") {
        return Plan { seeds: vec![s.parse().expect("SEED is a number")], ops, verbose: true };
    }
    let seeds = match var("SEEDS") {
        Some(s) => {
            let (a, b) = s.split_once("..").expect("SEEDS=a..b");
            (a.parse::<u64>().unwrap()..b.parse::<u64>().unwrap()).collect()
        }
        None => (0..seeds).collect(),
    };
    Plan { seeds, ops, verbose: false }
}

/// Runs one seed of a model test: `f` gets the operation log to append to;
/// its result is returned, or, if it failed or panicked, the log is printed
/// with the line that replays the seed (`<PREFIX>_SEED=<seed>`) and the failure
/// is added to `failures`.
pub fn run_seed<T>(
    prefix: &str,
    seed: u64,
    failures: &mut Vec<String>,
    f: impl FnOnce(&std::cell::RefCell<Vec<String>>) -> Result<T, String>,
) -> Option<T> {
    let log = std::cell::RefCell::new(Vec::new());
    let msg = match std::panic::catch_unwind(std::panic::AssertUnwindSafe(|| f(&log))) {
        Ok(Ok(t)) => return Some(t),
        Ok(Err(m)) => m,
        Err(p) => format!("panic: {}", p.downcast_ref::<String>().cloned().or_else(|| p.downcast_ref::<&str>().map(|s| s.to_string())).unwrap_or_default()),
    };
    eprintln!("\n=== seed {seed} FAILED: {msg}\n--- operations (replay: {prefix}_SEED={seed}):");
    for l in log.into_inner() {
        eprintln!("{l}");
    }
    failures.push(format!("seed {seed}: {msg}"));
    None
}

/// Fails the test with every failed seed's message, if any failed.
pub fn assert_no_failures(failures: &[String], seeds: usize) {
    assert!(failures.is_empty(), "{} of {} seeds failed:\n{}", failures.len(), seeds, failures.join("\n"));
}
