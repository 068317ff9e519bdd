//! The explorer in a real browser: `goodhart serve` with headless Chromium
//! driven through chromedriver's WebDriver API. The page loads and shows
//! a result; moving the adoption-target slider recomputes it (the numbers
//! change); the scenario the page would download, run with `goodhart run`,
//! gives exactly the numbers the page shows; a refused value shows its
//! message next to its field and leaves the last result. A screenshot is
//! saved as target/explorer-screenshot.png.
//!
//! Skipped visibly (ignored, with the reason) where Debian's chromium or
//! chromium-driver is missing; GOODHART_REQUIRE_BROWSER=1 (set by .ci/run)
//! makes a missing piece a failure.

mod common;
#[path = "browser/webdriver.rs"]
mod webdriver;
use common::ok;
use webdriver::{CHROMEDRIVER, CHROMIUM, Driver, missing};

use serde_json::{Value, json};
use std::path::Path;
use std::time::{Duration, Instant};

const SCENARIO: &str = r#"
name = "explorer-fixture"
description = "A target with an org-wide board, and the same without the board."
[run]
replicates = 3
seed = 9
[organisation]
employees = 300
weeks = 12
[policy]
adoption_target = 0.8
leaderboard = "org"
[variants.no-board]
leaderboard = "none"
"#;

/// Waits until the page shows result number `generation` or later.
fn wait_for(driver: &Driver, generation: u64) -> u64 {
    let deadline = Instant::now() + Duration::from_secs(60);
    loop {
        let g = driver.command(
            "POST",
            "/execute/sync",
            json!({"script": "return Number(document.body.dataset.generation || 0);", "args": []}),
        );
        let g = g.as_u64().unwrap_or(0);
        if g >= generation {
            return g;
        }
        assert!(
            Instant::now() < deadline,
            "the page showed no result {generation}"
        );
        std::thread::sleep(Duration::from_millis(100));
    }
}

/// The last-week means the page shows, per (metric, arm) cell.
fn shown(driver: &Driver) -> Vec<(String, f64)> {
    let v = driver.command(
        "POST",
        "/execute/sync",
        json!({"script": "return [...document.querySelectorAll('td[id^=final-]')].map(td => [td.id, td.dataset.value]);", "args": []}),
    );
    v.as_array()
        .unwrap()
        .iter()
        .map(|c| {
            (
                c[0].as_str().unwrap().to_string(),
                c[1].as_str().unwrap().parse::<f64>().unwrap_or(f64::NAN),
            )
        })
        .collect()
}

#[test]
#[cfg_attr(
    chromium_unavailable,
    ignore = "needs headless Chromium (Debian's chromium and chromium-driver); .ci/run installs them and sets GOODHART_REQUIRE_BROWSER=1"
)]
fn moving_a_slider_recomputes_and_the_download_reproduces_the_page() {
    for p in [CHROMIUM, CHROMEDRIVER] {
        if !Path::new(p).exists() {
            missing(&format!(
                "{p} is missing (Debian packages chromium and chromium-driver)"
            ));
        }
    }
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    std::fs::write(d.join("s.toml"), SCENARIO).unwrap();
    let server = common::serve(d, "s.toml");
    let url = format!("http://{}/", server.addr);

    let mut driver = Driver::start(&d.join("browser"));
    driver.open_session();
    driver.command("POST", "/url", json!({"url": url}));
    let first = wait_for(&driver, 1);
    let before = shown(&driver);
    assert!(before.len() >= 10, "{before:?}");

    // Move the slider: as a user's drag does, set its value and fire input.
    let moved = Instant::now();
    driver.command(
        "POST",
        "/execute/sync",
        json!({"script": "const s = document.getElementById('slider-adoption_target'); s.value = '0.3'; s.dispatchEvent(new Event('input', {bubbles: true})); return s.value;", "args": []}),
    );
    wait_for(&driver, first + 1);
    let answered = moved.elapsed();
    let after = shown(&driver);
    let share = |cells: &[(String, f64)]| {
        cells
            .iter()
            .find(|(id, _)| id == "final-performative_share-base")
            .map(|c| c.1)
            .expect("the base arm's performative share")
    };
    assert!(
        share(&after) < share(&before),
        "a lower target must lower performative share: {} then {}",
        share(&before),
        share(&after)
    );

    // The scenario the page downloads, run by goodhart run.
    let toml = driver.command(
        "POST",
        "/execute/async",
        json!({"script": "const done = arguments[arguments.length - 1]; fetch('/api/scenario', {method: 'POST', headers: {'Content-Type': 'application/json'}, body: requestBody()}).then(r => r.text()).then(done);", "args": []}),
    );
    let toml = toml.as_str().expect("the scenario text");
    assert!(toml.contains("adoption_target = 0.3"), "{toml}");
    std::fs::write(d.join("downloaded.toml"), toml).unwrap();
    ok(
        d,
        &[
            "run",
            "downloaded.toml",
            "--out",
            "o",
            "--no-charts",
            "--quiet",
        ],
    );
    for (id, value) in &after {
        let rest = id.trim_start_matches("final-");
        let (metric, arm) = ["-base", "-no-board"]
            .iter()
            .find_map(|a| rest.strip_suffix(a).map(|m| (m, &a[1..])))
            .unwrap_or_else(|| panic!("cell {id}"));
        let xs = common::week_values(&d.join("o/weekly.csv"), 11, arm, metric);
        let mean = xs.iter().sum::<f64>() / xs.len() as f64;
        assert!(
            (value - mean).abs() <= 1e-12 * mean.abs().max(1.0),
            "{id}: the page shows {value}, goodhart run gives {mean}"
        );
    }

    // A refused value: its message beside the field, the result kept.
    driver.command(
        "POST",
        "/execute/sync",
        json!({"script": "const n = document.getElementById('input-adoption_target'); n.value = '7'; n.dispatchEvent(new Event('change', {bubbles: true})); return 0;", "args": []}),
    );
    let deadline = Instant::now() + Duration::from_secs(30);
    let message = loop {
        let v = driver.command(
            "POST",
            "/execute/sync",
            json!({"script": "const b = document.getElementById('param-adoption_target'); return b.classList.contains('bad') ? document.getElementById('err-adoption_target').textContent : '';", "args": []}),
        );
        let m = v.as_str().unwrap_or("").to_string();
        if !m.is_empty() {
            break m;
        }
        assert!(Instant::now() < deadline, "no message next to the field");
        std::thread::sleep(Duration::from_millis(100));
    };
    assert!(message.contains("out of range"), "{message}");
    assert_eq!(shown(&driver), after, "the last good result must stay");

    let (png, _, _) = driver.full_page_png();
    let log = driver.command("POST", "/se/log", json!({"type": "browser"}));
    drop(driver);
    let target = Path::new(env!("CARGO_TARGET_TMPDIR")).parent().unwrap();
    std::fs::write(target.join("explorer-screenshot.png"), &png).unwrap();
    let severe: Vec<&Value> = log
        .as_array()
        .unwrap()
        .iter()
        .filter(|e| {
            e["level"] == json!("SEVERE") && !e["message"].as_str().unwrap_or("").contains("400")
        })
        .collect();
    assert!(
        severe.is_empty(),
        "errors in the browser's log: {severe:#?}"
    );
    eprintln!(
        "explorer in Chromium: slider move answered in {:.0} ms (debug build, 300 employees x 12 weeks x 3 replicates x 2 arms); screenshot in {}",
        answered.as_secs_f64() * 1e3,
        target.join("explorer-screenshot.png").display()
    );
}
