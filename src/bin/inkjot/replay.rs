//! `inkjot replay`: recorded inks played back in the terminal as they were written.
//!
//! The strokes are drawn on a Unicode braille canvas (each character cell holds 2×4 dots) at the
//! pace of their timestamps, scaled by `--speed`. Each point is fed to a streaming
//! [`inkjot::Session`] as it is drawn; after every stroke the session's candidates are shown with
//! the time they took (each finished stroke is fitted once, as a keyboard would do it). On a terminal the picture
//! is redrawn in place with plain ANSI escapes (cursor home, clear to end of line); with `--plain`
//! or when standard output is not a terminal, one frame is printed after each stroke instead.

use std::fmt::Write as _;
use std::io::{IsTerminal, Write};
use std::path::PathBuf;
use std::sync::Arc;
use std::time::{Duration, Instant};

use anyhow::{Context, bail};
use clap::Args;
use inkjot::decode::Candidate;
use inkjot::ink::{BoundingBox, InkLimits, InkRecord, read_ink_file};
use inkjot::{RecognizeOptions, Recognizer, Session, SessionOptions};

use super::RecognizerArgs;

/// Arguments of `inkjot replay`.
#[derive(Args)]
pub struct ReplayArgs {
    /// Ink file (JSONL, .jsonl.gz or InkML; `-` for standard input).
    input: PathBuf,
    /// Playback speed: 2 plays twice as fast as written, 0.5 half as fast, 0 without waiting.
    #[arg(long, default_value_t = 1.0)]
    speed: f64,
    /// Skip this many inks first.
    #[arg(long, default_value_t = 0)]
    skip: usize,
    /// Replay at most this many inks.
    #[arg(long)]
    limit: Option<usize>,
    /// Longest pause kept between two points, in milliseconds of ink time (longer ones are cut).
    #[arg(long, default_value_t = 1000.0)]
    max_gap: f64,
    /// Pause after each ink, in milliseconds of wall time.
    #[arg(long, default_value_t = 1500)]
    hold: u64,
    /// Canvas width in character cells (2 dots each).
    #[arg(long, default_value_t = 64)]
    cols: usize,
    /// Canvas height in character cells (4 dots each).
    #[arg(long, default_value_t = 14)]
    rows: usize,
    /// Print one frame after each stroke, without ANSI escapes, even on a terminal.
    #[arg(long)]
    plain: bool,
    #[command(flatten)]
    recognizer: RecognizerArgs,
}

/// Time between two redraws of the animation.
const FRAME: Duration = Duration::from_millis(33);

/// Runs `inkjot replay`.
pub fn run(args: &ReplayArgs) -> anyhow::Result<()> {
    if !(args.speed == 0.0 || (0.01..=1e6).contains(&args.speed)) {
        bail!("--speed must be 0 (no waiting) or between 0.01 and 1000000");
    }
    if !(0.0..=60_000.0).contains(&args.max_gap) {
        bail!("--max-gap must be between 0 and 60000 ms");
    }
    if !(4..=1000).contains(&args.cols) || !(2..=500).contains(&args.rows) {
        bail!("--cols must be 4 to 1000 and --rows 2 to 500");
    }
    let (recognizer, options) = args.recognizer.load()?;
    let recognizer = Arc::new(recognizer);
    let records = read_ink_file(&args.input, InkLimits::default())
        .with_context(|| format!("cannot read {}", args.input.display()))?;
    let animate = !args.plain && std::io::stdout().is_terminal();
    let mut player = Player {
        args,
        recognizer,
        options: &options,
        animate,
        out: std::io::stdout().lock(),
        latencies_ms: Vec::new(),
        labelled: 0,
        matched: 0,
    };
    let mut inks = 0;
    for record in records
        .skip(args.skip)
        .take(args.limit.unwrap_or(usize::MAX))
    {
        match record {
            Ok(record) => {
                inks += 1;
                player.play(&record, inks)?;
            }
            Err(e) => eprintln!("inkjot: skipping: {e}"),
        }
    }
    if inks == 0 {
        bail!("no readable ink in {}", args.input.display());
    }
    player.summary(inks)
}

/// Plays inks one after another and keeps the totals.
struct Player<'a, W: Write> {
    args: &'a ReplayArgs,
    recognizer: Arc<Recognizer>,
    options: &'a RecognizeOptions,
    animate: bool,
    out: W,
    latencies_ms: Vec<f64>,
    labelled: usize,
    matched: usize,
}

/// What the screen shows while one ink plays.
struct Frame<'a> {
    number: usize,
    record: &'a InkRecord,
    canvas: BrailleCanvas,
    strokes_done: usize,
    ink_ms: f64,
    latency_ms: Option<f64>,
    curves: usize,
    candidates: Vec<Candidate>,
    finished: bool,
}

impl<W: Write> Player<'_, W> {
    fn play(&mut self, record: &InkRecord, number: usize) -> anyhow::Result<()> {
        let strokes = record.ink.strokes();
        let view = Viewport::fit(
            record.ink.bounding_box(),
            self.args.cols * 2,
            self.args.rows * 4,
        );
        // Playback time of every point, in ms of ink time from the first point, pauses capped.
        let mut times: Vec<Vec<f64>> = Vec::with_capacity(strokes.len());
        let (mut clock, mut last_t) = (0.0, None::<f64>);
        for stroke in strokes {
            let mut row = Vec::with_capacity(stroke.points.len());
            for p in &stroke.points {
                if let Some(last) = last_t {
                    clock += (p.t - last).clamp(0.0, self.args.max_gap);
                }
                last_t = Some(p.t);
                row.push(clock);
            }
            times.push(row);
        }
        let session_options = SessionOptions {
            writing_area: self.options.writing_area,
            ..SessionOptions::default()
        };
        let mut session = Session::new(Arc::clone(&self.recognizer), session_options)?;
        let mut frame = Frame {
            number,
            record,
            canvas: BrailleCanvas::new(self.args.cols, self.args.rows),
            strokes_done: 0,
            ink_ms: 0.0,
            latency_ms: None,
            curves: 0,
            candidates: Vec::new(),
            finished: false,
        };
        if self.animate {
            write!(self.out, "\x1b[2J")?;
            self.draw(&frame)?;
        }
        let start = Instant::now();
        let (mut stroke, mut point) = (0, 0);
        let mut last_draw = Instant::now();
        let mut dirty = false;
        while stroke < strokes.len() {
            let now_ms = if self.args.speed == 0.0 {
                f64::INFINITY
            } else {
                start.elapsed().as_secs_f64() * 1e3 * self.args.speed
            };
            // Draw every point that is due; recognize whenever a stroke is complete.
            while stroke < strokes.len() && times[stroke][point] <= now_ms {
                let points = &strokes[stroke].points;
                let here = view.map(points[point].x, points[point].y);
                let from = if point == 0 {
                    here
                } else {
                    view.map(points[point - 1].x, points[point - 1].y)
                };
                frame.canvas.line(from, here);
                frame.ink_ms = times[stroke][point];
                session.add_point(points[point])?;
                dirty = true;
                point += 1;
                if point == points.len() {
                    session.end_stroke();
                    self.show_candidates(&mut frame, &mut session)?;
                    stroke += 1;
                    point = 0;
                    frame.finished = stroke == strokes.len();
                    if !self.animate {
                        self.draw(&frame)?;
                    }
                }
            }
            if self.animate && dirty {
                self.draw(&frame)?;
                last_draw = Instant::now();
                dirty = false;
            }
            if stroke < strokes.len() {
                let due = Duration::from_secs_f64(times[stroke][point] / 1e3 / self.args.speed);
                let next = (start + due).max(last_draw + FRAME);
                std::thread::sleep(next.saturating_duration_since(Instant::now()));
            }
        }
        if let Some(label) = &record.label {
            self.labelled += 1;
            if frame.candidates.first().is_some_and(|c| &c.text == label) {
                self.matched += 1;
            }
        }
        std::thread::sleep(Duration::from_millis(self.args.hold));
        Ok(())
    }

    /// Asks the session for its candidates after a stroke and records the latency.
    fn show_candidates(&mut self, frame: &mut Frame, session: &mut Session) -> anyhow::Result<()> {
        let begin = Instant::now();
        let result = session.candidates(self.options)?;
        let latency = begin.elapsed().as_secs_f64() * 1e3;
        self.latencies_ms.push(latency);
        frame.latency_ms = Some(latency);
        frame.curves = result.curves;
        frame.candidates = result.candidates;
        frame.strokes_done = session.stroke_count();
        Ok(())
    }

    fn draw(&mut self, frame: &Frame) -> anyhow::Result<()> {
        let text = render_frame(frame, self.options.nbest);
        if self.animate {
            let mut screen = String::from("\x1b[H");
            for line in text.lines() {
                let _ = write!(screen, "{line}\x1b[K\r\n");
            }
            screen.push_str("\x1b[J");
            self.out.write_all(screen.as_bytes())?;
        } else {
            writeln!(self.out, "{text}")?;
        }
        self.out.flush()?;
        Ok(())
    }

    fn summary(&mut self, inks: usize) -> anyhow::Result<()> {
        let n = self.latencies_ms.len().max(1) as f64;
        let mean = self.latencies_ms.iter().sum::<f64>() / n;
        let max = self.latencies_ms.iter().copied().fold(0.0, f64::max);
        writeln!(
            self.out,
            "replayed {inks} ink{}; top candidate = label for {} of {}; \
             latency mean {mean:.2} ms, max {max:.2} ms ({} strokes)",
            if inks == 1 { "" } else { "s" },
            self.matched,
            self.labelled,
            self.latencies_ms.len()
        )?;
        self.out.flush()?;
        Ok(())
    }
}

/// The text of one frame: a title, the canvas in a box, and the candidates (always `nbest` lines,
/// so that redrawing in place leaves nothing behind).
fn render_frame(frame: &Frame, nbest: usize) -> String {
    let record = frame.record;
    let total = record.ink.strokes().len();
    let mut text = String::new();
    let label = record
        .label
        .as_deref()
        .map_or(String::new(), |l| format!("  label “{}”", printable(l)));
    let _ = writeln!(
        text,
        "ink {}  {}{}",
        frame.number,
        printable(&record.id),
        label
    );
    let width = frame.canvas.cols;
    let _ = writeln!(text, "┌{}┐", "─".repeat(width));
    for line in frame.canvas.lines() {
        let _ = writeln!(text, "│{line}│");
    }
    let _ = writeln!(text, "└{}┘", "─".repeat(width));
    let status = match frame.latency_ms {
        Some(ms) => format!(
            "stroke {}/{}  t {:.2} s  recognized in {:.2} ms ({} curves)",
            frame.strokes_done,
            total,
            frame.ink_ms / 1e3,
            ms,
            frame.curves
        ),
        None => format!("stroke 0/{total}  t {:.2} s", frame.ink_ms / 1e3),
    };
    let _ = writeln!(text, "{status}");
    for rank in 0..nbest {
        match frame.candidates.get(rank) {
            Some(c) => {
                let _ = writeln!(
                    text,
                    " {:>2}. {:<24} {:>8.3}  {:>5.1}%",
                    rank + 1,
                    visible_ends(&printable(&c.text)),
                    c.score,
                    100.0 * f64::from(c.score).exp()
                );
            }
            None => text.push('\n'),
        }
    }
    let verdict = match (&record.label, frame.finished, frame.candidates.first()) {
        (Some(label), true, Some(best)) if &best.text == label => "✓ top candidate = label",
        (Some(_), true, _) => "✗ top candidate ≠ label",
        _ => "",
    };
    let _ = write!(text, "{verdict}");
    text
}

/// `s` with control characters replaced, so that file contents cannot move the cursor.
fn printable(s: &str) -> String {
    s.chars()
        .map(|c| if c.is_control() { '�' } else { c })
        .collect()
}

/// `s` with leading and trailing spaces shown as `␣`, so that candidates differing only there
/// can be told apart.
fn visible_ends(s: &str) -> String {
    let inner = s.trim_matches(' ');
    if inner.len() == s.len() {
        return s.to_string();
    }
    let lead = s.len() - s.trim_start_matches(' ').len();
    let trail = s.len() - s.trim_end_matches(' ').len();
    if inner.is_empty() {
        return "␣".repeat(s.len());
    }
    format!("{}{inner}{}", "␣".repeat(lead), "␣".repeat(trail))
}

/// Braille dot bits by row (0..4) and column (0..2) within a cell, after Unicode's dot numbering.
const DOT_BITS: [[u8; 2]; 4] = [[0x01, 0x08], [0x02, 0x10], [0x04, 0x20], [0x40, 0x80]];

/// A grid of character cells, each a 2×4 block of braille dots: `cols * 2` by `rows * 4` dots,
/// (0, 0) at the top left.
#[derive(Debug, Clone, PartialEq)]
pub struct BrailleCanvas {
    cols: usize,
    rows: usize,
    cells: Vec<u8>,
}

impl BrailleCanvas {
    /// An empty canvas of `cols` × `rows` character cells.
    pub fn new(cols: usize, rows: usize) -> Self {
        BrailleCanvas {
            cols,
            rows,
            cells: vec![0; cols * rows],
        }
    }

    /// Sets the dot at (`x`, `y`); dots outside the canvas are ignored.
    pub fn set(&mut self, x: i64, y: i64) {
        let (Ok(x), Ok(y)) = (usize::try_from(x), usize::try_from(y)) else {
            return;
        };
        if x < self.cols * 2 && y < self.rows * 4 {
            self.cells[(y / 4) * self.cols + x / 2] |= DOT_BITS[y % 4][x % 2];
        }
    }

    /// Sets the dots of the straight line from `a` to `b`, both ends included (Bresenham).
    pub fn line(&mut self, a: (i64, i64), b: (i64, i64)) {
        let (mut x, mut y) = a;
        let (dx, dy) = ((b.0 - x).abs(), -(b.1 - y).abs());
        let (sx, sy) = (if x < b.0 { 1 } else { -1 }, if y < b.1 { 1 } else { -1 });
        let mut err = dx + dy;
        loop {
            self.set(x, y);
            if (x, y) == b {
                break;
            }
            let e2 = 2 * err;
            if e2 >= dy {
                err += dy;
                x += sx;
            }
            if e2 <= dx {
                err += dx;
                y += sy;
            }
        }
    }

    /// The canvas as text, one string per row of cells; empty cells are spaces.
    pub fn lines(&self) -> Vec<String> {
        self.cells
            .chunks(self.cols)
            .map(|row| {
                row.iter()
                    .map(|&bits| match bits {
                        0 => ' ',
                        _ => char::from_u32(0x2800 + u32::from(bits)).unwrap_or(' '),
                    })
                    .collect()
            })
            .collect()
    }
}

/// Maps ink coordinates onto a canvas of dots: uniform scale, centred, aspect ratio kept.
#[derive(Debug, Clone, Copy, PartialEq)]
struct Viewport {
    scale: f64,
    offset: (f64, f64),
}

impl Viewport {
    /// The largest uniform scaling of `bbox` onto `width` × `height` dots, centred.
    fn fit(bbox: BoundingBox, width: usize, height: usize) -> Self {
        let (w, h) = (bbox.width(), bbox.height());
        let (room_x, room_y) = ((width.max(1) - 1) as f64, (height.max(1) - 1) as f64);
        let scale = match (w > 0.0, h > 0.0) {
            (true, true) => (room_x / w).min(room_y / h),
            (true, false) => room_x / w,
            (false, true) => room_y / h,
            (false, false) => 1.0,
        };
        Viewport {
            scale,
            offset: (
                (room_x - w * scale) / 2.0 - bbox.min_x * scale,
                (room_y - h * scale) / 2.0 - bbox.min_y * scale,
            ),
        }
    }

    /// The dot nearest to ink point (`x`, `y`).
    fn map(&self, x: f64, y: f64) -> (i64, i64) {
        (
            (x * self.scale + self.offset.0).round() as i64,
            (y * self.scale + self.offset.1).round() as i64,
        )
    }
}

#[cfg(test)]
mod tests {
    use super::*;
    use inkjot::ink::{Ink, Point, Stroke};

    #[test]
    fn dots_follow_unicode_numbering() {
        let mut canvas = BrailleCanvas::new(2, 1);
        canvas.set(0, 0); // dot 1
        canvas.set(1, 3); // dot 8
        canvas.set(3, 2); // second cell, dot 6
        canvas.set(-1, 0); // outside: ignored
        canvas.set(4, 0);
        canvas.set(0, 4);
        assert_eq!(canvas.lines(), vec!["\u{2881}\u{2820}".to_string()]);
        let mut full = BrailleCanvas::new(1, 1);
        full.line((0, 0), (0, 3));
        assert_eq!(full.lines(), vec!["⡇"]);
        full.line((1, 0), (1, 3));
        assert_eq!(full.lines(), vec!["⣿"]);
    }

    #[test]
    fn lines_are_rasterized_without_gaps() {
        let mut canvas = BrailleCanvas::new(2, 1);
        canvas.line((0, 0), (3, 0));
        assert_eq!(canvas.lines(), vec!["⠉⠉"]);
        // Either direction gives the same dots.
        let mut a = BrailleCanvas::new(5, 3);
        let mut b = BrailleCanvas::new(5, 3);
        a.line((0, 1), (9, 10));
        b.line((9, 10), (0, 1));
        assert_eq!(a, b);
        assert_eq!(a.cells.iter().map(|c| c.count_ones()).sum::<u32>(), 10);
    }

    #[test]
    fn text_is_made_safe_to_print() {
        assert_eq!(printable("a\x1b[2Jb\n"), "a�[2Jb�");
        assert_eq!(visible_ends("to do "), "to do␣");
        assert_eq!(visible_ends(" "), "␣");
        assert_eq!(visible_ends("word"), "word");
    }

    #[test]
    fn an_ink_is_scaled_to_fit_and_centred() {
        // A diagonal stroke on a square 8 × 8-dot canvas touches both corners.
        let stroke = Stroke {
            points: vec![
                Point {
                    x: 10.0,
                    y: 20.0,
                    t: 0.0,
                },
                Point {
                    x: 110.0,
                    y: 120.0,
                    t: 10.0,
                },
            ],
        };
        let ink = Ink::new(vec![stroke], &InkLimits::default()).unwrap();
        let view = Viewport::fit(ink.bounding_box(), 8, 8);
        let mut canvas = BrailleCanvas::new(4, 2);
        let p = &ink.strokes()[0].points;
        canvas.line(view.map(p[0].x, p[0].y), view.map(p[1].x, p[1].y));
        assert_eq!(canvas.lines(), vec!["⠑⢄  ", "  ⠑⢄"]);

        // A flat ink keeps its aspect ratio: a horizontal line through the middle.
        let bbox = |min_x, min_y, max_x, max_y| BoundingBox {
            min_x,
            min_y,
            max_x,
            max_y,
        };
        let view = Viewport::fit(bbox(0.0, 5.0, 100.0, 5.0), 8, 8);
        assert_eq!(view.map(0.0, 5.0), (0, 4));
        assert_eq!(view.map(100.0, 5.0), (7, 4));
        // A single point lands in the centre.
        let view = Viewport::fit(bbox(3.0, 3.0, 3.0, 3.0), 8, 8);
        assert_eq!(view.map(3.0, 3.0), (4, 4));
    }
}
