//! `inkjot serve`: a local web page to write on, recognized as you write.
//!
//! A small HTTP/1.1 server on `std::net`; every response closes its connection. Each accepted
//! connection is read by its own short-lived reader thread (at most [`MAX_READERS`] at once),
//! under a per-connection read deadline (`--request-deadline`, every socket read bounded by what
//! is left of it); only complete requests reach the fixed pool of worker threads, so clients that
//! send a byte a second hold a reader, never a worker. Requests are bounded (head size, body size,
//! the deadline, write timeouts), bad requests get a 4xx answer and a panic while answering becomes
//! a 500.
//!
//! Routes:
//!
//! | route | answer |
//! |---|---|
//! | `GET /`, `/app.js`, `/style.css` | the page (embedded in the binary; no external assets) |
//! | `GET /handwriting.js` | the Handwriting API module over the wasm library (embedded) |
//! | `GET /sw.js` | the page's service worker (embedded; its cache is named after the version and the files served) |
//! | `GET /inkjot.wasm` | the library built for `wasm32-unknown-unknown` (`--wasm`; 404 without one) |
//! | `GET /models/recognizer-int8.safetensors` | the model the server uses (404 without a `.wasm`) |
//! | `GET /models/<code>/lm.bin`, `/models/<code>/decoder.json` | each served language's pack (404 without a `.wasm`) |
//! | `GET /api/info` | `{"languages": [..], "default": "en", "model": .., "int8": .., "nbest_max": .., "wasm": {"available": .., ..}}` |
//! | `POST /api/recognize` | body: one ink in the JSON Lines record format (`{"strokes": [{"x", "y", "t"}]}`) plus optional `lang`, `pre_context`, `user_words` (one word per line), `nbest`, `use_lm`, `writing_height`, `segments` (`true`: each candidate gets `segments` as with `inkjot recognize --segments`); answer: `{"candidates": [{"text", "score", "confidence", "segments"?}], "lines", "latency_ms", "curves", "strokes", "points", "lang"}` |

use std::io::{Read, Write};
use std::net::{Shutdown, SocketAddr, TcpListener, TcpStream};
use std::panic::AssertUnwindSafe;
use std::path::PathBuf;
use std::sync::atomic::{AtomicUsize, Ordering};
use std::sync::mpsc::{Receiver, SyncSender, TrySendError, sync_channel};
use std::sync::{Arc, Mutex};
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use inkjot::decode::UserWords;
use inkjot::features::WritingArea;
use inkjot::ink::{Ink, InkLimits, JsonStroke};
use inkjot::recognizer::check_nbest;
use inkjot::{MAX_NBEST, RecognizeOptions, Recognizer};
use serde::Deserialize;

/// Arguments of `inkjot serve`.
#[derive(Args)]
pub struct ServeArgs {
    /// Address to listen on; keep 127.0.0.1 unless the demo is meant to be reached from elsewhere.
    #[arg(long, default_value = "127.0.0.1:8765")]
    addr: SocketAddr,
    /// Model file (default: $INKJOT_MODELS/recognizer-int8.safetensors, else the embedded one).
    #[arg(long)]
    model: Option<PathBuf>,
    /// Directory of language packs, a `<code>/` directory with `lm.fst` for each language
    /// (default: $INKJOT_MODELS, else the embedded English pack).
    #[arg(long)]
    packs: Option<PathBuf>,
    /// Threads answering requests (1 to 64).
    #[arg(long, default_value_t = 4)]
    threads: usize,
    /// Do not log requests to standard error.
    #[arg(long)]
    quiet: bool,
    /// Seconds a client has to send its whole request (head and body) before it is answered 408.
    #[arg(long, default_value_t = 10.0)]
    request_deadline: f64,
    /// The library built for the browser (`cargo build --release --lib --target
    /// wasm32-unknown-unknown --no-default-features`), served with the model and the packs so
    /// that the page recognizes in the browser (default: target/wasm32-unknown-unknown/release/
    /// inkjot.wasm under the current directory, when it is there).
    #[arg(long)]
    wasm: Option<PathBuf>,
}

const INDEX_HTML: &str = include_str!("web/index.html");
const APP_JS: &str = include_str!("web/app.js");
const STYLE_CSS: &str = include_str!("web/style.css");
const HANDWRITING_JS: &str = include_str!("web/handwriting.js");
/// The page's service worker; `%CACHE%` is replaced with [`cache_name`].
const SW_JS: &str = include_str!("web/sw.js");

/// Where `inkjot serve` looks for the wasm library when `--wasm` is not given (relative to the
/// current directory: a checkout where it was built).
const DEFAULT_WASM: &str = "target/wasm32-unknown-unknown/release/inkjot.wasm";
/// How to build the wasm library, for messages.
const WASM_BUILD: &str =
    "cargo build --release --lib --target wasm32-unknown-unknown --no-default-features";
/// Largest file served for the in-browser recognizer (the wasm, the model, an LM), in bytes.
const MAX_STATIC_BYTES: u64 = 256 << 20;
/// URL of the served model (relative to the page), whatever file the server loaded it from.
const MODEL_URL: &str = "models/recognizer-int8.safetensors";

/// Largest request head (request line and headers), in bytes.
const MAX_HEAD_BYTES: usize = 16 << 10;
/// Largest request body, in bytes.
const MAX_BODY_BYTES: u64 = 4 << 20;
/// Timeout of each write on a connection.
const IO_TIMEOUT: Duration = Duration::from_secs(10);
/// Connections being read at once; more are answered 503.
const MAX_READERS: usize = 256;
/// Stack of a reader thread (it holds a 4 KiB chunk; the request itself is on the heap).
const READER_STACK: usize = 128 << 10;
/// Longest time spent draining unread request bytes after answering.
const DRAIN_DEADLINE: Duration = Duration::from_millis(300);
/// Complete requests waiting for a worker; more are answered 503.
const QUEUE: usize = 64;
/// Longest pre-context kept, in characters (the decoder uses only the last ~20).
const PRE_CONTEXT_MAX_CHARS: usize = 200;
/// Limits on inks sent to the server.
const LIMITS: InkLimits = InkLimits {
    max_points: 50_000,
    max_strokes: 1_000,
    max_abs_value: 1e7,
};

/// The recognizers, one per language, and what the page needs to know about them.
struct App {
    /// `(code, recognizer with that language's pack)`, sorted by code.
    languages: Vec<(String, Recognizer)>,
    /// The model without a language pack, for greedy decoding.
    plain: Recognizer,
    /// File name of the model.
    model_name: String,
    /// The in-browser recognizer's files, or why there are none.
    wasm: Result<WasmFiles, String>,
    quiet: bool,
}

/// Bytes served as a static file: compiled into the binary, held in memory, or read from a file
/// when asked for (at most [`MAX_STATIC_BYTES`]).
#[derive(Debug, Clone)]
enum Source {
    Embedded(&'static [u8]),
    Memory(Arc<Vec<u8>>),
    File(PathBuf),
}

impl Source {
    /// The bytes, or an error response (404 for a file gone since start-up, 500 otherwise).
    fn bytes(&self) -> Result<Vec<u8>, Response> {
        match self {
            Source::Embedded(b) => Ok(b.to_vec()),
            Source::Memory(b) => Ok(b.as_ref().clone()),
            Source::File(path) => read_capped(path).map_err(|e| {
                eprintln!("inkjot serve: {e:#}");
                let missing = e
                    .downcast_ref::<std::io::Error>()
                    .is_some_and(|e| e.kind() == std::io::ErrorKind::NotFound);
                if missing {
                    Response::error(404, "not found")
                } else {
                    Response::error(500, "cannot read the file")
                }
            }),
        }
    }
}

/// Reads `path` whole, refusing files larger than [`MAX_STATIC_BYTES`].
fn read_capped(path: &std::path::Path) -> anyhow::Result<Vec<u8>> {
    let file =
        std::fs::File::open(path).with_context(|| format!("cannot open {}", path.display()))?;
    let mut bytes = Vec::new();
    file.take(MAX_STATIC_BYTES + 1)
        .read_to_end(&mut bytes)
        .with_context(|| format!("cannot read {}", path.display()))?;
    if bytes.len() as u64 > MAX_STATIC_BYTES {
        bail!("{} is larger than {MAX_STATIC_BYTES} bytes", path.display());
    }
    Ok(bytes)
}

/// What the page needs to recognize in the browser: the wasm library, the model, and each
/// language's LM and `decoder.json`.
#[derive(Debug)]
struct WasmFiles {
    /// Where the `.wasm` was read from, for messages.
    path: PathBuf,
    wasm: Arc<Vec<u8>>,
    model: Source,
    /// `(code, LM, decoder.json)`, in the order of [`App::languages`].
    packs: Vec<(String, Source, Source)>,
}

/// Runs `inkjot serve` until the process is stopped.
pub fn run(args: &ServeArgs) -> anyhow::Result<()> {
    if !(1..=64).contains(&args.threads) {
        bail!("--threads must be 1 to 64");
    }
    if !(args.request_deadline.is_finite() && (0.1..=3600.0).contains(&args.request_deadline)) {
        bail!("--request-deadline must be 0.1 to 3600 seconds");
    }
    let deadline = Duration::from_secs_f64(args.request_deadline);
    let app = Arc::new(load(args)?);
    let listener =
        TcpListener::bind(args.addr).with_context(|| format!("cannot listen on {}", args.addr))?;
    let addr = listener.local_addr()?;
    let codes: Vec<&str> = app.languages.iter().map(|(c, _)| c.as_str()).collect();
    match &app.wasm {
        Ok(files) => eprintln!(
            "inkjot serve: in-browser recognition on: serving {} ({} bytes)",
            files.path.display(),
            files.wasm.len()
        ),
        Err(why) => eprintln!("inkjot serve: in-browser recognition off: {why}"),
    }
    eprintln!(
        "inkjot serve: model {}, languages [{}]; open http://{addr}/",
        app.model_name,
        codes.join(", ")
    );
    let (sender, receiver) = sync_channel::<Job>(QUEUE);
    let receiver = Arc::new(Mutex::new(receiver));
    for i in 0..args.threads {
        let (app, receiver) = (Arc::clone(&app), Arc::clone(&receiver));
        std::thread::Builder::new()
            .name(format!("inkjot-serve-{i}"))
            .spawn(move || worker(&app, &receiver))?;
    }
    let readers = Arc::new(AtomicUsize::new(0));
    for stream in listener.incoming() {
        match stream {
            Ok(mut stream) => {
                if readers.fetch_add(1, Ordering::SeqCst) >= MAX_READERS {
                    readers.fetch_sub(1, Ordering::SeqCst);
                    busy(&mut stream);
                    continue;
                }
                let reader = Reader {
                    sender: sender.clone(),
                    count: Arc::clone(&readers),
                    quiet: app.quiet,
                };
                let spawned = std::thread::Builder::new()
                    .name("inkjot-serve-read".into())
                    .stack_size(READER_STACK)
                    .spawn(move || reader.run(stream, deadline));
                if let Err(e) = spawned {
                    // The closure (and with it the stream and the count) was dropped.
                    eprintln!("inkjot serve: cannot start a reader thread: {e}");
                }
            }
            Err(e) => {
                // Out of file descriptors or a connection reset before accept: wait a little.
                eprintln!("inkjot serve: accept failed: {e}");
                std::thread::sleep(Duration::from_millis(50));
            }
        }
    }
    Ok(())
}

fn load(args: &ServeArgs) -> anyhow::Result<App> {
    let resolved = super::models::resolve(args.model.as_deref(), args.packs.as_deref())?;
    let models = resolved.models;
    let mut languages = Vec::new();
    // One model in memory: every language's recognizer shares it.
    for code in models.languages() {
        let recognizer = models
            .recognizer(Some(&code))
            .with_context(|| format!("cannot load language pack `{code}`"))?;
        languages.push((code, recognizer));
    }
    if languages.is_empty() {
        eprintln!("inkjot serve: no language pack found; decoding without a language model");
    }
    let codes: Vec<String> = languages.iter().map(|(c, _)| c.clone()).collect();
    let wasm = wasm_files(
        args.wasm.as_deref(),
        resolved.model_file.as_deref(),
        &models,
        &codes,
    )?;
    Ok(App {
        languages,
        plain: models.recognizer(None)?,
        model_name: resolved.model_name,
        wasm,
        quiet: args.quiet,
    })
}

/// The in-browser recognizer's files: `Err(why)` when there is no `.wasm` to serve (no `--wasm`
/// and nothing at [`DEFAULT_WASM`]) or no language pack; an error (ending `inkjot serve`) when
/// `--wasm` names a file that cannot be read or is not WebAssembly.
fn wasm_files(
    flag: Option<&std::path::Path>,
    model_file: Option<&std::path::Path>,
    models: &inkjot::Models,
    codes: &[String],
) -> anyhow::Result<Result<WasmFiles, String>> {
    let path = match flag {
        Some(path) => path.to_path_buf(),
        None => {
            let path = PathBuf::from(DEFAULT_WASM);
            if !path.is_file() {
                return Ok(Err(format!(
                    "no {DEFAULT_WASM} here; build it ({WASM_BUILD}) or pass --wasm FILE"
                )));
            }
            path
        }
    };
    // Named by the flag, or found at the default path: either way a broken file is an error.
    let what = if flag.is_some() {
        "--wasm"
    } else {
        "the wasm library"
    };
    let wasm = read_capped(&path).context(what)?;
    if !wasm.starts_with(b"\0asm") {
        bail!("{what}: {} is not a WebAssembly module", path.display());
    }
    if codes.is_empty() {
        return Ok(Err(
            "no language pack to load in the browser (the page recognizes on the server)".into(),
        ));
    }
    let embedded = super::models::embedded_bytes();
    let model = match (model_file, embedded) {
        (Some(file), _) => Source::File(file.to_path_buf()),
        (None, Some((model, _, _))) => Source::Embedded(model),
        (None, None) => return Ok(Err("the model's bytes are not at hand".into())),
    };
    let mut packs = Vec::new();
    for code in codes {
        let pack = match (models.pack_dir(), embedded) {
            (Some(dir), _) => {
                let dir = dir.join(code);
                let lm = inkjot::LanguagePack::lm_path(&dir)
                    .with_context(|| format!("language pack `{code}`"))?;
                let decoder = dir.join(inkjot::LanguagePack::CONFIG_FILE);
                (code.clone(), Source::File(lm), Source::File(decoder))
            }
            (None, Some((_, lm, decoder))) if code == "en" => (
                code.clone(),
                Source::Embedded(lm),
                Source::Embedded(decoder.as_bytes()),
            ),
            _ => return Ok(Err(format!("the bytes of pack `{code}` are not at hand"))),
        };
        packs.push(pack);
    }
    Ok(Ok(WasmFiles {
        path,
        wasm: Arc::new(wasm),
        model,
        packs,
    }))
}

/// A connection whose request has been read, for a worker.
struct Job {
    stream: TcpStream,
    request: Request,
    /// When the connection was accepted.
    begin: Instant,
}

/// Reads one connection's request, then queues it for the workers (or answers an error itself).
struct Reader {
    sender: SyncSender<Job>,
    /// Readers running; decremented when this one is dropped.
    count: Arc<AtomicUsize>,
    quiet: bool,
}

impl Drop for Reader {
    fn drop(&mut self) {
        self.count.fetch_sub(1, Ordering::SeqCst);
    }
}

impl Reader {
    fn run(self, mut stream: TcpStream, deadline: Duration) {
        let begin = Instant::now();
        let _ = stream.set_write_timeout(Some(IO_TIMEOUT));
        let _ = stream.set_nodelay(true);
        let (line, status) = match read_request(&mut stream, deadline) {
            Ok(request) => match self.sender.try_send(Job {
                stream,
                request,
                begin,
            }) {
                Ok(()) => return,
                Err(TrySendError::Full(job) | TrySendError::Disconnected(job)) => {
                    let mut stream = job.stream;
                    busy(&mut stream);
                    (format!("{} {}", job.request.method, job.request.path), 503)
                }
            },
            Err(RequestError::Closed) => return,
            Err(RequestError::Http(status, message)) => {
                let _ = write_response(&mut stream, false, &Response::error(status, &message));
                finish(&mut stream);
                ("(bad request)".to_string(), status)
            }
        };
        if !self.quiet {
            eprintln!(
                "inkjot serve: {line} {status} {:.1} ms",
                begin.elapsed().as_secs_f64() * 1e3
            );
        }
    }
}

/// Answers 503 quickly (a short write timeout: a busy server does not wait on the client).
fn busy(stream: &mut TcpStream) {
    let _ = stream.set_write_timeout(Some(Duration::from_secs(1)));
    let _ = write_response(stream, false, &Response::error(503, "busy"));
}

fn worker(app: &App, receiver: &Mutex<Receiver<Job>>) {
    loop {
        let next = receiver.lock().unwrap_or_else(|e| e.into_inner()).recv();
        let Ok(Job {
            mut stream,
            request,
            begin,
        }) = next
        else {
            return;
        };
        let outcome = std::panic::catch_unwind(AssertUnwindSafe(|| {
            serve_request(app, &mut stream, &request)
        }));
        let (line, status) = match outcome {
            Ok(done) => done,
            Err(_) => {
                let _ = write_response(&mut stream, false, &Response::error(500, "internal error"));
                ("(panic)".to_string(), 500)
            }
        };
        finish(&mut stream);
        if !app.quiet {
            eprintln!(
                "inkjot serve: {line} {status} {:.1} ms",
                begin.elapsed().as_secs_f64() * 1e3
            );
        }
    }
}

/// Answers `request` on `stream`; returns the request line (for the log) and the status.
fn serve_request(app: &App, stream: &mut TcpStream, request: &Request) -> (String, u16) {
    let line = format!("{} {}", request.method, request.path);
    let response = route(app, request);
    let _ = write_response(stream, request.method == "HEAD", &response);
    (line, response.status)
}

/// Ends a connection politely: no more writes, then a short drain so that unread request bytes
/// do not turn the close into a reset that could lose the response.
fn finish(stream: &mut TcpStream) {
    let _ = stream.shutdown(Shutdown::Write);
    let stop = Instant::now() + DRAIN_DEADLINE;
    let mut sink = [0u8; 4096];
    let mut drained = 0;
    while drained < 256 << 10 {
        let left = stop.saturating_duration_since(Instant::now());
        if left.is_zero() {
            break;
        }
        let _ = stream.set_read_timeout(Some(left));
        match stream.read(&mut sink) {
            Ok(0) | Err(_) => break,
            Ok(n) => drained += n,
        }
    }
}

/// A parsed request.
#[derive(Debug)]
struct Request {
    method: String,
    /// The path, without the query string.
    path: String,
    body: Vec<u8>,
}

/// Why a request could not be read.
#[derive(Debug)]
enum RequestError {
    /// The client closed the connection (or timed out) before sending a request.
    Closed,
    /// Answer with this status and message.
    Http(u16, String),
}

fn bad(status: u16, message: impl Into<String>) -> RequestError {
    RequestError::Http(status, message.into())
}

/// A connection whose reads can be bounded in time.
trait Connection: Read + Write {
    /// Makes the next reads give up after `left` (never zero).
    fn limit_reads(&mut self, left: Duration);
}

impl Connection for TcpStream {
    fn limit_reads(&mut self, left: Duration) {
        let _ = self.set_read_timeout(Some(left.max(Duration::from_millis(1))));
    }
}

/// Reads one request: head up to [`MAX_HEAD_BYTES`], body (by `Content-Length`) up to
/// [`MAX_BODY_BYTES`], all within `within` of the call: every read waits at most for what is
/// left of that deadline, so a client sending a byte a second is cut off on time.
fn read_request(stream: &mut impl Connection, within: Duration) -> Result<Request, RequestError> {
    let deadline = Instant::now() + within;
    let left = || deadline.saturating_duration_since(Instant::now());
    let mut buffer = Vec::with_capacity(4096);
    let mut chunk = [0u8; 4096];
    let head_end = loop {
        if let Some(i) = find(&buffer, b"\r\n\r\n") {
            break i;
        }
        if buffer.len() > MAX_HEAD_BYTES {
            return Err(bad(431, "request head too large"));
        }
        if left().is_zero() {
            return Err(bad(408, "request timeout"));
        }
        stream.limit_reads(left());
        match stream.read(&mut chunk) {
            Ok(0) if buffer.is_empty() => return Err(RequestError::Closed),
            Ok(0) => return Err(bad(400, "incomplete request")),
            Ok(n) => buffer.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) if buffer.is_empty() => return Err(RequestError::Closed),
            Err(_) => return Err(bad(408, "request timeout")),
        }
    };
    if head_end > MAX_HEAD_BYTES {
        return Err(bad(431, "request head too large"));
    }
    let head = std::str::from_utf8(&buffer[..head_end]).map_err(|_| bad(400, "head not UTF-8"))?;
    let mut lines = head.split("\r\n");
    let request_line = lines.next().unwrap_or_default();
    let mut parts = request_line.split(' ');
    let (Some(method), Some(target), Some(version), None) =
        (parts.next(), parts.next(), parts.next(), parts.next())
    else {
        return Err(bad(400, "malformed request line"));
    };
    if !version.starts_with("HTTP/1.") {
        return Err(bad(505, "HTTP/1.x only"));
    }
    if method.is_empty() || !method.bytes().all(|b| b.is_ascii_uppercase()) {
        return Err(bad(400, "malformed method"));
    }
    let mut content_length: Option<u64> = None;
    let mut expect_continue = false;
    for line in lines {
        let Some((name, value)) = line.split_once(':') else {
            return Err(bad(400, "malformed header"));
        };
        let value = value.trim();
        match name.to_ascii_lowercase().as_str() {
            "content-length" => {
                // u64, not usize: a length over 4 GiB is "too large" (413) on 32-bit targets
                // too, not "malformed".
                let n: u64 = value.parse().map_err(|_| bad(400, "bad Content-Length"))?;
                if content_length.is_some_and(|m| m != n) {
                    return Err(bad(400, "conflicting Content-Length"));
                }
                content_length = Some(n);
            }
            "transfer-encoding" => return Err(bad(411, "send a Content-Length")),
            "expect" if value.eq_ignore_ascii_case("100-continue") => expect_continue = true,
            _ => {}
        }
    }
    let method = method.to_string();
    let path = target
        .split(['?', '#'])
        .next()
        .unwrap_or_default()
        .to_string();
    let length = content_length.unwrap_or(0);
    if length > MAX_BODY_BYTES {
        return Err(bad(413, format!("body larger than {MAX_BODY_BYTES} bytes")));
    }
    // At most MAX_BODY_BYTES, so it fits in usize everywhere.
    let length = usize::try_from(length).map_err(|_| bad(413, "body too large"))?;
    if expect_continue && length > 0 {
        let _ = stream.write_all(b"HTTP/1.1 100 Continue\r\n\r\n");
    }
    let mut body = buffer.split_off(head_end + 4);
    body.truncate(length);
    while body.len() < length {
        if left().is_zero() {
            return Err(bad(408, "request timeout"));
        }
        stream.limit_reads(left());
        let want = (length - body.len()).min(chunk.len());
        match stream.read(&mut chunk[..want]) {
            Ok(0) => return Err(bad(400, "incomplete body")),
            Ok(n) => body.extend_from_slice(&chunk[..n]),
            Err(e) if e.kind() == std::io::ErrorKind::Interrupted => {}
            Err(_) => return Err(bad(408, "request timeout")),
        }
    }
    Ok(Request { method, path, body })
}

fn find(haystack: &[u8], needle: &[u8]) -> Option<usize> {
    haystack.windows(needle.len()).position(|w| w == needle)
}

/// A response with a complete body.
#[derive(Debug)]
struct Response {
    status: u16,
    content_type: &'static str,
    body: Vec<u8>,
    allow: Option<&'static str>,
}

impl Response {
    fn ok(content_type: &'static str, body: impl Into<Vec<u8>>) -> Self {
        Response {
            status: 200,
            content_type,
            body: body.into(),
            allow: None,
        }
    }

    fn json(status: u16, value: &serde_json::Value) -> Self {
        Response {
            status,
            content_type: "application/json",
            body: value.to_string().into_bytes(),
            allow: None,
        }
    }

    fn error(status: u16, message: &str) -> Self {
        Response::json(status, &serde_json::json!({ "error": message }))
    }
}

fn reason(status: u16) -> &'static str {
    match status {
        100 => "Continue",
        200 => "OK",
        400 => "Bad Request",
        404 => "Not Found",
        405 => "Method Not Allowed",
        408 => "Request Timeout",
        411 => "Length Required",
        413 => "Content Too Large",
        422 => "Unprocessable Content",
        431 => "Request Header Fields Too Large",
        500 => "Internal Server Error",
        503 => "Service Unavailable",
        505 => "HTTP Version Not Supported",
        _ => "",
    }
}

fn write_response(
    stream: &mut impl Write,
    head_only: bool,
    response: &Response,
) -> std::io::Result<()> {
    let mut head = format!(
        "HTTP/1.1 {} {}\r\nContent-Type: {}\r\nContent-Length: {}\r\nConnection: close\r\n\
         Cache-Control: no-store\r\nX-Content-Type-Options: nosniff\r\nReferrer-Policy: no-referrer\r\n\
         Content-Security-Policy: default-src 'self'; script-src 'self' 'wasm-unsafe-eval'; img-src 'self' data: blob:; base-uri 'none'; form-action 'none'; frame-ancestors 'none'\r\n",
        response.status,
        reason(response.status),
        response.content_type,
        response.body.len()
    );
    if let Some(allow) = response.allow {
        head.push_str(&format!("Allow: {allow}\r\n"));
    }
    head.push_str("\r\n");
    stream.write_all(head.as_bytes())?;
    if !head_only {
        stream.write_all(&response.body)?;
    }
    stream.flush()
}

fn route(app: &App, request: &Request) -> Response {
    let get = matches!(request.method.as_str(), "GET" | "HEAD");
    match (request.path.as_str(), get) {
        ("/" | "/index.html", true) => Response::ok("text/html; charset=utf-8", INDEX_HTML),
        ("/app.js", true) => Response::ok("text/javascript; charset=utf-8", APP_JS),
        ("/style.css", true) => Response::ok("text/css; charset=utf-8", STYLE_CSS),
        ("/handwriting.js", true) => Response::ok("text/javascript; charset=utf-8", HANDWRITING_JS),
        ("/sw.js", true) => Response::ok(
            "text/javascript; charset=utf-8",
            SW_JS.replace("%CACHE%", &cache_name(app)),
        ),
        ("/api/info", true) => Response::json(200, &info(app)),
        ("/api/recognize", false) if request.method == "POST" => recognize(app, &request.body),
        (
            "/" | "/index.html" | "/app.js" | "/style.css" | "/handwriting.js" | "/sw.js"
            | "/api/info",
            false,
        ) => Response {
            allow: Some("GET, HEAD"),
            ..Response::error(405, "method not allowed")
        },
        ("/api/recognize", _) => Response {
            allow: Some("POST"),
            ..Response::error(405, "method not allowed")
        },
        (path, get) => match wasm_file(app, path) {
            None => Response::error(404, "not found"),
            Some(_) if !get => Response {
                allow: Some("GET, HEAD"),
                ..Response::error(405, "method not allowed")
            },
            Some((content_type, source)) => match source.bytes() {
                Ok(body) => Response::ok(content_type, body),
                Err(response) => response,
            },
        },
    }
}

/// The service worker's cache name: `inkjot-<version>-<hash>`, the hash over the page's files, the
/// `.wasm`, the model and the packs served (a file's path, size and modification time; embedded
/// bytes whole), so that a new binary or new files get a new cache and the old one is dropped.
fn cache_name(app: &App) -> String {
    use std::hash::{Hash, Hasher};
    let mut hasher = std::collections::hash_map::DefaultHasher::new();
    for text in [INDEX_HTML, APP_JS, STYLE_CSS, HANDWRITING_JS, SW_JS] {
        text.hash(&mut hasher);
    }
    app.model_name.hash(&mut hasher);
    let source =
        |source: &Source, hasher: &mut std::collections::hash_map::DefaultHasher| match source {
            Source::Embedded(bytes) => bytes.hash(hasher),
            Source::Memory(bytes) => bytes.hash(hasher),
            Source::File(path) => {
                path.hash(hasher);
                if let Ok(meta) = std::fs::metadata(path) {
                    meta.len().hash(hasher);
                    meta.modified().ok().hash(hasher);
                }
            }
        };
    if let Ok(files) = &app.wasm {
        files.wasm.hash(&mut hasher);
        source(&files.model, &mut hasher);
        for (code, lm, decoder) in &files.packs {
            code.hash(&mut hasher);
            source(lm, &mut hasher);
            source(decoder, &mut hasher);
        }
    }
    format!(
        "inkjot-{}-{:016x}",
        env!("CARGO_PKG_VERSION"),
        hasher.finish()
    )
}

/// The in-browser recognizer's file at `path`, with its Content-Type; `None` when there is none
/// (no `.wasm` to serve, an unknown language, any other path).
fn wasm_file(app: &App, path: &str) -> Option<(&'static str, Source)> {
    let files = app.wasm.as_ref().ok()?;
    if path == "/inkjot.wasm" {
        return Some(("application/wasm", Source::Memory(Arc::clone(&files.wasm))));
    }
    let rest = path.strip_prefix('/')?;
    if rest == MODEL_URL {
        return Some(("application/octet-stream", files.model.clone()));
    }
    let (code, file) = rest.strip_prefix("models/")?.split_once('/')?;
    let (_, lm, decoder) = files.packs.iter().find(|(c, _, _)| c == code)?;
    match file {
        "lm.bin" => Some(("application/octet-stream", lm.clone())),
        "decoder.json" => Some(("application/json", decoder.clone())),
        _ => None,
    }
}

/// `/api/info`'s `wasm`: whether the page can recognize in the browser, and the URLs of the files
/// (relative to the page) or why not.
fn wasm_info(app: &App) -> serde_json::Value {
    match &app.wasm {
        Ok(files) => {
            let languages: serde_json::Map<String, serde_json::Value> = files
                .packs
                .iter()
                .map(|(code, _, _)| {
                    let urls = serde_json::json!({
                        "lm": format!("models/{code}/lm.bin"),
                        "decoder": format!("models/{code}/decoder.json"),
                    });
                    (code.clone(), urls)
                })
                .collect();
            serde_json::json!({
                "available": true,
                "module": "handwriting.js",
                "wasm": "inkjot.wasm",
                "wasm_bytes": files.wasm.len(),
                "model": MODEL_URL,
                "languages": languages,
            })
        }
        Err(why) => serde_json::json!({ "available": false, "reason": why }),
    }
}

fn info(app: &App) -> serde_json::Value {
    let codes: Vec<&str> = app.languages.iter().map(|(c, _)| c.as_str()).collect();
    let default = if codes.contains(&"en") {
        Some("en")
    } else {
        codes.first().copied()
    };
    serde_json::json!({
        "languages": codes,
        "default": default,
        "model": app.model_name,
        "int8": app.plain.model().is_int8(),
        "nbest_max": MAX_NBEST,
        "version": env!("CARGO_PKG_VERSION"),
        "wasm": wasm_info(app),
    })
}

/// The body of `POST /api/recognize`: an ink record as in the JSON Lines format, plus options.
#[derive(Deserialize)]
struct RecognizeRequest {
    strokes: Vec<JsonStroke>,
    #[serde(default)]
    lang: Option<String>,
    #[serde(default)]
    pre_context: String,
    #[serde(default)]
    user_words: String,
    #[serde(default)]
    nbest: Option<usize>,
    #[serde(default)]
    use_lm: Option<bool>,
    #[serde(default)]
    writing_height: Option<f64>,
    /// Add each candidate's `segments` (as `inkjot recognize --segments`): the page highlights the
    /// ink of a character or word of a candidate with them.
    #[serde(default)]
    segments: bool,
}

fn recognize(app: &App, body: &[u8]) -> Response {
    let request: RecognizeRequest = match serde_json::from_slice(body) {
        Ok(r) => r,
        Err(e) => return Response::error(400, &format!("malformed request: {e}")),
    };
    let channels = request
        .strokes
        .into_iter()
        .map(JsonStroke::into_channels)
        .collect();
    let ink = match Ink::from_channels(channels, &LIMITS) {
        Ok(ink) => ink,
        Err(e) => return Response::error(422, &format!("invalid ink: {e}")),
    };
    let use_lm = request.use_lm.unwrap_or(true);
    let lang = request.lang.unwrap_or_else(|| "en".to_string());
    let recognizer = if use_lm {
        match app.languages.iter().find(|(code, _)| *code == lang) {
            Some((_, r)) => r,
            None if app.languages.is_empty() => &app.plain,
            None => return Response::error(400, &format!("unknown language {lang:?}")),
        }
    } else {
        &app.plain
    };
    let writing_area = match request.writing_height {
        None => WritingArea::Auto,
        Some(h) if h.is_finite() && h > 0.0 => WritingArea::Height(h),
        Some(_) => return Response::error(400, "writing_height must be a positive number"),
    };
    let skip = request
        .pre_context
        .chars()
        .count()
        .saturating_sub(PRE_CONTEXT_MAX_CHARS);
    let nbest = request.nbest.unwrap_or(5);
    if let Err(e) = check_nbest(nbest) {
        return Response::error(400, &e.to_string());
    }
    let options = RecognizeOptions {
        nbest,
        writing_area,
        pre_context: request.pre_context.chars().skip(skip).collect(),
        use_lm: use_lm && recognizer.has_language_model(),
        user_words: match UserWords::parse(&request.user_words) {
            Ok(words) if words.is_empty() => None,
            Ok(words) => Some(Arc::new(words)),
            Err(e) => return Response::error(400, &e.to_string()),
        },
        segments: request.segments,
        lines: true,
    };
    let begin = Instant::now();
    match recognizer.recognize(&ink, &options) {
        Ok(result) => Response::json(
            200,
            &serde_json::json!({
                "candidates": result.candidates,
                "lines": result.lines,
                "latency_ms": begin.elapsed().as_secs_f64() * 1e3,
                "curves": result.curves,
                "strokes": ink.strokes().len(),
                "points": ink.point_count(),
                "lang": if options.use_lm { Some(lang) } else { None },
            }),
        ),
        Err(e) => Response::error(422, &e.to_string()),
    }
}

/// The embedded page's files, for tests.
#[cfg(test)]
fn page_files() -> [(&'static str, &'static str); 5] {
    [
        ("index.html", INDEX_HTML),
        ("app.js", APP_JS),
        ("style.css", STYLE_CSS),
        ("handwriting.js", HANDWRITING_JS),
        ("sw.js", SW_JS),
    ]
}

#[cfg(test)]
mod tests {
    use super::*;

    /// An in-memory connection: reads from `input`, collects what is written.
    struct Fake {
        input: std::io::Cursor<Vec<u8>>,
        output: Vec<u8>,
    }

    impl Read for Fake {
        fn read(&mut self, buf: &mut [u8]) -> std::io::Result<usize> {
            self.input.read(buf)
        }
    }

    impl Write for Fake {
        fn write(&mut self, buf: &[u8]) -> std::io::Result<usize> {
            self.output.write(buf)
        }
        fn flush(&mut self) -> std::io::Result<()> {
            Ok(())
        }
    }

    impl Connection for Fake {
        fn limit_reads(&mut self, _left: Duration) {}
    }

    fn parse(raw: &[u8]) -> (Result<Request, RequestError>, Vec<u8>) {
        let mut fake = Fake {
            input: std::io::Cursor::new(raw.to_vec()),
            output: Vec::new(),
        };
        (read_request(&mut fake, Duration::from_secs(5)), fake.output)
    }

    fn status(result: Result<Request, RequestError>) -> u16 {
        match result {
            Ok(_) => 200,
            Err(RequestError::Closed) => 0,
            Err(RequestError::Http(status, _)) => status,
        }
    }

    #[test]
    fn requests_are_parsed_and_bounded() {
        let (request, _) = parse(
            b"POST /api/recognize?x=1 HTTP/1.1\r\nHost: a\r\nContent-Length: 4\r\n\r\nbodyextra",
        );
        let request = request.unwrap();
        assert_eq!(
            (request.method.as_str(), request.path.as_str()),
            ("POST", "/api/recognize")
        );
        assert_eq!(request.body, b"body");

        let (request, interim) =
            parse(b"POST / HTTP/1.1\r\nExpect: 100-continue\r\nContent-Length: 2\r\n\r\nok");
        assert_eq!(request.unwrap().body, b"ok");
        assert!(interim.starts_with(b"HTTP/1.1 100 Continue"));

        assert_eq!(status(parse(b"").0), 0);
        assert_eq!(status(parse(b"GET / HTTP/1.1\r\nHost").0), 400);
        assert_eq!(status(parse(b"GET /\r\n\r\n").0), 400);
        assert_eq!(status(parse(b"GET / SPDY/3\r\n\r\n").0), 505);
        assert_eq!(status(parse(b"GET / HTTP/1.1\r\nnocolon\r\n\r\n").0), 400);
        assert_eq!(
            status(parse(b"POST / HTTP/1.1\r\nContent-Length: x\r\n\r\n").0),
            400
        );
        assert_eq!(
            status(parse(b"POST / HTTP/1.1\r\nContent-Length: 99999999999\r\n\r\n").0),
            413
        );
        assert_eq!(
            status(parse(b"POST / HTTP/1.1\r\nTransfer-Encoding: chunked\r\n\r\n").0),
            411
        );
        assert_eq!(
            status(parse(b"POST / HTTP/1.1\r\nContent-Length: 9\r\n\r\nabc").0),
            400
        );
        let mut huge = b"GET / HTTP/1.1\r\nX: ".to_vec();
        huge.extend(std::iter::repeat_n(b'a', MAX_HEAD_BYTES + 10));
        assert_eq!(status(parse(&huge).0), 431);
    }

    #[test]
    fn responses_are_complete() {
        let mut out = Vec::new();
        write_response(&mut out, false, &Response::error(404, "not found")).unwrap();
        let text = String::from_utf8(out).unwrap();
        assert!(text.starts_with("HTTP/1.1 404 Not Found\r\n"));
        assert!(text.contains("Content-Length: 21\r\n"));
        assert!(text.ends_with("\r\n\r\n{\"error\":\"not found\"}"));
    }

    #[test]
    fn the_page_uses_no_external_assets() {
        for (name, text) in page_files() {
            for needle in ["http://", "https://", "//cdn", "@import"] {
                assert!(!text.contains(needle), "{name} mentions {needle}");
            }
        }
        assert!(INDEX_HTML.contains("app.js") && INDEX_HTML.contains("style.css"));
    }

    /// A GET of `path` through the router.
    fn get(app: &App, path: &str) -> Response {
        route(
            app,
            &Request {
                method: "GET".into(),
                path: path.into(),
                body: Vec::new(),
            },
        )
    }

    /// An app on the small test model (only routes and status codes are checked with it).
    fn tiny_app(wasm: Result<WasmFiles, String>) -> App {
        let tiny = concat!(
            env!("CARGO_MANIFEST_DIR"),
            "/tests/fixtures/tiny-model.safetensors"
        );
        App {
            languages: Vec::new(),
            plain: Recognizer::from_file(tiny.as_ref()).unwrap(),
            model_name: "tiny".into(),
            wasm,
            quiet: true,
        }
    }

    #[test]
    fn the_wasm_recognizer_is_served_as_static_files() {
        let dir = std::env::temp_dir().join(format!("inkjot-serve-wasm-{}", std::process::id()));
        std::fs::create_dir_all(dir.join("en")).unwrap();
        let wasm = b"\0asm\x01\0\0\0".to_vec();
        let model = dir.join("model.safetensors");
        std::fs::write(&model, b"model bytes").unwrap();
        std::fs::write(dir.join("en/lm.bin"), b"lm bytes").unwrap();
        std::fs::write(dir.join("en/decoder.json"), b"{\"decoder\": 1}").unwrap();
        let app = tiny_app(Ok(WasmFiles {
            path: dir.join("inkjot.wasm"),
            wasm: Arc::new(wasm.clone()),
            model: Source::File(model),
            packs: vec![(
                "en".into(),
                Source::File(dir.join("en/lm.bin")),
                Source::File(dir.join("en/decoder.json")),
            )],
        }));
        for (path, content_type, body) in [
            ("/inkjot.wasm", "application/wasm", wasm.as_slice()),
            (
                "/models/recognizer-int8.safetensors",
                "application/octet-stream",
                b"model bytes",
            ),
            ("/models/en/lm.bin", "application/octet-stream", b"lm bytes"),
            (
                "/models/en/decoder.json",
                "application/json",
                b"{\"decoder\": 1}",
            ),
            (
                "/handwriting.js",
                "text/javascript; charset=utf-8",
                HANDWRITING_JS.as_bytes(),
            ),
        ] {
            let response = get(&app, path);
            assert_eq!(response.status, 200, "{path}");
            assert_eq!(response.content_type, content_type, "{path}");
            assert_eq!(response.body, body, "{path}");
        }
        for path in [
            "/models/de/lm.bin",
            "/models/en/lm.fst",
            "/models/en/../recognizer-int8.safetensors",
            "/models/en",
            "/models/",
            "/inkjot.wasm/",
            "/recognizer-int8.safetensors",
        ] {
            assert_eq!(get(&app, path).status, 404, "{path}");
        }
        let post = route(
            &app,
            &Request {
                method: "POST".into(),
                path: "/inkjot.wasm".into(),
                body: Vec::new(),
            },
        );
        assert_eq!(post.status, 405);
        let info = info(&app);
        assert_eq!(info["wasm"]["available"], true);
        assert_eq!(info["wasm"]["wasm"], "inkjot.wasm");
        assert_eq!(info["wasm"]["languages"]["en"]["lm"], "models/en/lm.bin");
        // A file gone since start-up is a 404, not a crash.
        std::fs::remove_file(dir.join("en/lm.bin")).unwrap();
        assert_eq!(get(&app, "/models/en/lm.bin").status, 404);
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn without_a_wasm_only_the_module_is_served() {
        let app = tiny_app(Err("no wasm here".into()));
        for path in [
            "/inkjot.wasm",
            "/models/recognizer-int8.safetensors",
            "/models/en/lm.bin",
            "/models/en/decoder.json",
        ] {
            assert_eq!(get(&app, path).status, 404, "{path}");
        }
        assert_eq!(get(&app, "/handwriting.js").status, 200);
        let info = info(&app);
        assert_eq!(info["wasm"]["available"], false);
        assert_eq!(info["wasm"]["reason"], "no wasm here");
    }

    #[test]
    fn a_wasm_flag_naming_no_webassembly_is_an_error() {
        let dir = std::env::temp_dir().join(format!("inkjot-serve-badwasm-{}", std::process::id()));
        std::fs::create_dir_all(&dir).unwrap();
        let file = dir.join("not.wasm");
        std::fs::write(&file, b"<html>").unwrap();
        let models = inkjot::Models::from_path(
            concat!(
                env!("CARGO_MANIFEST_DIR"),
                "/tests/fixtures/tiny-model.safetensors"
            )
            .as_ref(),
        )
        .unwrap();
        let codes = ["en".to_string()];
        let error = wasm_files(Some(&file), None, &models, &codes).unwrap_err();
        assert!(
            format!("{error:#}").contains("not a WebAssembly module"),
            "{error:#}"
        );
        let error = wasm_files(Some(&dir.join("missing.wasm")), None, &models, &codes).unwrap_err();
        assert!(format!("{error:#}").contains("missing.wasm"), "{error:#}");
        std::fs::remove_dir_all(&dir).unwrap();
    }

    #[test]
    fn recognize_rejects_bad_inks_without_a_model_call() {
        // The small test model stands in for any model: only status codes are checked.
        let app = tiny_app(Err("none".into()));
        assert_eq!(recognize(&app, b"{").status, 400);
        assert_eq!(recognize(&app, b"{\"strokes\": []}").status, 422);
        assert_eq!(
            recognize(&app, b"{\"strokes\": [{\"x\": [0, 1], \"y\": [0]}]}").status,
            422
        );
        assert_eq!(
            recognize(&app, b"{\"strokes\": [{\"x\": [0, 1], \"y\": [0, 1e300]}]}").status,
            422
        );
        let ok = recognize(
            &app,
            b"{\"strokes\": [{\"x\": [0, 5, 9], \"y\": [0, 20, 3], \"t\": [0, 10, 20]}]}",
        );
        assert_eq!(ok.status, 200, "{}", String::from_utf8_lossy(&ok.body));
        for nbest in ["0", "101"] {
            let body =
                format!("{{\"nbest\": {nbest}, \"strokes\": [{{\"x\": [0, 5], \"y\": [0, 20]}}]}}");
            assert_eq!(
                recognize(&app, body.as_bytes()).status,
                400,
                "nbest {nbest}"
            );
        }
    }

    #[test]
    fn recognize_adds_segments_when_asked() {
        let app = tiny_app(Err("none".into()));
        let ink = "\"strokes\": [{\"x\": [0, 5, 9, 14], \"y\": [0, 20, 3, 18]}, {\"x\": [20, 30], \"y\": [5, 6]}]";
        let answer = |body: String| -> serde_json::Value {
            let response = recognize(&app, body.as_bytes());
            assert_eq!(
                response.status,
                200,
                "{}",
                String::from_utf8_lossy(&response.body)
            );
            serde_json::from_slice(&response.body).unwrap()
        };
        let plain = answer(format!("{{{ink}}}"));
        let candidates = plain["candidates"].as_array().unwrap();
        assert!(candidates.iter().all(|c| c.get("segments").is_none()));
        let with = answer(format!("{{\"segments\": true, {ink}}}"));
        let candidates = with["candidates"].as_array().unwrap();
        assert!(!candidates.is_empty());
        for candidate in candidates {
            let text = candidate["text"].as_str().unwrap();
            let segments = candidate["segments"]
                .as_array()
                .map_or(&[][..], |s| s.as_slice());
            // One char segment per character, in order, their texts making up the candidate;
            // every range names a stroke as sent and points inside it.
            let chars: String = segments
                .iter()
                .filter(|s| s["kind"] == "char")
                .map(|s| s["text"].as_str().unwrap())
                .collect();
            assert_eq!(chars, text);
            for segment in segments {
                for range in segment["strokes"].as_array().unwrap() {
                    let [stroke, first, last] = [0, 1, 2].map(|i| range[i].as_u64().unwrap());
                    let points = [4, 2][usize::try_from(stroke).unwrap()];
                    assert!(first <= last && last < points, "{range}");
                }
            }
        }
        assert_eq!(
            recognize(&app, format!("{{\"segments\": 1, {ink}}}").as_bytes()).status,
            400
        );
    }

    #[test]
    fn the_service_worker_is_served_with_a_cache_named_after_the_files() {
        let body = |app: &App| {
            let response = get(app, "/sw.js");
            assert_eq!(response.status, 200);
            assert_eq!(response.content_type, "text/javascript; charset=utf-8");
            String::from_utf8(response.body).unwrap()
        };
        let files = |wasm: &[u8]| WasmFiles {
            path: "inkjot.wasm".into(),
            wasm: Arc::new(wasm.to_vec()),
            model: Source::Embedded(b"model"),
            packs: vec![(
                "en".into(),
                Source::Embedded(b"lm"),
                Source::Embedded(b"{}"),
            )],
        };
        let a = tiny_app(Ok(files(b"\0asm one")));
        let name = cache_name(&a);
        assert!(
            name.starts_with(&format!("inkjot-{}-", env!("CARGO_PKG_VERSION"))),
            "{name}"
        );
        let sw = body(&a);
        assert!(!sw.contains("%CACHE%") && sw.contains(&format!("'{name}'")));
        // The same files give the same name; another .wasm, or none, another.
        assert_eq!(cache_name(&tiny_app(Ok(files(b"\0asm one")))), name);
        assert_ne!(cache_name(&tiny_app(Ok(files(b"\0asm two")))), name);
        assert_ne!(cache_name(&tiny_app(Err("none".into()))), name);
        let post = route(
            &a,
            &Request {
                method: "POST".into(),
                path: "/sw.js".into(),
                body: Vec::new(),
            },
        );
        assert_eq!(post.status, 405);
    }
}
