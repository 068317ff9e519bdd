//! The charts and the report section of an exploration, drawn by the real
//! binary from a tiny exploration: every chart is a PNG and a well-formed
//! SVG with no text below 7 pt at 16 cm, and `goodhart report` writes the
//! summary sentence and the robustness table.

mod common;
use common::ok;

use std::fs;
use std::path::Path;

/// Two policies, twelve worlds, two uncertainties; discovery examines the
/// board policy, which fails in many worlds.
const TINY: &str = r#"
name = "explore-charts"
description = "Which of two policies keeps performative use low across workforces?"
[run]
seed = 11
[organisation]
employees = 200
weeks = 8
[policy]
adoption_target = 0.8
leaderboard = "org"
assurance = 1.0
true_eval_weight = 0.1
[variants.no-board]
leaderboard = "none"
[explore]
worlds = 12
replicates = 1
[explore.uncertainties]
status_drive = [0.5, 2.0]
gaming_aversion = [0.2, 1.5]
[[explore.objectives]]
metric = "performative_share"
sense = "minimise"
threshold = 0.05
[[explore.objectives]]
metric = "net_value_usd"
sense = "maximise"
[explore.discovery]
policy = "base"
fail = "performative_share > 0.1"
density = 0.5
"#;

fn explore(tmp: &Path) -> std::path::PathBuf {
    let f = tmp.join("s.toml");
    fs::write(&f, TINY).unwrap();
    ok(
        tmp,
        &["explore", f.to_str().unwrap(), "--out", "ex", "--quiet"],
    );
    tmp.join("ex")
}

fn check_svg(path: &Path) {
    let text = fs::read_to_string(path).unwrap();
    let doc =
        roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.attribute("width"), Some("1600"));
    assert_eq!(root.attribute("height"), Some("1000"));
    let smallest = root
        .descendants()
        .filter_map(|n| n.attribute("font-size"))
        .filter_map(|f| f.trim_end_matches("px").parse::<f64>().ok())
        .fold(f64::INFINITY, f64::min);
    assert!(
        smallest >= 7.0 / 72.0 * 2.54 * 100.0,
        "{}: text of {smallest:.1} px is below 7 pt at 16 cm",
        path.display()
    );
    let texts = root
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .count();
    assert!(texts > 10, "{} has only {texts} texts", path.display());
}

#[test]
fn an_exploration_gets_its_charts_and_a_report_section() {
    let tmp = tempfile::tempdir().unwrap();
    let dir = explore(tmp.path());
    let charts = dir.join("charts");
    let mut stems = vec!["explore_outcomes", "explore_regret", "explore_satisficing"];
    let trajectory = fs::read_to_string(dir.join("discovery_trajectory.csv")).unwrap();
    if trajectory.lines().count() > 1 {
        stems.push("explore_discovery");
    }
    for stem in &stems {
        let png = charts.join(format!("{stem}.png"));
        let img = image::open(&png)
            .unwrap_or_else(|e| panic!("{}: {e}", png.display()))
            .to_rgb8();
        assert_eq!(img.dimensions(), (1600, 1000));
        check_svg(&charts.join(format!("{stem}.svg")));
    }
    let svg = fs::read_to_string(charts.join("explore_outcomes.svg")).unwrap();
    assert!(svg.contains("10th-90th percentile"), "whiskers not named");

    let out = tmp.path().join("report.html");
    ok(
        tmp.path(),
        &[
            "report",
            dir.to_str().unwrap(),
            "--out",
            out.to_str().unwrap(),
        ],
    );
    let html = fs::read_to_string(&out).unwrap();
    roxmltree::Document::parse_with_options(
        &html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .expect("the report is well-formed XML");
    assert!(
        html.contains("Across 12 sampled worlds,")
            && html.contains("is the most robust of the 2 policies"),
        "no summary sentence"
    );
    assert!(
        html.contains("Robustness of each policy over 12 worlds, most robust first"),
        "no robustness table"
    );
    assert!(html.contains("Meets every threshold: share of worlds [95% CI]"));
    assert!(html.contains("no-board"));
    assert!(html.contains("common random numbers"));
    assert!(html.contains("explore_satisficing") || html.contains("share of 12 worlds"));
}
