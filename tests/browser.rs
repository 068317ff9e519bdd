//! The HTML report looked at in a real browser: headless Chromium, driven
//! through chromedriver's W3C WebDriver HTTP API, loads a report of a run
//! with a variant and a grid sweep; the page must finish loading with no
//! error in the browser's log, and every figure (and every chart in it)
//! must have a non-zero size on the page and something drawn. A full-page
//! screenshot is saved as target/report-screenshot.png for a human to look
//! at.
//!
//! Needs Debian's `chromium` and `chromium-driver` (`.ci/run` installs them
//! and sets GOODHART_REQUIRE_BROWSER=1). Where they are missing the test is
//! compiled as ignored, with the reason (build.rs); when required, a
//! missing piece fails it. chromedriver listens on a free local port (it
//! accepts only local connections); the test stops it, and the Chromium it
//! started, by pid whatever happens.

mod common;
#[path = "browser/webdriver.rs"]
mod webdriver;
use common::ok;
use webdriver::{CHROMEDRIVER, CHROMIUM, Driver, missing};

use serde_json::{Value, json};
use std::fs;
use std::path::Path;
use std::time::Instant;

const RUN: &str = r#"
name = "fixture"
description = "A small run with a variant and a lever ramped up and down."
[run]
replicates = 2
[organisation]
employees = 200
weeks = 8
[policy]
adoption_target = 0.8
leaderboard = "org"
[[timeline]]
from = 0
to = 3
audit_rate = [0.0, 0.4]
[[timeline]]
from = 4
to = 7
audit_rate = [0.4, 0.0]
[variants.no-board]
leaderboard = "none"
"#;

const GRID: &str = r#"
name = "grid-fixture"
[organisation]
employees = 200
weeks = 8
[policy]
adoption_target = 0.8
leaderboard = "org"
[sweep]
design = "grid"
replicates = 2
[sweep.parameters]
adoption_target = [0.0, 0.9]
leaderboard = ["none", "org"]
"#;

/// What the page looks like to the browser once loaded: every figure's box
/// and the charts in it (top-level <svg> and <img> elements), and those
/// outside any figure. An SVG counts as drawn when its content has a
/// non-empty bounding box; an image when it decoded.
const INSPECT: &str = r#"
const box = e => { const r = e.getBoundingClientRect(); return {w: r.width, h: r.height}; };
const graphic = g => {
  if (g.tagName.toLowerCase() === 'img') {
    return Object.assign(box(g), {tag: 'img', drawn: g.complete && g.naturalWidth > 0});
  }
  let b = {width: 0, height: 0};
  try { b = g.getBBox(); } catch (e) {}
  return Object.assign(box(g), {tag: 'svg', drawn: b.width > 0 && b.height > 0});
};
const top = [...document.querySelectorAll('svg, img')]
  .filter(e => !(e.parentElement && e.parentElement.closest('svg')));
return {
  readyState: document.readyState,
  title: document.title,
  headings: [...document.querySelectorAll('h1, h2, h3')].map(h => h.textContent.trim()),
  numbersRight: [...document.querySelectorAll('td.num')].every(td => getComputedStyle(td).textAlign === 'right'),
  numbers: document.querySelectorAll('td.num').length,
  figures: [...document.querySelectorAll('figure')].map(f => Object.assign(box(f), {
    caption: (f.querySelector('figcaption') || {textContent: ''}).textContent.trim(),
    graphics: top.filter(g => f.contains(g)).map(graphic),
  })),
  loose: top.filter(g => !g.closest('figure')).map(graphic),
  page: {
    w: document.documentElement.scrollWidth,
    h: document.documentElement.scrollHeight,
    viewport: window.innerWidth,
  },
};
"#;

/// Page objects in a PDF: "/Type /Page" (or "/Type/Page") not followed
/// by "s" (the page tree).
fn pdf_pages(pdf: &[u8]) -> usize {
    [&b"/Type /Page"[..], &b"/Type/Page"[..]]
        .iter()
        .map(|pat| {
            pdf.windows(pat.len() + 1)
                .filter(|w| w.starts_with(pat) && w[pat.len()] != b's')
                .count()
        })
        .sum()
}

fn num(v: &Value) -> f64 {
    v.as_f64().unwrap_or(0.0)
}

/// Checks one chart as the browser laid it out.
fn check_graphic(g: &Value, place: &str) {
    assert!(
        num(&g["w"]) > 0.0 && num(&g["h"]) > 0.0,
        "{place}: a {} of size {}x{} on the page",
        g["tag"],
        g["w"],
        g["h"]
    );
    assert!(
        g["drawn"] == json!(true),
        "{place}: the browser drew nothing for its {}",
        g["tag"]
    );
}

/// Checks the full-page screenshot: a PNG as wide as the page and at least
/// one screen high, and not blank.
fn check_screenshot(png: &[u8], page_width: f64) -> (u32, u32) {
    let img = image::load_from_memory_with_format(png, image::ImageFormat::Png)
        .expect("the screenshot is a PNG")
        .to_rgb8();
    let (w, h) = img.dimensions();
    assert!(
        (f64::from(w) - page_width).abs() <= 1.0 && h >= 1000,
        "screenshot of {w}x{h} for a page {page_width} wide"
    );
    let total = f64::from(w) * f64::from(h);
    let ink = img.pixels().filter(|p| p.0 != [255, 255, 255]).count() as f64;
    assert!(ink / total > 0.01, "the screenshot is nearly blank");
    let mut colours: Vec<[u8; 3]> = img.pixels().map(|p| p.0).collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(colours.len() > 16, "{} colours only", colours.len());
    (w, h)
}

#[test]
#[cfg_attr(
    chromium_unavailable,
    ignore = "needs headless Chromium (Debian's chromium and chromium-driver); .ci/run installs them and sets GOODHART_REQUIRE_BROWSER=1"
)]
fn report_loads_in_chromium_without_errors_and_every_figure_has_a_size() {
    for p in [CHROMIUM, CHROMEDRIVER] {
        if !Path::new(p).exists() {
            missing(&format!(
                "{p} is missing (Debian packages chromium and chromium-driver)"
            ));
        }
    }
    let started = Instant::now();
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fs::write(d.join("run.toml"), RUN).unwrap();
    fs::write(d.join("grid.toml"), GRID).unwrap();
    ok(d, &["run", "run.toml", "--quiet", "--no-charts"]);
    ok(d, &["sweep", "grid.toml", "--quiet", "--no-charts"]);
    ok(
        d,
        &[
            "report",
            "output/fixture",
            "output/grid-fixture",
            "--out",
            "reports/all.html",
        ],
    );
    let report = d.join("reports/all.html");
    let source = fs::read_to_string(&report).unwrap();
    let made = started.elapsed();

    let mut driver = Driver::start(&d.join("browser"));
    driver.open_session();
    driver.command(
        "POST",
        "/url",
        json!({"url": format!("file://{}", report.display())}),
    );
    let page = driver.command(
        "POST",
        "/execute/sync",
        json!({"script": INSPECT, "args": []}),
    );
    let log = driver.command("POST", "/se/log", json!({"type": "browser"}));
    let (png, page_width, _) = driver.full_page_png();
    // The browser's print dialog, as WebDriver's print command: A4 pages
    // laid out with the report's print styles.
    let pdf = driver.command("POST", "/print", json!({"background": true}));
    drop(driver);

    // Save the screenshot first, so a failure below can be looked at.
    let target = Path::new(env!("CARGO_TARGET_TMPDIR"))
        .parent()
        .expect("the target directory");
    let shot_path = target.join("report-screenshot.png");
    fs::write(&shot_path, &png).unwrap();
    use base64::Engine as _;
    let pdf = base64::engine::general_purpose::STANDARD
        .decode(pdf.as_str().expect("print returns the PDF as base64"))
        .expect("base64");
    fs::write(target.join("report.pdf"), &pdf).unwrap();
    assert!(pdf.starts_with(b"%PDF"), "print did not give a PDF");
    let pages = pdf_pages(&pdf);

    assert_eq!(
        page["readyState"],
        json!("complete"),
        "the page did not load"
    );
    let errors: Vec<&Value> = log
        .as_array()
        .expect("a list of log entries")
        .iter()
        .filter(|e| e["level"] == json!("SEVERE"))
        .collect();
    assert!(
        errors.is_empty(),
        "errors in the browser's log: {errors:#?}"
    );
    let title = page["title"].as_str().unwrap_or("");
    assert!(title.contains("fixture"), "the page's title is {title:?}");
    let headings: Vec<&str> = page["headings"]
        .as_array()
        .unwrap()
        .iter()
        .filter_map(Value::as_str)
        .collect();
    assert!(
        headings.iter().any(|h| h.contains("grid-fixture"))
            && headings
                .iter()
                .any(|h| h.contains("fixture") && !h.contains("grid-fixture")),
        "a section heading per result directory expected, not {headings:?}"
    );
    for h in [
        "Summary",
        "Method",
        "Limitations",
        "Glossary of metrics",
        "Appendix",
    ] {
        assert!(headings.contains(&h), "no {h:?} heading in {headings:?}");
    }
    assert!(
        page["numbers"].as_u64().unwrap_or(0) > 20 && page["numbersRight"] == json!(true),
        "numbers in tables must be right-aligned: {} number cells",
        page["numbers"]
    );
    // Two sections each start a page in print, and the charts do not fit
    // on one page: a report of several A4 pages.
    assert!(pages >= 3, "the printed report has {pages} pages");

    let figures = page["figures"].as_array().unwrap();
    assert_eq!(
        figures.len(),
        source.matches("<figure").count(),
        "the browser sees another number of figures than the file has"
    );
    assert!(figures.len() >= 8, "only {} figures", figures.len());
    for (i, f) in figures.iter().enumerate() {
        let place = format!("figure {} ({})", i + 1, f["caption"]);
        assert!(
            num(&f["w"]) > 0.0 && num(&f["h"]) > 0.0,
            "{place} has size {}x{} on the page",
            f["w"],
            f["h"]
        );
        let graphics = f["graphics"].as_array().unwrap();
        assert!(!graphics.is_empty(), "{place} holds no chart");
        for g in graphics {
            check_graphic(g, &place);
        }
    }
    for g in page["loose"].as_array().unwrap() {
        check_graphic(g, "a chart outside any figure");
    }

    let (w, h) = check_screenshot(&png, page_width);
    eprintln!(
        "report in Chromium: {} figures, page {}x{} (window {} wide); screenshot {w}x{h} in {}; printed as {pages} A4 pages (report.pdf beside it); report made in {:.1} s, looked at in {:.1} s",
        figures.len(),
        page["page"]["w"],
        page["page"]["h"],
        page["page"]["viewport"],
        shot_path.display(),
        made.as_secs_f64(),
        (started.elapsed() - made).as_secs_f64()
    );
}
