//! The explorer's latency in a real browser: `goodhart serve` on the
//! shipped amazon-2026 scenario (1,000 employees x 52 weeks x 5 replicates
//! x 3 arms), headless Chromium driven through chromedriver's WebDriver
//! API, and a number of adoption-target slider moves, each waited for
//! until the page shows its result. Prints p50 and p95 of the page's own
//! timer (from the request to the charts painted) with where the time went
//! (the server's answer, reading the JSON, building tables and charts,
//! layout and paint), and of the slider move to the result as WebDriver
//! sees it (which adds the page's debounce and a WebDriver round trip).
//!
//! Run with `cargo bench --bench explorer` (a release build), optionally
//! `-- MOVES` (default 30). A benchmark reports figures and fails no test;
//! where Debian's chromium or chromium-driver is missing it says so and
//! measures nothing.

#[path = "../tests/browser/webdriver.rs"]
#[allow(dead_code)]
mod webdriver;

use serde_json::{Value, json};
use std::io::BufRead;
use std::path::Path;
use std::process::{Command, Stdio};
use std::time::{Duration, Instant};
use webdriver::{CHROMEDRIVER, CHROMIUM, Driver};

/// The explorer started on the shipped amazon-2026 scenario; killed on drop.
struct Server {
    child: std::process::Child,
    url: String,
}

impl Drop for Server {
    fn drop(&mut self) {
        let _ = self.child.kill();
        let _ = self.child.wait();
    }
}

fn start_server() -> Server {
    let scenario = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/amazon-2026.toml");
    let mut child = Command::new(env!("CARGO_BIN_EXE_goodhart"))
        .arg("serve")
        .arg(&scenario)
        .args(["--port", "0"])
        .stdout(Stdio::piped())
        .stderr(Stdio::null())
        .spawn()
        .expect("goodhart serve starts");
    let mut line = String::new();
    std::io::BufReader::new(child.stdout.take().expect("its stdout"))
        .read_line(&mut line)
        .expect("goodhart serve prints its URL");
    let url = line
        .split_whitespace()
        .find(|w| w.starts_with("http://"))
        .unwrap_or_else(|| panic!("no URL in {line:?}"))
        .to_string();
    Server { child, url }
}

fn script(driver: &Driver, js: &str) -> Value {
    driver.command("POST", "/execute/sync", json!({"script": js, "args": []}))
}

fn generation(driver: &Driver) -> u64 {
    script(
        driver,
        "return Number(document.body.dataset.generation || 0);",
    )
    .as_u64()
    .unwrap_or(0)
}

/// Waits until the page shows a result newer than number `g`. The page
/// itself waits (a MutationObserver on its generation attribute), so the
/// benchmark does not load the 2-core machine with WebDriver polls.
fn wait_beyond(driver: &Driver, g: u64) {
    let started = Instant::now();
    driver.command(
        "POST",
        "/execute/async",
        json!({"script": "const g = arguments[0], done = arguments[arguments.length - 1]; \
            const now = () => Number(document.body.dataset.generation || 0); \
            if (now() > g) { done(); return; } \
            new MutationObserver((_, o) => { if (now() > g) { o.disconnect(); done(); } }) \
              .observe(document.body, {attributes: true});", "args": [g]}),
    );
    assert!(
        started.elapsed() < Duration::from_secs(60),
        "the page showed no new result"
    );
}

/// The nearest-rank quantile `p` of sorted `xs`.
fn quantile(xs: &[f64], p: f64) -> f64 {
    xs[((xs.len() - 1) as f64 * p).round() as usize]
}

fn main() {
    let moves: usize = std::env::args()
        .skip(1)
        .find_map(|a| a.parse().ok())
        .unwrap_or(30);
    for p in [CHROMIUM, CHROMEDRIVER] {
        if !Path::new(p).exists() {
            println!(
                "explorer bench skipped: {p} is missing (Debian packages chromium and chromium-driver)"
            );
            return;
        }
    }
    let scratch = tempfile::tempdir().expect("a scratch directory");
    let server = start_server();
    let mut driver = Driver::start(scratch.path());
    driver.open_session();
    driver.command("POST", "/url", json!({"url": server.url}));
    wait_beyond(&driver, 0);

    let parts = [
        "total", "answer", "parse", "render", "paint", "simulate", "server",
    ];
    let mut timings: Vec<Vec<f64>> = vec![Vec::new(); parts.len()];
    let mut wall = Vec::new();
    for i in 0..moves {
        let g = generation(&driver);
        let moved = Instant::now();
        script(
            &driver,
            &format!(
                "const s = document.getElementById('slider-adoption_target'); s.value = '{:.2}'; s.dispatchEvent(new Event('input', {{bubbles: true}})); return 0;",
                0.5 + 0.4 * i as f64 / moves as f64
            ),
        );
        wait_beyond(&driver, g);
        wall.push(moved.elapsed().as_secs_f64() * 1e3);
        let t: Value = serde_json::from_str(
            script(&driver, "return document.body.dataset.timing;")
                .as_str()
                .expect("the page's timing"),
        )
        .expect("the timing is JSON");
        for (k, name) in parts.iter().enumerate() {
            timings[k].push(t[name].as_f64().unwrap_or(f64::NAN));
        }
    }
    drop(driver);
    for xs in timings.iter_mut().chain([&mut wall]) {
        xs.sort_by(f64::total_cmp);
    }
    println!(
        "explorer in Chromium: amazon-2026, 1000 employees x 52 weeks x 5 replicates x 3 arms, {moves} slider moves (CPU: {}, {} threads)",
        goodhart::bench::cpu_model(),
        std::thread::available_parallelism().map_or(1, |n| n.get())
    );
    println!("{:<44} {:>8} {:>8}", "", "p50 ms", "p95 ms");
    let labels = [
        "request to charts on screen (page's timer)",
        "  the server's answer (headers received)",
        "  reading the JSON",
        "  building tables and charts",
        "  layout and paint to the next frame",
        "  of the answer: simulation",
        "  of the answer: server work in all",
    ];
    for (label, xs) in labels.iter().zip(&timings) {
        println!(
            "{label:<44} {:>8.1} {:>8.1}",
            quantile(xs, 0.5),
            quantile(xs, 0.95)
        );
    }
    println!(
        "{:<44} {:>8.1} {:>8.1}",
        "slider input to result seen by WebDriver",
        quantile(&wall, 0.5),
        quantile(&wall, 0.95)
    );
}
