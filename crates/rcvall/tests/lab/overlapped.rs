//! The seed's overlapped model (SPEC §2.6): results, events and completion routines.

use crate::common::*;
use rcvall::{
    alertable_wait, Alert, Completion, Event, Family, Overlapped, Posted, RcvAll, Socket, WsaCode,
};
use std::net::IpAddr;
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};
use testkit::Pair;

/// Runs alertable waits until `done` says so (bounded by `limit`); the routines run.
fn alert_until(limit: Duration, mut done: impl FnMut() -> bool) -> usize {
    let started = Instant::now();
    let mut ran = 0;
    while !done() && started.elapsed() < limit {
        if let Alert::Completions(n) = alertable_wait(Some(Duration::from_millis(50))).unwrap() {
            ran += n;
        }
    }
    ran
}

fn numbered(pair: &Pair, tag: &[u8], i: u32) -> Vec<u8> {
    let mut payload = tag.to_vec();
    payload.extend_from_slice(&i.to_be_bytes());
    udp_datagram(pair.a.sock_v4(1), pair.b.sock_v4(9), &payload)
}

#[test]
fn a_hundred_posted_receives_complete_in_posting_order_one_routine_each() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let _sink = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
    let socket = capture(&pair.b.ns, IpAddr::V4(pair.b.v4), RcvAll::IpLevel);
    // (posting index, bytes received) in the order the routines ran.
    type Calls = Vec<(usize, Vec<u8>)>;
    let calls: Arc<Mutex<Calls>> = Arc::default();
    let mut started = 0;
    for i in 0..100 {
        let overlapped = Overlapped::new();
        let calls = calls.clone();
        let posted = socket
            .recv_overlapped(
                vec![0u8; 2048],
                &overlapped,
                Some(Box::new(move |done: Completion| {
                    let transfer = done.result.expect("received");
                    let mut buffer = done.overlapped.take_buffer().expect("the buffer");
                    buffer.truncate(transfer.bytes);
                    calls.lock().unwrap().push((i, buffer));
                })),
            )
            .expect("posted");
        assert_eq!(posted, Posted::Pending, "nothing is queued yet");
        assert_eq!(posted.code(), 997);
        started += 1;
    }
    assert!(
        calls.lock().unwrap().is_empty(),
        "routines run only in alertable waits"
    );
    let sent: Vec<Vec<u8>> = (0..100).map(|i| numbered(&pair, b"rcvt-ov-", i)).collect();
    for datagram in &sent {
        send_datagram(&pair.a.ns, datagram, 1);
    }
    let ran = alert_until(Duration::from_secs(5), || {
        calls.lock().unwrap().len() >= 100
    });
    assert_eq!(
        alert_until(Duration::from_millis(200), || false),
        0,
        "no extra routine"
    );
    let calls = calls.lock().unwrap();
    assert_eq!(ran, started, "one routine per operation that returned 997");
    assert_eq!(calls.len(), 100);
    for (k, (index, bytes)) in calls.iter().enumerate() {
        assert_eq!(*index, k, "routines run in posting order");
        assert_eq!(bytes, &sent[k], "buffer {k} got datagram {k}");
    }
}

#[test]
fn an_immediate_completion_still_runs_its_routine_in_the_next_alertable_wait() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let _sink = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
    let socket = capture(&pair.b.ns, IpAddr::V4(pair.b.v4), RcvAll::IpLevel);
    let datagram = numbered(&pair, b"rcvt-ov-now-", 0);
    send_datagram(&pair.a.ns, &datagram, 1);
    settle();
    let calls = Arc::new(Mutex::new(0));
    let overlapped = Overlapped::new();
    let counter = calls.clone();
    let posted = socket
        .recv_overlapped(
            vec![0u8; 2048],
            &overlapped,
            Some(Box::new(move |_| *counter.lock().unwrap() += 1)),
        )
        .unwrap();
    let Posted::Completed(transfer) = posted else {
        panic!("a queued datagram completes at once: {posted:?}")
    };
    assert_eq!(posted.code(), 0);
    assert_eq!(transfer.bytes, datagram.len());
    assert_eq!(*calls.lock().unwrap(), 0, "not before an alertable wait");
    assert_eq!(
        alertable_wait(Some(Duration::from_millis(100))).unwrap(),
        Alert::Completions(1)
    );
    assert_eq!(*calls.lock().unwrap(), 1);

    // SIO_RCVALL overlapped: completes at once, routine in the next alertable wait; a bad
    // value fails at once, with no routine.
    let ioctl = Overlapped::new();
    let counter = calls.clone();
    let posted = socket
        .ioctl_overlapped(
            rcvall::SIO_RCVALL,
            &1u32.to_le_bytes(),
            &ioctl,
            Some(Box::new(move |done| {
                assert!(done.result.is_ok());
                *counter.lock().unwrap() += 1
            })),
        )
        .unwrap();
    assert_eq!(posted.code(), 0);
    assert_eq!(socket.rcvall(), RcvAll::On);
    let counter = calls.clone();
    let err = socket
        .ioctl_overlapped(
            rcvall::SIO_RCVALL,
            &7u32.to_le_bytes(),
            &Overlapped::new(),
            Some(Box::new(move |_| *counter.lock().unwrap() += 100)),
        )
        .unwrap_err();
    assert_eq!(err.kind(), WsaCode::InvalidArgument);
    assert_eq!(alert_until(Duration::from_millis(300), || false), 1);
    assert_eq!(*calls.lock().unwrap(), 2, "the failed call never completes");
}

#[test]
fn no_routine_runs_for_an_operation_that_failed_at_once() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let calls = Arc::new(Mutex::new(0));
    let unbound = pair.b.ns.run(|| Socket::new(Family::V4)).unwrap();
    let post = |socket: &Socket| {
        let counter = calls.clone();
        socket.recv_overlapped(
            vec![0u8; 64],
            &Overlapped::new(),
            Some(Box::new(move |_| *counter.lock().unwrap() += 1)),
        )
    };
    assert_eq!(post(&unbound).unwrap_err().kind(), WsaCode::InvalidArgument);
    unbound.close();
    assert_eq!(post(&unbound).unwrap_err().kind(), WsaCode::NotSocket);
    // A short buffer with a datagram queued fails at once with WSAEMSGSIZE; the leading
    // bytes stay with the overlapped.
    let _sink = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
    let socket = capture(&pair.b.ns, IpAddr::V4(pair.b.v4), RcvAll::IpLevel);
    let datagram = numbered(&pair, b"rcvt-ov-short-", 0);
    send_datagram(&pair.a.ns, &datagram, 1);
    settle();
    let overlapped = Overlapped::new();
    let counter = calls.clone();
    let err = socket
        .recv_overlapped(
            vec![0u8; 20],
            &overlapped,
            Some(Box::new(move |_| *counter.lock().unwrap() += 1)),
        )
        .unwrap_err();
    assert_eq!(err.kind(), WsaCode::MessageSize);
    assert_eq!(err.datagram_len(), Some(datagram.len()));
    assert_eq!(overlapped.take_buffer().unwrap(), datagram[..20].to_vec());
    assert_eq!(alert_until(Duration::from_millis(300), || false), 0);
    assert_eq!(*calls.lock().unwrap(), 0);
}

#[test]
fn the_result_is_wsa_io_incomplete_while_pending_and_the_datagram_after() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let _sink = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
    let socket = capture(&pair.b.ns, IpAddr::V6(pair.b.v6), RcvAll::On);
    let overlapped = Overlapped::new();
    assert_eq!(
        overlapped.result(false).unwrap_err().kind(),
        WsaCode::InvalidArgument,
        "nothing posted yet"
    );
    assert_eq!(
        socket
            .recv_overlapped(vec![0u8; 2048], &overlapped, None)
            .unwrap(),
        Posted::Pending
    );
    let err = overlapped.result(false).unwrap_err();
    assert_eq!((err.kind(), err.wsa_code()), (WsaCode::IoIncomplete, 996));
    assert!(!overlapped.is_complete());
    assert!(
        overlapped.take_buffer().is_none(),
        "the buffer is the operation's"
    );
    let datagram = udp_datagram(pair.a.sock_v6(1), pair.b.sock_v6(9), b"rcvt-ov-result");
    send_datagram(&pair.a.ns, &datagram, 1);
    let transfer = overlapped.result(true).expect("completes");
    assert!(overlapped.is_complete());
    let info = transfer.info.expect("a receive reports its metadata");
    let mut buffer = overlapped.take_buffer().unwrap();
    buffer.truncate(transfer.bytes);
    // The first datagram to arrive may be IPv6 housekeeping; ours comes soon after.
    if !udp_carrying(&buffer, b"rcvt-ov-result") {
        let again = Overlapped::new();
        socket
            .recv_overlapped(vec![0u8; 2048], &again, None)
            .unwrap();
        let transfer = again.result(true).unwrap();
        buffer = again.take_buffer().unwrap();
        buffer.truncate(transfer.bytes);
    }
    assert_eq!(buffer, datagram);
    assert_eq!(info.ifindex, pair.b.ifindex().unwrap());
}

#[test]
fn a_blocking_call_inside_a_routine_fails_with_wsaeinprogress_and_reposting_works() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let _sink = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
    let socket = Arc::new(capture(&pair.b.ns, IpAddr::V4(pair.b.v4), RcvAll::IpLevel));
    let seen: Arc<Mutex<Vec<String>>> = Arc::default();
    let (inner_socket, inner_seen) = (socket.clone(), seen.clone());
    let overlapped = Overlapped::new();
    let reposted = Overlapped::new();
    let reposted_inner = reposted.clone();
    socket
        .recv_overlapped(
            vec![0u8; 2048],
            &overlapped,
            Some(Box::new(move |done| {
                let mut seen = inner_seen.lock().unwrap();
                let blocking = inner_socket.recv(&mut [0u8; 64]).unwrap_err();
                seen.push(format!("recv {}", blocking.wsa_code()));
                let waiting = done.overlapped.result(true).unwrap_err();
                seen.push(format!("result {}", waiting.wsa_code()));
                let nested = alertable_wait(Some(Duration::ZERO)).unwrap_err();
                seen.push(format!("alertable {}", nested.wsa_code()));
                let posted = inner_socket
                    .recv_overlapped(vec![0u8; 2048], &reposted_inner, None)
                    .expect("posting from a routine is allowed");
                seen.push(format!("post {}", posted.code()));
            })),
        )
        .unwrap();
    send_datagram(&pair.a.ns, &numbered(&pair, b"rcvt-ov-in-", 0), 1);
    alert_until(Duration::from_secs(3), || !seen.lock().unwrap().is_empty());
    assert_eq!(
        *seen.lock().unwrap(),
        ["recv 10036", "result 10036", "alertable 10036", "post 997"]
    );
    send_datagram(&pair.a.ns, &numbered(&pair, b"rcvt-ov-in-", 1), 1);
    assert!(
        reposted.result(true).is_ok(),
        "the receive posted inside completes"
    );
}

#[test]
fn flush_close_and_drop_abort_every_pending_operation_with_995() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let results: Arc<Mutex<Vec<i32>>> = Arc::default();
    let post_five = |socket: &Socket| -> Vec<Overlapped> {
        (0..5)
            .map(|_| {
                let overlapped = Overlapped::new();
                let results = results.clone();
                let posted = socket
                    .recv_overlapped(
                        vec![0u8; 2048],
                        &overlapped,
                        Some(Box::new(move |done| {
                            results
                                .lock()
                                .unwrap()
                                .push(done.result.unwrap_err().wsa_code())
                        })),
                    )
                    .unwrap();
                assert_eq!(posted, Posted::Pending);
                overlapped
            })
            .collect()
    };
    // IPLEVEL on b while nothing is sent: every receive stays pending.
    let socket = capture(&pair.b.ns, IpAddr::V4(pair.b.v4), RcvAll::IpLevel);
    let ops = post_five(&socket);
    socket.flush().unwrap();
    for op in &ops {
        assert_eq!(op.result(false).unwrap_err().wsa_code(), 995, "flush");
    }
    let ops = post_five(&socket);
    socket.ioctl(rcvall::SIO_FLUSH, &[]).unwrap();
    assert!(ops
        .iter()
        .all(|op| op.result(false).unwrap_err().wsa_code() == 995));
    let ops = post_five(&socket);
    socket.close();
    assert!(ops
        .iter()
        .all(|op| op.result(false).unwrap_err().wsa_code() == 995));
    let socket = capture(&pair.b.ns, IpAddr::V4(pair.b.v4), RcvAll::IpLevel);
    let ops = post_five(&socket);
    drop(socket);
    assert!(ops
        .iter()
        .all(|op| op.result(false).unwrap_err().wsa_code() == 995));
    let ran = alert_until(Duration::from_secs(2), || {
        results.lock().unwrap().len() >= 20
    });
    assert_eq!(ran, 20, "each aborted operation's routine ran once");
    assert_eq!(*results.lock().unwrap(), vec![995; 20]);
    assert_eq!(alert_until(Duration::from_millis(200), || false), 0);
}

#[test]
fn an_abort_handle_cancels_pending_overlapped_receives() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let socket = capture(&pair.b.ns, IpAddr::V4(pair.b.v4), RcvAll::IpLevel);
    let ops: Vec<Overlapped> = (0..3)
        .map(|_| {
            let op = Overlapped::new();
            socket.recv_overlapped(vec![0u8; 64], &op, None).unwrap();
            op
        })
        .collect();
    socket.abort_handle().abort();
    for op in &ops {
        let started = Instant::now();
        let err = op.result(true).unwrap_err();
        assert_eq!(err.kind(), WsaCode::OperationAborted);
        assert!(started.elapsed() < Duration::from_millis(500));
    }
}

#[test]
fn event_completion_wakes_a_poll_on_the_eventfd() {
    testkit::require_root();
    let pair = Pair::new().unwrap();
    let _sink = testkit::udp_sink(&pair.b.ns, pair.b.sock_v4(9)).unwrap();
    let socket = capture(&pair.b.ns, IpAddr::V4(pair.b.v4), RcvAll::IpLevel);
    let event = Event::new().unwrap();
    event.set();
    let overlapped = Overlapped::with_event(&event);
    assert_eq!(
        socket
            .recv_overlapped(vec![0u8; 2048], &overlapped, None)
            .unwrap(),
        Posted::Pending
    );
    assert!(!event.is_set(), "posting resets the event");
    let poll_event = |timeout_ms: i32| {
        let mut fds = [rustix::event::PollFd::new(
            &event,
            rustix::event::PollFlags::IN,
        )];
        let timeout = rustix::event::Timespec {
            tv_sec: (timeout_ms / 1000) as _,
            tv_nsec: ((timeout_ms % 1000) * 1_000_000) as _,
        };
        rustix::event::poll(&mut fds, Some(&timeout)).unwrap()
    };
    assert_eq!(poll_event(100), 0, "not readable while pending");
    let datagram = numbered(&pair, b"rcvt-ov-event-", 0);
    let sender = std::thread::scope(|scope| {
        scope.spawn(|| {
            std::thread::sleep(Duration::from_millis(100));
            send_datagram(&pair.a.ns, &datagram, 1);
        });
        let started = Instant::now();
        let ready = poll_event(3000);
        (ready, started.elapsed())
    });
    assert_eq!(sender.0, 1, "the completion made the eventfd readable");
    assert!(
        sender.1 < Duration::from_secs(2),
        "woken after {:?}",
        sender.1
    );
    let transfer = overlapped.result(false).unwrap();
    assert_eq!(transfer.bytes, datagram.len());
    assert!(
        event.wait(Some(Duration::ZERO)).unwrap(),
        "manual reset: still set"
    );
}
