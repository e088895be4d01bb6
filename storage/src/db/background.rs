//! The background thread: seals tails that reached their row, byte or age threshold, and
//! under relaxed durability syncs the log on its interval.

use super::Inner;
use crate::options::Durability;
use std::sync::mpsc::{self, RecvTimeoutError, Sender};
use std::sync::{Arc, Weak};
use std::thread::JoinHandle;
use std::time::{Duration, Instant};

/// Stops and joins the thread when the last `Db` clone is dropped.
#[derive(Debug)]
pub(crate) struct Handle {
    stop: Sender<()>,
    thread: Option<JoinHandle<()>>,
}

impl Drop for Handle {
    fn drop(&mut self) {
        let _ = self.stop.send(());
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
    let tick = sync_every.unwrap_or(Duration::from_millis(100)).min(Duration::from_millis(100));
    let weak: Weak<Inner> = Arc::downgrade(inner);
    let (stop, stopped) = mpsc::channel::<()>();
    let thread = std::thread::Builder::new()
        .name("seamdb-background".into())
        .spawn(move || {
            let mut last_sync = Instant::now();
            loop {
                match stopped.recv_timeout(tick) {
                    Err(RecvTimeoutError::Timeout) => {}
                    _ => return,
                }
                let Some(inner) = weak.upgrade() else { return };
                if let Some(every) = sync_every {
                    if last_sync.elapsed() >= every {
                        // An error poisons the log; appenders will see it.
                        let _ = inner.wal.sync_all();
                        last_sync = Instant::now();
                    }
                }
                if inner.options.background_seal {
                    // Errors here surface again on the next append or flush, which seal too.
                    let _ = inner.seal_all(false);
                }
            }
        })
        .ok()?;
    Some(Handle { stop, thread: Some(thread) })
}
