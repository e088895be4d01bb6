//! The background thread: seals tails as soon as they reach their row or byte threshold (or
//! their age), and under relaxed durability syncs the log on its interval. Appenders wake it
//! through [`Signal`]; an appender whose component has run far ahead of sealing waits on it,
//! which is what bounds ingest memory.

use super::Inner;
use crate::options::Durability;
use parking_lot::{Condvar, Mutex};
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Shared between the database and its background thread.
#[derive(Debug, Default)]
pub(crate) struct Signal {
    state: Mutex<State>,
    /// The background thread waits here for work.
    work: Condvar,
    /// Appenders held back by a full tail wait here for a seal to finish.
    sealed: Condvar,
}

#[derive(Debug, Default)]
struct State {
    seal_requested: bool,
    stop: bool,
    seals_done: u64,
    /// The last background seal failed (cleared by the next success).
    failed: bool,
}

impl Signal {
    pub fn request_seal(&self) {
        self.state.lock().seal_requested = true;
        self.work.notify_one();
    }

    /// Waits (at most `timeout`) until a seal finishes. Returns `false` if the background
    /// sealer is failing, so that the caller seals itself and sees the error.
    pub fn wait_for_seal(&self, timeout: Duration) -> bool {
        let mut state = self.state.lock();
        let done = state.seals_done;
        state.seal_requested = true;
        self.work.notify_one();
        let deadline = Instant::now() + timeout;
        while state.seals_done == done && !state.stop && !state.failed {
            if self.sealed.wait_until(&mut state, deadline).timed_out() {
                break;
            }
        }
        !state.failed
    }

    fn sealed(&self, ok: bool) {
        let mut state = self.state.lock();
        state.failed = !ok;
        if ok {
            state.seals_done += 1;
            state.seal_requested = true; // more may be due already
        }
        self.sealed.notify_all();
    }
}

/// Stops and joins the thread when the last `Db` clone is dropped.
#[derive(Debug)]
pub(crate) struct Handle {
    signal: Arc<Signal>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        self.signal.state.lock().stop = true;
        self.signal.work.notify_all();
        self.signal.sealed.notify_all();
        if let Some(t) = self.thread.take() {
            let _ = t.join();
        }
    }
}

pub(crate) fn start(inner: &Arc<Inner>) -> Option<Handle> {
    let sync_every = match inner.options.durability {
        Durability::Relaxed { interval } => Some(interval),
        Durability::Sync => None,
    };
    if !inner.options.background_seal && sync_every.is_none() {
        return None;
    }
    // Wake at least this often to check seal ages and the relaxed sync interval.
    let tick = sync_every.unwrap_or(Duration::from_millis(250)).min(Duration::from_millis(250));
    let weak: Weak<Inner> = Arc::downgrade(inner);
    let signal = inner.signal.clone();
    let thread = std::thread::Builder::new()
        .name("seamdb-background".into())
        .spawn({
            let signal = signal.clone();
            move || run(&weak, &signal, sync_every, tick)
        })
        .ok()?;
    Some(Handle { signal, thread: Some(thread) })
}

fn run(weak: &Weak<Inner>, signal: &Signal, sync_every: Option<Duration>, tick: Duration) {
    let mut last_sync = Instant::now();
    loop {
        {
            let mut state = signal.state.lock();
            if !state.seal_requested && !state.stop {
                signal.work.wait_for(&mut state, tick);
            }
            if state.stop {
                return;
            }
            state.seal_requested = false;
        }
        let Some(inner) = weak.upgrade() else { return };
        if let Some(every) = sync_every {
            if last_sync.elapsed() >= every {
                // An error poisons the log; appenders will see it.
                let _ = inner.wal().map(|wal| wal.sync_all());
                last_sync = Instant::now();
            }
        }
        if inner.options.background_seal {
            // A failure is reported to waiting appenders, which then seal themselves and
            // return the error; it also surfaces on the next flush.
            match inner.seal_all(false) {
                Ok(true) => signal.sealed(true),
                Ok(false) => {}
                Err(_) => signal.sealed(false),
            }
            // Stored joins of what is still unsealed, worked out ahead of the next query.
            crate::join::prepare(&inner.snapshot());
        }
    }
}
