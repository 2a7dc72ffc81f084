//! The JS-thread side of Promise calls: each call's Promise is created here,
//! its core call goes to the worker pool (`pool.rs`), and its result is turned
//! into a JS value and settles the Promise back on the JS thread.
//!
//! Why not napi's async work (libuv's pool and a `uv_async` wake-up per call):
//! a sleeping JS thread takes ~7 µs to wake on the VMs we measured, more than
//! the binding's whole budget for a Promise call. So while calls are in flight
//! a libuv idle handle keeps the event loop turning without blocking (timers,
//! I/O and other callbacks still run), and each turn checks for finished calls.
//! After `pool::spin()` with no call started or finished, the loop stops
//! polling and blocks as usual; the worker that finishes next wakes it through
//! a `uv_async` handle. With no call in flight nothing is polled and nothing
//! keeps the process alive.
//!
//! One reactor per Node environment (main thread, each worker thread), created
//! on its first call and closed by the environment's cleanup hook.

use crate::pool;
use crate::task::Start;
use napi::bindgen_prelude::*;
use napi::sys;
use parking_lot::Mutex;
use sandvol_core::{Error as CoreError, Result as CoreResult};
use std::cell::Cell;
use std::ffi::{c_int, c_void};
use std::ptr;
use std::sync::Arc;
use std::sync::atomic::{AtomicBool, AtomicUsize, Ordering};
use std::time::Instant;

// libuv, as exported by the node binary that loads this module.
unsafe extern "C" {
    fn uv_handle_size(kind: c_int) -> usize;
    fn uv_idle_init(lp: *mut sys::uv_loop_s, handle: *mut c_void) -> c_int;
    fn uv_idle_start(handle: *mut c_void, cb: unsafe extern "C" fn(*mut c_void)) -> c_int;
    fn uv_idle_stop(handle: *mut c_void) -> c_int;
    fn uv_async_init(lp: *mut sys::uv_loop_s, handle: *mut c_void, cb: unsafe extern "C" fn(*mut c_void)) -> c_int;
    fn uv_async_send(handle: *mut c_void) -> c_int;
    fn uv_close(handle: *mut c_void, cb: Option<unsafe extern "C" fn(*mut c_void)>);
    fn uv_ref(handle: *mut c_void);
    fn uv_unref(handle: *mut c_void);
}

/// Longest one idle callback waits for calls to finish before the loop turns:
/// timers, I/O and `setImmediate` callbacks wait at most this long for it.
const TURN_SPIN: std::time::Duration = std::time::Duration::from_micros(50);

// uv_handle_type values (uv.h, UV_HANDLE_TYPE_MAP order).
const UV_ASYNC: c_int = 1;
const UV_IDLE: c_int = 6;

/// A finished call, settled on the JS thread (`task::Call`).
pub trait Settle: Send + 'static {
    /// Resolves or rejects the call's Promise.
    unsafe fn settle(self: Box<Self>, env: sys::napi_env);
}

/// What workers share with the JS thread.
pub struct Shared {
    done: Mutex<Vec<Box<dyn Settle>>>,
    /// Completions ever pushed, so the polling loop can check without the lock.
    finished: AtomicUsize,
    /// The JS thread is not polling: whoever finishes a call must wake it.
    sleeping: AtomicBool,
    /// The uv_async handle, null once the environment is gone.
    wake: Mutex<usize>,
}

impl Shared {
    /// Queues a finished call for settling and wakes the JS thread if it sleeps.
    pub fn finish(&self, c: Box<dyn Settle>) {
        self.done.lock().push(c);
        self.finished.fetch_add(1, Ordering::SeqCst);
        // Paired with the JS thread storing `sleeping` and then reading
        // `finished` (both SeqCst): one of the two sees the other.
        if self.sleeping.swap(false, Ordering::SeqCst) {
            let wake = self.wake.lock();
            if *wake != 0 {
                unsafe { uv_async_send(*wake as *mut c_void) };
            }
        }
    }
}

/// Per-environment state, only touched on the JS thread (Cells: settling a
/// Promise runs JS, which may start new calls while a drain is under way).
struct Reactor {
    env: sys::napi_env,
    idle: *mut c_void,
    wake: *mut c_void,
    shared: Arc<Shared>,
    resource: sys::napi_ref,
    context: sys::napi_async_context,
    in_flight: Cell<usize>,
    taken: Cell<usize>,
    polling: Cell<bool>,
    last: Cell<Instant>,
    /// The emptied results Vec of the last drain, swapped in at the next.
    spare: Cell<Vec<Box<dyn Settle>>>,
}

thread_local! {
    static REACTOR: Cell<*const Reactor> = const { Cell::new(ptr::null()) };
}

/// Starts `call` on the worker pool and returns the Promise it settles: the
/// value converted with `T`'s `ToNapiValue`, or the core error as a JS `Error`
/// with `.code`.
pub fn promise<T: ToNapiValue + Send + 'static>(env: sys::napi_env, mut call: Box<dyn Start<T>>) -> napi::Result<sys::napi_value> {
    let r = reactor(env)?;
    let mut deferred = ptr::null_mut();
    let mut promise = ptr::null_mut();
    check_status!(unsafe { sys::napi_create_promise(env, &mut deferred, &mut promise) })?;
    r.started();
    call.start(deferred, Arc::clone(&r.shared));
    pool::submit(call);
    Ok(promise)
}

/// Resolves with the converted value or rejects with the error.
pub unsafe fn settle<T: ToNapiValue>(env: sys::napi_env, d: sys::napi_deferred, out: CoreResult<T>) {
    let value = match out {
        Ok(v) => unsafe { T::to_napi_value(env, v) }.map_err(|e| unsafe { conversion_error(env, e) }),
        Err(e) => Err(crate::error::error_value(env, &e)),
    };
    unsafe {
        match value {
            Ok(v) => sys::napi_resolve_deferred(env, d, v),
            Err(e) => sys::napi_reject_deferred(env, d, e),
        };
    }
}

/// The JS value to reject with when converting a result failed, always with
/// a sandvol code: a conversion that refused the result (`InvalidArg`: a
/// Buffer larger than Node allows) is `invalid_argument`, anything else
/// `internal`; a JS exception it left (V8's "Invalid string length", say) is
/// rejected with, given the code.
unsafe fn conversion_error(env: sys::napi_env, e: napi::Error) -> sys::napi_value {
    let code = crate::error::conversion_code(&e);
    match unsafe { crate::fast::take_exception(env) } {
        Some(exc) => {
            unsafe { crate::fast::mark_code(env, exc, code) };
            exc
        }
        None => crate::error::error_value(env, &CoreError::new(code, e.reason)),
    }
}

fn reactor(env: sys::napi_env) -> napi::Result<&'static Reactor> {
    let cur = REACTOR.with(Cell::get);
    if !cur.is_null() && unsafe { (*cur).env } == env {
        return Ok(unsafe { &*cur });
    }
    let r = Reactor::new(env)?;
    REACTOR.with(|c| c.set(r));
    Ok(unsafe { &*r })
}

fn alloc_handle(kind: c_int) -> *mut c_void {
    let words = unsafe { uv_handle_size(kind) }.div_ceil(8);
    Box::into_raw(vec![0u64; words].into_boxed_slice()).cast()
}

unsafe fn free_handle(handle: *mut c_void, kind: c_int) {
    let words = unsafe { uv_handle_size(kind) }.div_ceil(8);
    drop(unsafe { Box::from_raw(ptr::slice_from_raw_parts_mut(handle.cast::<u64>(), words)) });
}

unsafe extern "C" fn free_idle(handle: *mut c_void) {
    unsafe { free_handle(handle, UV_IDLE) }
}

unsafe extern "C" fn free_async(handle: *mut c_void) {
    unsafe { free_handle(handle, UV_ASYNC) }
}

/// The reactor a handle's callback belongs to (`data` is a handle's first field).
unsafe fn owner<'a>(handle: *mut c_void) -> &'a Reactor {
    unsafe { &*(*handle.cast::<*const Reactor>()) }
}

unsafe extern "C" fn on_idle(handle: *mut c_void) {
    unsafe { owner(handle) }.turn();
}

unsafe extern "C" fn on_wake(handle: *mut c_void) {
    let r = unsafe { owner(handle) };
    r.drain();
    if r.in_flight.get() > 0 {
        // Calls are still running: poll again, the next may be close.
        r.start_polling();
    }
}

unsafe extern "C" fn on_env_cleanup(arg: *mut c_void) {
    let r = unsafe { Box::from_raw(arg.cast::<Reactor>()) };
    REACTOR.with(|c| {
        if std::ptr::eq(c.get(), &*r) {
            c.set(ptr::null());
        }
    });
    // Workers still running calls of this environment must not touch the
    // handle once it is closed; their results are dropped unsettled.
    *r.shared.wake.lock() = 0;
    // The async context and the resource's reference go with the environment.
    unsafe {
        uv_close(r.idle, Some(free_idle));
        uv_close(r.wake, Some(free_async));
    }
}

impl Reactor {
    fn new(env: sys::napi_env) -> napi::Result<*const Reactor> {
        let mut lp = ptr::null_mut();
        check_status!(unsafe { sys::napi_get_uv_event_loop(env, &mut lp) })?;
        let mut resource = ptr::null_mut();
        let mut name = ptr::null_mut();
        let mut context = ptr::null_mut();
        let mut resource_ref = ptr::null_mut();
        unsafe {
            check_status!(sys::napi_create_object(env, &mut resource))?;
            check_status!(sys::napi_create_string_utf8(env, c"sandvol".as_ptr(), 7, &mut name))?;
            check_status!(sys::napi_async_init(env, resource, name, &mut context))?;
            check_status!(sys::napi_create_reference(env, resource, 1, &mut resource_ref))?;
        }
        let idle = alloc_handle(UV_IDLE);
        let wake = alloc_handle(UV_ASYNC);
        let r = Box::into_raw(Box::new(Reactor {
            env,
            idle,
            wake,
            shared: Arc::new(Shared {
                done: Mutex::new(Vec::new()),
                finished: AtomicUsize::new(0),
                sleeping: AtomicBool::new(false),
                wake: Mutex::new(wake as usize),
            }),
            resource: resource_ref,
            context,
            in_flight: Cell::new(0),
            taken: Cell::new(0),
            polling: Cell::new(false),
            last: Cell::new(Instant::now()),
            spare: Cell::new(Vec::new()),
        }));
        unsafe {
            let idle_ok = uv_idle_init(lp, idle) == 0;
            let wake_ok = idle_ok && uv_async_init(lp, wake, on_wake) == 0;
            if wake_ok {
                *idle.cast::<*const Reactor>() = r;
                *wake.cast::<*const Reactor>() = r;
                // Only calls in flight keep the process alive.
                uv_unref(wake);
            }
            if wake_ok && sys::napi_add_env_cleanup_hook(env, Some(on_env_cleanup), r.cast()) == sys::Status::napi_ok {
                return Ok(r);
            }
            // An initialized handle belongs to the loop until closed (its close
            // callback frees it); the rest is freed here.
            if idle_ok { uv_close(idle, Some(free_idle)) } else { free_handle(idle, UV_IDLE) }
            if wake_ok { uv_close(wake, Some(free_async)) } else { free_handle(wake, UV_ASYNC) }
            let r = Box::from_raw(r);
            sys::napi_delete_reference(env, r.resource);
            sys::napi_async_destroy(env, r.context);
        }
        Err(napi::Error::from_reason("sandvol: could not set up the event loop handles"))
    }

    /// A call was submitted: keep the loop alive and poll for its result.
    fn started(&self) {
        let n = self.in_flight.get() + 1;
        self.in_flight.set(n);
        if n == 1 {
            unsafe { uv_ref(self.wake) };
        }
        self.last.set(Instant::now());
        self.start_polling();
    }

    fn start_polling(&self) {
        if self.polling.get() {
            return;
        }
        if pool::spin().is_zero() {
            self.shared.sleeping.store(true, Ordering::SeqCst);
            self.check_after_sleep();
            return;
        }
        self.shared.sleeping.store(false, Ordering::SeqCst);
        self.polling.set(true);
        self.last.set(Instant::now());
        unsafe { uv_idle_start(self.idle, on_idle) };
    }

    /// One loop turn while polling: settle what finished, and keep waiting for
    /// the next call to finish inside this callback for up to `TURN_SPIN`
    /// before letting the loop turn (a turn of Node's loop costs ~1 µs, and a
    /// sequence of awaited calls starts the next call while settling this one),
    /// offering the CPU to other threads when contended (`pool::YIELD_EVERY`); stop
    /// polling when nothing is in flight or nothing happened for the polling
    /// window.
    fn turn(&self) {
        let start = Instant::now();
        let budget = TURN_SPIN.min(pool::spin());
        let mut spinner = pool::Spinner::new(start);
        let mut checks = 0u32;
        loop {
            // A drain runs JS of unknown length: the time is read after every
            // one (it is needed for `last` anyway); otherwise every 64 checks,
            // the clock costing more than a check of the counter.
            let mut now = None;
            if self.shared.finished.load(Ordering::Acquire) != self.taken.get() {
                self.drain();
                let t = Instant::now();
                self.last.set(t);
                spinner = pool::Spinner::new(t);
                now = Some(t);
            }
            if !self.polling.get() {
                return;
            }
            if self.in_flight.get() == 0 {
                self.stop_polling();
                return;
            }
            checks = checks.wrapping_add(1);
            if now.is_none() && checks.is_multiple_of(64) {
                now = Some(Instant::now());
            }
            if let Some(t) = now {
                spinner.look(t);
                if t.duration_since(start) >= budget {
                    break;
                }
            }
            std::hint::spin_loop();
        }
        if self.last.get().elapsed() >= pool::spin() {
            self.stop_polling();
            self.shared.sleeping.store(true, Ordering::SeqCst);
            self.check_after_sleep();
        }
    }

    /// Right after announcing sleep: a call that finished before its worker
    /// could see the announcement woke nobody, so wake the loop ourselves (the
    /// results are then settled from the loop, never inside a JS call).
    fn check_after_sleep(&self) {
        if self.shared.finished.load(Ordering::SeqCst) != self.taken.get() {
            unsafe { uv_async_send(self.wake) };
        }
    }

    fn stop_polling(&self) {
        if self.polling.replace(false) {
            unsafe { uv_idle_stop(self.idle) };
        }
    }

    /// Settles every finished call inside one callback scope, so Node runs the
    /// Promise reactions (and `process.nextTick`s) when the scope closes, as
    /// after any native callback.
    fn drain(&self) {
        // Swapped with a kept empty Vec, not taken: taking it made the worker
        // allocate a new one for its next push, and the JS thread free this one.
        let mut batch = self.spare.take();
        std::mem::swap(&mut *self.shared.done.lock(), &mut batch);
        if batch.is_empty() {
            self.spare.set(batch);
            return;
        }
        self.taken.set(self.taken.get() + batch.len());
        self.in_flight.set(self.in_flight.get() - batch.len());
        if self.in_flight.get() == 0 {
            unsafe { uv_unref(self.wake) };
        }
        let env = self.env;
        unsafe {
            let mut hs = ptr::null_mut();
            if sys::napi_open_handle_scope(env, &mut hs) != sys::Status::napi_ok {
                return;
            }
            let mut resource = ptr::null_mut();
            let mut cs = ptr::null_mut();
            sys::napi_get_reference_value(env, self.resource, &mut resource);
            let scoped = sys::napi_open_callback_scope(env, resource, self.context, &mut cs) == sys::Status::napi_ok;
            for c in batch.drain(..) {
                c.settle(env);
            }
            self.spare.set(batch);
            if scoped {
                // Runs the reactions, which may start new calls (re-entering `started`).
                sys::napi_close_callback_scope(env, cs);
            }
            sys::napi_close_handle_scope(env, hs);
        }
    }
}

