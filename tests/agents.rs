//! `goodhart run --agents`: agents.csv from the real binary (its rows,
//! typed read-back and what it lets one compare), its charts drawn as
//! valid, non-blank PNG and SVG files, and the refusals of bad weeks and
//! bad files.

mod common;
use common::{goodhart, ok, text};

use goodhart::charts::agents::{AgentChart, agent_charts};
use goodhart::charts::{Chart, Format, render};
use goodhart::results::{AgentRow, read_rows};
use std::collections::HashMap;
use std::fs;
use std::path::Path;

/// A target with a leaderboard that is restricted at week 4, and the same
/// organisation without a target (same seeds, so the same employees).
const SCENARIO: &str = r#"
name = "agents-fixture"
[run]
replicates = 3
seed = 11
[organisation]
employees = 300
weeks = 8
[policy]
adoption_target = 0.8
leaderboard = "org"
[[timeline]]
week = 4
leaderboard = "manager"
[variants.no-target]
adoption_target = 0.0
"#;

/// Checks a PNG: right size, not blank, with dark title text at the top.
fn check_png(path: &Path) {
    let img = image::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .to_rgb8();
    assert_eq!(img.dimensions(), (1600, 1000), "{}", path.display());
    let total = (img.width() * img.height()) as f64;
    let ink = img.pixels().filter(|p| p.0 != [255, 255, 255]).count() as f64;
    assert!(ink / total > 0.02, "{} is nearly blank", path.display());
    let mut colours: Vec<[u8; 3]> = img.pixels().map(|p| p.0).collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(colours.len() > 8, "{} has few colours", path.display());
    let dark_in_title = (0..1600)
        .flat_map(|x| (0..50).map(move |y| (x, y)))
        .filter(|&(x, y)| img.get_pixel(x, y).0.iter().all(|&c| c < 80))
        .count();
    assert!(dark_in_title > 500, "{} has no title", path.display());
}

/// Checks an SVG: XML of 1600x1000 with text and shapes.
fn check_svg(path: &Path, title: &str) {
    let text = fs::read_to_string(path).unwrap();
    let doc =
        roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let root = doc.root_element();
    assert_eq!(root.attribute("width"), Some("1600"));
    assert_eq!(root.attribute("height"), Some("1000"));
    let texts: Vec<&str> = root
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .filter_map(|n| n.text())
        .collect();
    assert!(texts.len() > 10, "{}", path.display());
    assert!(
        texts
            .iter()
            .any(|t| t.contains(title.split(':').next().unwrap())),
        "{}",
        path.display()
    );
    assert!(root.descendants().filter(|n| n.is_element()).count() > 50);
}

#[test]
fn agents_csv_has_every_employee_of_the_chosen_weeks_and_its_charts_draw() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fs::write(d.join("s.toml"), SCENARIO).unwrap();
    let o = ok(
        d,
        &[
            "run",
            "s.toml",
            "--out",
            "out",
            "--agents",
            "0,4,last",
            "--no-charts",
        ],
    );
    assert!(text(&o).contains("agents.csv"), "{}", text(&o));
    let dir = d.join("out");
    // 2 arms x 3 replicates x 3 weeks x 300 employees, typed.
    let rows: Vec<AgentRow> = read_rows(&dir.join("agents.csv")).unwrap();
    assert_eq!(rows.len(), 2 * 3 * 3 * 300);
    let header = fs::read_to_string(dir.join("agents.csv")).unwrap();
    assert!(header.starts_with(
        "scenario,variant,replicate,seed,week,employee,team,ability,ai_speedup,productive_intensity,performative_intensity,gaming_aversion,status_drive,conformity,manager_watchfulness,credibility,perceived_surveillance,belief_alpha,belief_beta,habit,stress,manual,productive,performative,measured_tokens,tokens,output\n"
    ));
    let weeks: Vec<usize> = rows.iter().map(|r| r.week).collect();
    assert!(weeks.iter().all(|w| [0, 4, 7].contains(w)));
    let manifest = fs::read_to_string(dir.join("manifest.json")).unwrap();
    assert!(manifest.contains("\"agent_weeks\": [\n    0,\n    4,\n    7\n  ]"));
    assert!(manifest.contains("\"agents.csv\""));

    // Row by row: the same employee (same seed) with and without the
    // target. Employees whom AI slows down lose output under the target.
    let key = |r: &AgentRow| (r.replicate, r.week, r.employee);
    let free: HashMap<_, &AgentRow> = rows
        .iter()
        .filter(|r| r.variant == "no-target")
        .map(|r| (key(r), r))
        .collect();
    let (mut with, mut without, mut n) = (0.0, 0.0, 0);
    for r in rows.iter().filter(|r| r.variant == "base" && r.week == 7) {
        let other = free[&key(r)];
        assert_eq!(
            (r.ability, r.ai_speedup, r.seed),
            (other.ability, other.ai_speedup, other.seed)
        );
        assert!((r.manual + r.productive + r.performative - 1.0).abs() < 1e-12);
        if r.ai_speedup < 0.0 {
            with += r.output;
            without += other.output;
            n += 1;
        }
    }
    assert!(n > 20, "only {n} employees with a negative ai_speedup");
    assert!(
        with < without,
        "under the target {n} slowed employees produce {with}, without it {without}"
    );

    // Every agent chart, as PNG and SVG.
    let charts = agent_charts(&dir).unwrap();
    let stems: Vec<String> = charts.iter().map(Chart::stem).collect();
    assert_eq!(
        stems,
        [
            "agents_tokens",
            "agents_by_ai_speedup",
            "agents_by_status_drive",
            "agents_before_after_week4"
        ]
    );
    // Both arms have the week-4 event (the variant keeps the timeline).
    assert!(matches!(
        charts[3],
        AgentChart::BeforeAfter(ref b)
            if b.before == 0 && b.after == 7 && b.with_event == [true, true]
    ));
    let out = d.join("charts");
    for c in &charts {
        let files = render(c, &out, Format::Both).unwrap();
        assert_eq!(files.len(), 2);
        check_png(&files[0]);
        check_svg(&files[1], &c.title());
    }

    // Without agents.csv: no agent charts.
    ok(
        d,
        &["run", "s.toml", "--out", "plain", "--no-charts", "--quiet"],
    );
    assert!(agent_charts(&d.join("plain")).unwrap().is_empty());
    assert!(!d.join("plain/agents.csv").exists());
}

#[test]
fn bad_weeks_are_usage_errors_and_bad_files_clear_errors() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fs::write(d.join("s.toml"), SCENARIO).unwrap();
    for (flag, want) in [
        ("8", "week 8 is beyond the run, whose weeks are 0 to 7"),
        ("0,x", "\"x\" is not a week"),
        ("1,,2", "an empty week"),
    ] {
        let o = goodhart(d, &["run", "s.toml", "--out", "o", "--agents", flag]);
        assert_eq!(o.status.code(), Some(2), "{flag}: {}", text(&o));
        assert!(text(&o).contains(want), "{flag}: {}", text(&o));
    }
    assert!(!d.join("o").exists());
    let o = goodhart(d, &["sweep", "s.toml", "--agents", "last"]);
    assert_eq!(o.status.code(), Some(2), "{}", text(&o));

    ok(
        d,
        &[
            "run",
            "s.toml",
            "--out",
            "o",
            "--agents",
            "3,last",
            "--no-charts",
            "--quiet",
        ],
    );
    let dir = d.join("o");
    let csv = dir.join("agents.csv");
    let full = fs::read_to_string(&csv).unwrap();
    let header = full.lines().next().unwrap().to_string();
    let err = |contents: &str| {
        fs::write(&csv, contents).unwrap();
        agent_charts(&dir)
            .err()
            .map(|e| e.to_string())
            .unwrap_or_default()
    };
    assert!(err("").contains("has no rows"), "{}", err(""));
    assert!(err(&format!("{header}\n")).contains("has no rows"));
    let unknown = full.replacen("output\n", "outputs\n", 1);
    let e = err(&unknown);
    assert!(e.contains("line 1") && e.contains("outputs"), "{e}");
    // A week the manifest does not list, and a run cut short.
    let e = err(&full.replacen(",3,0,", ",5,0,", 1));
    assert!(
        e.contains("week 5 is not one of the recorded weeks 3,7"),
        "{e}"
    );
    let lines: Vec<&str> = full.lines().collect();
    let e = err(&(lines[..lines.len() - 1].join("\n") + "\n"));
    assert!(
        e.contains("is incomplete") && e.contains("299 of 300"),
        "{e}"
    );
    // Asking for a week that was not recorded.
    fs::write(&csv, &full).unwrap();
    let e = goodhart::charts::agents::AgentData::load(&dir, &[4])
        .err()
        .unwrap()
        .to_string();
    assert!(
        e.contains("week 4 was not recorded") && e.contains("--agents 3,7,4"),
        "{e}"
    );
}

/// The names listed in a charts directory's index of goodhart's files.
fn chart_index(dir: &Path) -> Vec<String> {
    fs::read_to_string(dir.join("charts/.goodhart-charts"))
        .unwrap_or_default()
        .lines()
        .map(str::to_string)
        .collect()
}

#[test]
fn run_with_agents_and_plot_draw_the_agent_charts_among_the_defaults() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fs::write(d.join("s.toml"), SCENARIO).unwrap();
    let agent_pngs = [
        "agents_tokens.png",
        "agents_by_ai_speedup.png",
        "agents_by_status_drive.png",
        "agents_before_after_week4.png",
    ];
    // `run --agents` draws them with the default charts and records them.
    ok(
        d,
        &[
            "run", "s.toml", "--out", "o", "--agents", "2,last", "--quiet",
        ],
    );
    let dir = d.join("o");
    let index = chart_index(&dir);
    for png in agent_pngs {
        check_png(&dir.join("charts").join(png));
        assert!(index.iter().any(|n| n == png), "{png} not in {index:?}");
        let svg = png.replace(".png", ".svg");
        assert!(index.contains(&svg), "{svg} not in {index:?}");
    }
    assert!(index.iter().any(|n| n == "dashboard.png"));

    // `plot` redraws them from the files alone; `plot --metric` draws only
    // the charts of the metrics asked for.
    fs::remove_dir_all(dir.join("charts")).unwrap();
    ok(d, &["plot", "o", "--format", "png"]);
    for png in agent_pngs {
        check_png(&dir.join("charts").join(png));
    }
    fs::remove_dir_all(dir.join("charts")).unwrap();
    ok(d, &["plot", "o", "--metric", "output_index"]);
    assert!(chart_index(&dir).iter().all(|n| !n.starts_with("agents_")));

    // The report says who games, from agents.csv, and shows the agent
    // charts; the PNGs it had to draw for its Markdown twin are recorded,
    // so the directory can still be replaced by a new run.
    ok(d, &["report", "o", "--title", "Who games & why"]);
    let html = fs::read_to_string(dir.join("report.html")).unwrap();
    assert!(
        html.contains("Who games (the base arm, week 7, from agents.csv): performative share is"),
        "no sentence about who games"
    );
    assert!(html.contains("<h1>Who games &amp; why</h1>"));
    for png in agent_pngs {
        let stem = png.trim_end_matches(".png");
        assert!(
            fs::read_to_string(dir.join("report.md"))
                .unwrap()
                .contains(&format!("charts/{png}")),
            "{stem} missing from the report"
        );
    }
    assert!(chart_index(&dir).iter().any(|n| n == "agents_tokens.png"));
    ok(
        d,
        &["run", "s.toml", "--out", "o", "--agents", "last", "--quiet"],
    );

    // Without agents.csv there are no agent charts.
    ok(d, &["run", "s.toml", "--out", "plain", "--quiet"]);
    let plain = chart_index(&d.join("plain"));
    assert!(plain.iter().any(|n| n == "dashboard.png"));
    assert!(plain.iter().all(|n| !n.starts_with("agents_")), "{plain:?}");
}
