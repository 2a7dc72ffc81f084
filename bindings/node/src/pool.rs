//! Worker threads for Promise calls: a small process-wide pool whose idle
//! worker keeps polling for the next call a moment before it sleeps.
//!
//! Why not libuv's pool: a call handed to a sleeping thread waits for that
//! thread to wake, and its result waits for the JS thread to wake. On the VMs
//! we measured each wake-up is ~7 µs, and an empty Promise round trip through
//! libuv's pool was 21-25 µs, more than a 4 KiB read itself (bench/RESULTS.md,
//! "Node binding"). Here one idle worker polls the queue for `spin()` after its
//! last call, so a program that makes calls back to back never waits for a
//! wake-up; `reactor.rs` does the same on the JS thread for the results.
//! Both pollers offer their CPU to other threads once they see they share it
//! (`YIELD_EVERY`).
//! Blocking core calls (SQLite, fsync) run on these threads, never on the JS
//! thread.

use parking_lot::{Condvar, Mutex};
use std::cell::Cell;
use std::collections::VecDeque;
use std::panic::{AssertUnwindSafe, catch_unwind};
use std::sync::OnceLock;
use std::sync::atomic::{AtomicI32, AtomicUsize, Ordering};
use std::time::{Duration, Instant};

/// One call to run on a worker.
pub type Job = Box<dyn Run>;

/// Something a worker runs (consuming it).
pub trait Run: Send + 'static {
    fn run(self: Box<Self>);
}

/// Environment variable: how long (µs) an idle worker, and the JS thread with
/// calls in flight, poll before sleeping; 0 turns polling off.
pub const SPIN_ENV: &str = "SANDVOL_NODE_SPIN_US";

/// Default polling window. Long enough to cover the gap between two calls of a
/// JS loop and a typical 4 KiB write (~100 µs); short enough that an idle
/// program stops burning CPU at once.
const DEFAULT_SPIN: Duration = Duration::from_micros(250);

/// Workers at most: as many as libuv's default pool, so concurrency from JS is
/// what it was.
const MAX_THREADS: usize = 4;

/// The polling window: `SANDVOL_NODE_SPIN_US` if set, else 250 µs with two or
/// more CPUs and none with one (polling would take the CPU the other side
/// needs).
pub fn spin() -> Duration {
    static SPIN: OnceLock<Duration> = OnceLock::new();
    *SPIN.get_or_init(|| {
        if let Some(us) = std::env::var(SPIN_ENV).ok().and_then(|v| v.trim().parse::<u64>().ok()) {
            return Duration::from_micros(us);
        }
        match std::thread::available_parallelism() {
            Ok(n) if n.get() >= 2 => DEFAULT_SPIN,
            _ => Duration::ZERO,
        }
    })
}

struct Pool {
    state: Mutex<State>,
    wake: Condvar,
    /// Jobs in the queue, read by the polling worker without taking the lock.
    queued: AtomicUsize,
}

struct State {
    queue: VecDeque<Job>,
    threads: usize,
    /// One worker is polling the queue and will take the next job itself.
    polling: bool,
}

fn pool() -> &'static Pool {
    static POOL: OnceLock<Pool> = OnceLock::new();
    POOL.get_or_init(|| Pool {
        state: Mutex::new(State { queue: VecDeque::new(), threads: 0, polling: false }),
        wake: Condvar::new(),
        queued: AtomicUsize::new(0),
    })
}

/// Queues `job`; a polling worker takes it without a wake-up, else a sleeping
/// worker is woken or, below the limit, a new one started.
pub fn submit(job: Job) {
    JS_CPU.store(unsafe { libc::sched_getcpu() }, Ordering::Relaxed);
    let p = pool();
    let mut st = p.state.lock();
    st.queue.push_back(job);
    p.queued.fetch_add(1, Ordering::Release);
    if st.polling || p.wake.notify_one() {
        return;
    }
    if st.threads < MAX_THREADS {
        st.threads += 1;
        let n = st.threads;
        drop(st);
        if std::thread::Builder::new().name(format!("sandvol-node-{n}")).spawn(|| work(pool())).is_err() {
            // No new thread: the job waits for a busy worker (there is at
            // least one unless this was the first, which must not be lost).
            let mut st = p.state.lock();
            st.threads -= 1;
            if st.threads == 0 {
                let job = st.queue.pop_back();
                p.queued.fetch_sub(1, Ordering::Release);
                drop(st);
                if let Some(job) = job {
                    run(job);
                }
            }
        }
    }
}

fn run(job: Job) {
    // Jobs catch their own panics (task::guarded); this keeps the thread
    // alive if anything around them panics.
    let _ = catch_unwind(AssertUnwindSafe(|| job.run()));
}

thread_local! {
    /// This worker took the polling role while finishing its job (`poll_next`).
    static CLAIMED: Cell<bool> = const { Cell::new(false) };
}

/// Called by a job on its worker right before it hands its result to JS: this
/// worker will poll for the next job when it returns, so a call that JS makes
/// in reaction to the result is taken by this (warm) thread instead of waking
/// another one.
pub fn poll_next() {
    if spin().is_zero() {
        return;
    }
    let mut st = pool().state.lock();
    if !st.polling {
        st.polling = true;
        CLAIMED.with(|c| c.set(true));
    }
}

fn work(p: &'static Pool) {
    let mut st = p.state.lock();
    // Poll once after each job or wake-up; after a window with nothing, sleep.
    let mut may_poll = true;
    loop {
        let claimed = CLAIMED.with(|c| c.replace(false));
        if !claimed && let Some(job) = st.queue.pop_front() {
            p.queued.fetch_sub(1, Ordering::Release);
            // More queued and nobody polling: hand it to another worker now
            // rather than after this job.
            if !st.queue.is_empty() && !st.polling {
                p.wake.notify_one();
            }
            drop(st);
            leave_js_cpu();
            run(job);
            st = p.state.lock();
            may_poll = true;
            continue;
        }
        if claimed || (may_poll && !st.polling && !spin().is_zero()) {
            st.polling = true;
            if st.queue.is_empty() {
                drop(st);
                poll_queue(p, spin());
                st = p.state.lock();
                may_poll = false;
            }
            st.polling = false;
            continue;
        }
        p.wake.wait(&mut st);
        may_poll = true;
    }
}

/// The CPU the JS thread was on when it last submitted a call (-1: none yet);
/// with several JS threads (worker_threads), the last one that submitted.
static JS_CPU: AtomicI32 = AtomicI32::new(-1);

/// Least time between two moves of one worker (`leave_js_cpu`).
const MOVE_AT_MOST_EVERY: Duration = Duration::from_millis(5);

thread_local! {
    /// When this worker last moved off the JS thread's CPU.
    static LAST_MOVE: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// Moves the calling worker to another CPU when it finds itself on the one
/// the JS thread submitted its call from, then allows it every CPU again.
///
/// Why: while a call runs, the JS thread polls for its result; on one CPU the
/// two hand it back and forth through yields, ~15 µs each way per call,
/// until the kernel's balancer separates them, which took tens of
/// milliseconds on the benchmark VM (3-4% of 10,000 awaited reads in two of
/// six runs, each ~37 µs slower; bench/RESULTS.md, "Where an awaited call's
/// time goes"). The kernel moves a thread off a CPU its affinity no longer
/// includes at once. Only this pool's own threads are moved, never the JS
/// thread; not when the process may use a single CPU; and at most every
/// `MOVE_AT_MOST_EVERY`, so a scheduler that keeps putting the worker back
/// (the other CPUs busier) is not fought call by call.
fn leave_js_cpu() {
    let js = JS_CPU.load(Ordering::Relaxed);
    if js < 0 || unsafe { libc::sched_getcpu() } != js {
        return;
    }
    let now = Instant::now();
    if LAST_MOVE.with(Cell::get).is_some_and(|t| now.duration_since(t) < MOVE_AT_MOST_EVERY) {
        return;
    }
    LAST_MOVE.with(|c| c.set(Some(now)));
    move_off_cpu(js as usize);
}

/// Moves the calling thread off `cpu` (if it may run elsewhere), leaving its
/// allowed CPUs as they were. True if it moved.
fn move_off_cpu(cpu: usize) -> bool {
    let size = std::mem::size_of::<libc::cpu_set_t>();
    // SAFETY: cpu_set_t is plain data; the calls only read and write the sets
    // given, for the calling thread (pid 0).
    unsafe {
        let mut allowed: libc::cpu_set_t = std::mem::zeroed();
        if libc::sched_getaffinity(0, size, &mut allowed) != 0
            || cpu >= libc::CPU_SETSIZE as usize
            || !libc::CPU_ISSET(cpu, &allowed)
            || libc::CPU_COUNT(&allowed) < 2
        {
            return false;
        }
        let mut others = allowed;
        libc::CPU_CLR(cpu, &mut others);
        if libc::sched_setaffinity(0, size, &others) != 0 {
            return false;
        }
        // Allowed everywhere again; the thread stays where it was moved.
        // The set was valid a moment ago, so this only fails if the
        // process's cpuset shrank meanwhile: then the narrower set stands.
        libc::sched_setaffinity(0, size, &allowed);
        true
    }
}

/// Waits up to `window` for a job to be queued, without sleeping (but
/// yielding the CPU when contended, see `YIELD_EVERY`).
fn poll_queue(p: &Pool, window: Duration) {
    let start = Instant::now();
    let mut spinner = Spinner::new(start);
    let mut n = 0u32;
    while p.queued.load(Ordering::Acquire) == 0 {
        std::hint::spin_loop();
        n = n.wrapping_add(1);
        if n.is_multiple_of(64) {
            let now = Instant::now();
            // Before the window check: a gap longer than the time left is the
            // clearest sign of sharing the CPU.
            spinner.look(now);
            if now.duration_since(start) >= window {
                return;
            }
        }
    }
}

/// How often a polling thread (an idle worker, or the JS thread waiting for
/// results) offers its CPU to other runnable threads, once it has seen that
/// another thread wants that CPU (`PREEMPTED`).
///
/// Why: with two CPUs, while something else holds one of them for
/// milliseconds (the catalog's checkpointer flushing the WAL, the kernel's
/// writeback), the JS thread and the worker share the other, and the
/// scheduler time-slices them at ~0.35 ms: a poller that never yields keeps
/// half of that CPU from the thread it waits for (an awaited 4 KiB read's
/// p99.9 was ~4 ms, a write's p99 ~600 µs; bench/RESULTS.md). A thread
/// sharing the CPU with a poller waits at most this long for it. Yielding
/// always, not only when contended, kept slightly shorter tails but cost
/// ~0.8 µs per yield when nothing else wanted the CPU, and the medians were
/// worse. Sleeping instead of polling once contended was worse still: gaps of
/// 20 µs happen on a VM without any sharing, and each then cost wake-ups
/// (Promise read +15..+26 µs against +6..+12). The price of yielding: with a
/// CPU-bound thread of another program on the same CPU, a yield hands it a
/// whole time slice.
pub const YIELD_EVERY: Duration = Duration::from_micros(10);

/// A gap this long between two looks at the clock of a spinning thread means
/// it was not running: another thread wants its CPU.
const PREEMPTED: Duration = Duration::from_micros(20);

/// How long a poller keeps yielding after it last saw that another thread
/// wanted its CPU.
const CONTENDED_FOR: Duration = Duration::from_millis(10);

thread_local! {
    /// Until when this thread's polling yields (`CONTENDED_FOR`).
    static YIELD_UNTIL: Cell<Option<Instant>> = const { Cell::new(None) };
}

/// The yielding part of a polling loop (see `YIELD_EVERY`).
pub struct Spinner {
    last_look: Instant,
    last_yield: Instant,
}

impl Spinner {
    /// A poller that started spinning at `now`.
    pub fn new(now: Instant) -> Spinner {
        Spinner { last_look: now, last_yield: now }
    }

    /// Called with the time now, every so often (well under `PREEMPTED`)
    /// while spinning: notes a longer gap since the last look (this thread was
    /// preempted), and yields every `YIELD_EVERY` while contended.
    pub fn look(&mut self, now: Instant) {
        if now.duration_since(self.last_look) >= PREEMPTED {
            contended_until(now + CONTENDED_FOR);
        }
        self.last_look = now;
        let contended = YIELD_UNTIL.with(Cell::get).is_some_and(|until| now < until);
        if contended && now.duration_since(self.last_yield) >= YIELD_EVERY {
            std::thread::yield_now();
            let after = Instant::now();
            if after.duration_since(now) >= PREEMPTED {
                // The yield handed the CPU over: still contended.
                contended_until(after + CONTENDED_FOR);
            }
            self.last_yield = after;
            self.last_look = after;
        }
    }
}

fn contended_until(t: Instant) {
    YIELD_UNTIL.with(|c| c.set(Some(t)));
}

#[cfg(test)]
mod tests {
    use super::*;

    fn allowed() -> libc::cpu_set_t {
        let mut set: libc::cpu_set_t = unsafe { std::mem::zeroed() };
        assert_eq!(unsafe { libc::sched_getaffinity(0, std::mem::size_of::<libc::cpu_set_t>(), &mut set) }, 0);
        set
    }

    fn same(a: &libc::cpu_set_t, b: &libc::cpu_set_t) -> bool {
        (0..libc::CPU_SETSIZE as usize).all(|c| unsafe { libc::CPU_ISSET(c, a) == libc::CPU_ISSET(c, b) })
    }

    #[test]
    fn a_thread_moved_off_a_cpu_runs_elsewhere_and_keeps_its_allowed_cpus() {
        let before = allowed();
        let cpus: Vec<usize> = (0..libc::CPU_SETSIZE as usize).filter(|&c| unsafe { libc::CPU_ISSET(c, &before) }).collect();
        if cpus.len() < 2 {
            // One CPU: nowhere to go, and the move must say so.
            assert!(!move_off_cpu(cpus[0]));
            assert!(same(&allowed(), &before));
            return;
        }
        for _ in 0..20 {
            let here = unsafe { libc::sched_getcpu() } as usize;
            assert!(move_off_cpu(here), "could not move off CPU {here}");
            assert_ne!(unsafe { libc::sched_getcpu() } as usize, here, "still on CPU {here}");
            assert!(same(&allowed(), &before), "allowed CPUs changed");
        }
        // A CPU it may not use, or one that does not exist: no move, nothing changed.
        assert!(!move_off_cpu(libc::CPU_SETSIZE as usize));
        assert!(same(&allowed(), &before));
    }
}
