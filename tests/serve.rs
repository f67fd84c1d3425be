//! `inkjot serve` against slow clients: connections that send a byte a second are cut off at the
//! request deadline and never keep a normal request waiting. Loopback only, bounded in time.

use std::io::{BufRead, BufReader, Read, Write};
use std::net::{SocketAddr, TcpStream};
use std::process::{Child, Command, Stdio};
use std::time::{Duration, Instant};

/// The server process, killed when dropped.
struct Server(Child);

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.0.kill();
        let _ = self.0.wait();
    }
}

/// Starts `inkjot serve` on a free loopback port with the tiny model and no language packs.
fn start(threads: usize, deadline_s: f64) -> (Server, SocketAddr) {
    let root = env!("CARGO_MANIFEST_DIR");
    let no_packs = std::env::temp_dir().join(format!("inkjot-serve-test-{}", std::process::id()));
    std::fs::create_dir_all(&no_packs).unwrap();
    let mut child = Command::new(env!("CARGO_BIN_EXE_inkjot"))
        .args(["serve", "--addr", "127.0.0.1:0", "--quiet", "--threads"])
        .arg(threads.to_string())
        .arg("--request-deadline")
        .arg(deadline_s.to_string())
        .arg("--model")
        .arg(format!("{root}/tests/fixtures/tiny-model.safetensors"))
        .arg("--packs")
        .arg(&no_packs)
        .stderr(Stdio::piped())
        .spawn()
        .unwrap();
    let stderr = child.stderr.take().unwrap();
    let server = Server(child);
    let mut lines = BufReader::new(stderr).lines();
    let addr = lines
        .by_ref()
        .map_while(Result::ok)
        .find_map(|line| {
            line.split("http://")
                .nth(1)
                .and_then(|s| s.trim_end_matches('/').parse().ok())
        })
        .expect("serve printed no address");
    // Keep draining stderr so the server never blocks on it.
    std::thread::spawn(move || lines.for_each(drop));
    (server, addr)
}

/// Sends one whole request and reads the answer until the server closes the connection.
fn exchange(addr: SocketAddr, request: &[u8]) -> String {
    let mut stream = TcpStream::connect(addr).unwrap();
    stream
        .set_read_timeout(Some(Duration::from_secs(10)))
        .unwrap();
    stream.write_all(request).unwrap();
    let mut answer = String::new();
    let _ = stream.read_to_string(&mut answer);
    answer
}

fn get_info(addr: SocketAddr) -> String {
    exchange(addr, b"GET /api/info HTTP/1.1\r\nHost: x\r\n\r\n")
}

#[test]
fn slow_clients_hold_no_worker_and_are_cut_off_at_the_deadline() {
    let deadline = 2.0;
    let (_server, addr) = start(2, deadline);
    assert!(get_info(addr).starts_with("HTTP/1.1 200"));
    // More slow clients than workers, each sending one byte a second of a never-ending head.
    let slow: Vec<_> = (0..6)
        .map(|_| {
            std::thread::spawn(move || {
                let begin = Instant::now();
                let mut stream = TcpStream::connect(addr).unwrap();
                stream
                    .set_read_timeout(Some(Duration::from_millis(50)))
                    .unwrap();
                let mut answer = Vec::new();
                for byte in b"GET /api/info HTTP/1.1\r\nX: aaaaaaaaaaaaaaaaaa".iter() {
                    if stream.write_all(&[*byte]).is_err() {
                        break;
                    }
                    let mut buf = [0u8; 512];
                    let until = Instant::now() + Duration::from_secs(1);
                    while Instant::now() < until {
                        match stream.read(&mut buf) {
                            Ok(0) => break,
                            Ok(n) => answer.extend_from_slice(&buf[..n]),
                            Err(_) => {}
                        }
                    }
                    if !answer.is_empty() || begin.elapsed() > Duration::from_secs(8) {
                        break;
                    }
                }
                (
                    String::from_utf8_lossy(&answer).into_owned(),
                    begin.elapsed(),
                )
            })
        })
        .collect();
    std::thread::sleep(Duration::from_millis(1200));
    // Every worker would be taken if slow clients could hold one; a normal request is answered
    // at once.
    let begin = Instant::now();
    let answer = get_info(addr);
    let took = begin.elapsed();
    assert!(answer.starts_with("HTTP/1.1 200"), "{answer}");
    assert!(
        took < Duration::from_secs(1),
        "normal request took {took:?}"
    );
    for client in slow {
        let (answer, took) = client.join().unwrap();
        assert!(answer.starts_with("HTTP/1.1 408"), "{answer:?}");
        // Cut off at the deadline (give or take a read), not after the whole trickle.
        assert!(
            took < Duration::from_secs_f64(deadline + 2.0),
            "slow client held for {took:?}"
        );
    }
}

#[test]
fn oversized_heads_and_bodies_are_refused() {
    let (_server, addr) = start(1, 5.0);
    // A Content-Length beyond usize on 32-bit targets is "too large", not "malformed".
    let answer = exchange(
        addr,
        b"POST /api/recognize HTTP/1.1\r\nContent-Length: 8589934592\r\n\r\n",
    );
    assert!(answer.starts_with("HTTP/1.1 413"), "{answer}");
}
