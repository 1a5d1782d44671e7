//! Completion routines as Windows runs them: queued to the thread that posted the operation
//! (an APC) and run only when that thread enters an alertable wait.

use crate::error::{Error, Result};
use crate::sys::wait::{wait_any, EventFd};
use crate::waiting::lock;
use crate::wsa::WsaCode;
use std::cell::{Cell, RefCell};
use std::collections::VecDeque;
use std::os::fd::AsFd;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

type Apc = Box<dyn FnOnce() + Send + 'static>;

/// One thread's queue of routines to run, and the eventfd that wakes its alertable wait.
pub(crate) struct ApcQueue {
    routines: Mutex<VecDeque<Apc>>,
    ready: EventFd,
}

impl ApcQueue {
    /// Queues a routine for the owning thread's next alertable wait.
    pub(crate) fn push(&self, apc: Apc) {
        lock(&self.routines).push_back(apc);
        self.ready.signal();
    }

    fn pop(&self) -> Option<Apc> {
        lock(&self.routines).pop_front()
    }
}

thread_local! {
    static QUEUE: RefCell<Option<Arc<ApcQueue>>> = const { RefCell::new(None) };
    static IN_ROUTINE: Cell<bool> = const { Cell::new(false) };
}

/// The calling thread's queue (made on first use). Routines queued to a thread that ends
/// are dropped unrun, as Windows drops the APCs of a thread that exits.
pub(crate) fn current() -> Result<Arc<ApcQueue>> {
    QUEUE.with(|slot| {
        let mut slot = slot.borrow_mut();
        if let Some(queue) = slot.as_ref() {
            return Ok(queue.clone());
        }
        let ready = EventFd::new()
            .map_err(|err| Error::setup(&err, "creating the completion-routine eventfd failed"))?;
        let queue = Arc::new(ApcQueue {
            routines: Mutex::new(VecDeque::new()),
            ready,
        });
        *slot = Some(queue.clone());
        Ok(queue)
    })
}

/// WSAEINPROGRESS when called from inside a completion routine: a routine may post new
/// operations, but a call that would block there is refused, as Winsock refuses a blocking
/// call while another is in progress on the thread.
pub(crate) fn refuse_blocking_in_routine(what: &str) -> Result<()> {
    if IN_ROUTINE.with(Cell::get) {
        return Err(Error::new(
            WsaCode::InProgress,
            format!(
                "{what} inside a completion routine would block it: post an overlapped \
                 receive instead, and return from the routine"
            ),
        ));
    }
    Ok(())
}

/// How an alertable wait ended (`SleepEx`'s return).
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum Alert {
    /// Completion routines ran, this many (WAIT_IO_COMPLETION).
    Completions(usize),
    /// The timeout passed with no routine to run (0).
    TimedOut,
}

/// `SleepEx(timeout, TRUE)`: runs the completion routines queued for this thread, in the
/// order their operations completed, one after the other; waits up to `timeout` (None:
/// forever) for the first one when none is queued. Refused with WSAEINPROGRESS inside a
/// routine, so routines never nest.
pub fn alertable_wait(timeout: Option<Duration>) -> Result<Alert> {
    refuse_blocking_in_routine("an alertable wait")?;
    let queue = current()?;
    let deadline = timeout.map(|t| Instant::now() + t);
    loop {
        // Clear the eventfd before looking: a routine queued after the look signals it again.
        queue.ready.drain();
        let ran = run_queued(&queue);
        if ran > 0 {
            return Ok(Alert::Completions(ran));
        }
        let left = deadline.map(|d| d.saturating_duration_since(Instant::now()));
        if left == Some(Duration::ZERO) {
            return Ok(Alert::TimedOut);
        }
        let woke = wait_any(&[queue.ready.as_fd()], left)
            .map_err(|err| Error::os(WsaCode::Interrupted, &err, "the alertable wait failed"))?;
        if woke.is_none() {
            // One last look: a routine queued just as the timeout expired still runs.
            queue.ready.drain();
            let ran = run_queued(&queue);
            return Ok(if ran > 0 {
                Alert::Completions(ran)
            } else {
                Alert::TimedOut
            });
        }
    }
}

/// Runs routines until the queue is empty (routines queued by a routine included, as the
/// Windows kernel keeps delivering APCs until none is left).
fn run_queued(queue: &ApcQueue) -> usize {
    let mut ran = 0;
    while let Some(apc) = queue.pop() {
        let _inside = InRoutine::enter();
        apc();
        ran += 1;
    }
    ran
}

/// Marks the thread as inside a routine; unmarks it even if the routine panics.
struct InRoutine;

impl InRoutine {
    fn enter() -> InRoutine {
        IN_ROUTINE.with(|flag| flag.set(true));
        InRoutine
    }
}

impl Drop for InRoutine {
    fn drop(&mut self) {
        IN_ROUTINE.with(|flag| flag.set(false));
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use std::sync::atomic::{AtomicUsize, Ordering};

    #[test]
    fn routines_run_only_in_an_alertable_wait_in_order() {
        let queue = current().unwrap();
        let order = Arc::new(Mutex::new(Vec::new()));
        for n in 0..5 {
            let order = order.clone();
            queue.push(Box::new(move || lock(&order).push(n)));
        }
        assert!(lock(&order).is_empty(), "nothing runs outside a wait");
        assert_eq!(
            alertable_wait(Some(Duration::ZERO)).unwrap(),
            Alert::Completions(5)
        );
        assert_eq!(*lock(&order), vec![0, 1, 2, 3, 4]);
        assert_eq!(
            alertable_wait(Some(Duration::from_millis(10))).unwrap(),
            Alert::TimedOut
        );
    }

    #[test]
    fn a_blocking_call_inside_a_routine_is_wsaeinprogress_and_routines_never_nest() {
        let queue = current().unwrap();
        let seen = Arc::new(Mutex::new(None));
        let inner_ran = Arc::new(AtomicUsize::new(0));
        {
            let (seen, inner_ran, queue2) = (seen.clone(), inner_ran.clone(), queue.clone());
            queue.push(Box::new(move || {
                let ran = inner_ran.clone();
                queue2.push(Box::new(move || {
                    ran.fetch_add(1, Ordering::SeqCst);
                }));
                // The nested wait is refused: the second routine runs after this one returns.
                *lock(&seen) = Some(alertable_wait(None).unwrap_err().kind());
                assert_eq!(inner_ran.load(Ordering::SeqCst), 0);
            }));
        }
        assert_eq!(alertable_wait(None).unwrap(), Alert::Completions(2));
        assert_eq!(*lock(&seen), Some(WsaCode::InProgress));
        assert_eq!(inner_ran.load(Ordering::SeqCst), 1);
        refuse_blocking_in_routine("x").expect("outside a routine again");
    }

    #[test]
    fn a_routine_queued_from_another_thread_wakes_the_wait() {
        let queue = current().unwrap();
        let started = Instant::now();
        let pusher = std::thread::spawn(move || {
            std::thread::sleep(Duration::from_millis(30));
            queue.push(Box::new(|| {}));
        });
        assert_eq!(
            alertable_wait(Some(Duration::from_secs(5))).unwrap(),
            Alert::Completions(1)
        );
        assert!(started.elapsed() < Duration::from_secs(2));
        pusher.join().unwrap();
    }
}
