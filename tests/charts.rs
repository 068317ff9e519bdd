//! Every chart kind, drawn by the real binary from small fixtures: each is
//! a valid PNG of 1600x1000 that is not blank, and a valid SVG of the same
//! size with its title as text.

mod common;
use common::ok;

use std::fs;
use std::path::Path;
use std::process::Command;

const RUN: &str = r#"
name = "fixture"
description = "A small run with a variant and a lever ramped up and down."
[run]
replicates = 3
[organisation]
employees = 120
weeks = 30
[policy]
adoption_target = 0.8
leaderboard = "org"
[[timeline]]
from = 0
to = 14
audit_rate = [0.0, 0.4]
[[timeline]]
from = 15
to = 29
audit_rate = [0.4, 0.0]
[variants.no-board]
leaderboard = "none"
"#;

fn sweep(design: &str, params: &str, extra: &str) -> String {
    format!(
        "name = \"{design}-fixture\"\n[organisation]\nemployees = 60\nweeks = 6\n[policy]\nadoption_target = 0.8\nleaderboard = \"org\"\n[sweep]\ndesign = \"{design}\"\nreplicates = 2\n{extra}\n[sweep.parameters]\n{params}\n"
    )
}

/// Checks a PNG: right size, not blank (enough non-white pixels and
/// colours to be a real chart).
fn check_png(path: &Path) {
    let img = image::open(path)
        .unwrap_or_else(|e| panic!("{}: {e}", path.display()))
        .to_rgb8();
    assert_eq!(img.dimensions(), (1600, 1000), "{}", path.display());
    let total = (img.width() * img.height()) as f64;
    let ink = img.pixels().filter(|p| p.0 != [255, 255, 255]).count() as f64;
    assert!(
        ink / total > 0.02,
        "{} is nearly blank ({:.3}% ink)",
        path.display(),
        100.0 * ink / total
    );
    let mut colours: Vec<[u8; 3]> = img.pixels().map(|p| p.0).collect();
    colours.sort_unstable();
    colours.dedup();
    assert!(
        colours.len() > 8,
        "{} has only {} colours",
        path.display(),
        colours.len()
    );
    // The title band at the top has dark text in it.
    let dark_in_title = (0..1600)
        .flat_map(|x| (0..50).map(move |y| (x, y)))
        .filter(|&(x, y)| img.get_pixel(x, y).0.iter().all(|&c| c < 80))
        .count();
    assert!(dark_in_title > 500, "{} has no title", path.display());
}

/// Checks an SVG: parses as XML, is 1600x1000 and carries the title text.
fn check_svg(path: &Path) {
    let text = fs::read_to_string(path).unwrap();
    let doc =
        roxmltree::Document::parse(&text).unwrap_or_else(|e| panic!("{}: {e}", path.display()));
    let root = doc.root_element();
    assert_eq!(root.tag_name().name(), "svg");
    assert_eq!(root.attribute("width"), Some("1600"), "{}", path.display());
    assert_eq!(root.attribute("height"), Some("1000"), "{}", path.display());
    let texts = root
        .descendants()
        .filter(|n| n.has_tag_name("text"))
        .count();
    assert!(
        texts > 10,
        "{} has only {texts} text elements",
        path.display()
    );
    // Printed 16 cm wide (100 px per cm), no text is below 7 pt (0.247 cm).
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
    let shapes = root.descendants().filter(|n| n.is_element()).count();
    // A ranked bar chart of two parameters is about 45 elements.
    assert!(shapes > 30, "{} has only {shapes} elements", path.display());
}

fn check_kind(dir: &Path, prefix: &str) -> usize {
    let mut n = 0;
    for e in fs::read_dir(dir).unwrap() {
        let p = e.unwrap().path();
        let name = p.file_name().unwrap().to_string_lossy().into_owned();
        if !name.starts_with(prefix) {
            continue;
        }
        match p.extension().and_then(|x| x.to_str()) {
            Some("png") => check_png(&p),
            Some("svg") => check_svg(&p),
            other => panic!("unexpected file {name} ({other:?})"),
        }
        n += 1;
    }
    assert!(
        n >= 2,
        "no {prefix}* chart (PNG and SVG) in {}",
        dir.display()
    );
    n
}

#[test]
fn every_chart_kind_is_a_valid_non_blank_png_and_svg() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fs::write(d.join("run.toml"), RUN).unwrap();
    fs::write(
        d.join("grid.toml"),
        sweep(
            "grid",
            "adoption_target = [0.0, 0.5, 0.9]\nleaderboard = [\"none\", \"org\"]",
            "",
        ),
    )
    .unwrap();
    fs::write(
        d.join("sobol.toml"),
        sweep(
            "sobol",
            "stake = [1.0, 8.0]\nhabit_weight = [0.0, 2.0]",
            "samples = 8\nbootstrap = 50",
        ),
    )
    .unwrap();
    fs::write(
        d.join("morris.toml"),
        sweep(
            "morris",
            "stake = [1.0, 8.0]\nhabit_weight = [0.0, 2.0]",
            "samples = 6\nbootstrap = 50",
        ),
    )
    .unwrap();
    ok(d, &["run", "run.toml", "--quiet"]);
    fs::write(
        d.join("lhs.toml"),
        sweep(
            "lhs",
            "stake = [1.0, 8.0]\nhabit_weight = [0.0, 2.0]",
            "samples = 12",
        ),
    )
    .unwrap();
    for s in ["grid", "sobol", "morris", "lhs"] {
        ok(d, &["sweep", &format!("{s}.toml"), "--quiet"]);
    }
    let run = d.join("output/fixture/charts");
    for kind in [
        "dashboard",
        "differences",
        "timeseries_",
        "comparison",
        "hysteresis_audit_rate_",
    ] {
        check_kind(&run, kind);
    }
    check_kind(&d.join("output/grid-fixture/charts"), "response_");
    check_kind(&d.join("output/grid-fixture/charts"), "heatmap_");
    check_kind(&d.join("output/sobol-fixture/charts"), "sobol_");
    check_kind(&d.join("output/lhs-fixture/charts"), "response_");
    check_kind(&d.join("output/morris-fixture/charts"), "morris_");
}

#[test]
fn plot_redraws_from_csv_only_with_chosen_metrics_and_format() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fs::write(d.join("run.toml"), RUN).unwrap();
    ok(d, &["run", "run.toml", "--quiet", "--no-charts"]);
    let out = d.join("output/fixture");
    assert!(!out.join("charts").exists(), "--no-charts drew charts");
    ok(
        d,
        &[
            "plot",
            out.to_str().unwrap(),
            "--metric",
            "incidents",
            "--metric",
            "token_gini",
            "--format",
            "svg",
        ],
    );
    let names: Vec<String> = fs::read_dir(out.join("charts"))
        .unwrap()
        .map(|e| e.unwrap().file_name().to_string_lossy().into_owned())
        .collect();
    assert!(
        names.contains(&"timeseries_incidents.svg".to_string()),
        "{names:?}"
    );
    assert!(
        names.contains(&"timeseries_token_gini.svg".to_string()),
        "{names:?}"
    );
    // Only SVG files, and the list of charts goodhart wrote.
    assert!(
        names
            .iter()
            .all(|n| n.ends_with(".svg") || n == ".goodhart-charts"),
        "{names:?}"
    );
    let index = fs::read_to_string(out.join("charts/.goodhart-charts")).unwrap();
    assert!(
        index.lines().any(|l| l == "timeseries_incidents.svg"),
        "{index}"
    );
    // Charts come from the CSV files alone: without weekly.csv there is
    // nothing to draw, and the error says so.
    fs::remove_file(out.join("weekly.csv")).unwrap();
    let o = Command::new(env!("CARGO_BIN_EXE_goodhart"))
        .args(["plot", out.to_str().unwrap()])
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("weekly.csv"));
    let o = Command::new(env!("CARGO_BIN_EXE_goodhart"))
        .args(["plot", d.to_str().unwrap(), "--metric", "nonsense"])
        .output()
        .unwrap();
    // An unknown metric is bad usage (exit 2), caught before any file is read.
    assert_eq!(o.status.code(), Some(2));
    assert!(String::from_utf8_lossy(&o.stderr).contains("is not a metric"));
}

/// `plot --metric` adds charts under names that say which metrics they
/// show; the default set drawn by `run` stays byte for byte as it was.
#[test]
fn plot_with_metrics_never_replaces_a_default_chart() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fs::write(d.join("run.toml"), RUN).unwrap();
    ok(d, &["run", "run.toml", "--quiet"]);
    let charts = d.join("output/fixture/charts");
    let read_all = || -> std::collections::BTreeMap<String, Vec<u8>> {
        fs::read_dir(&charts)
            .unwrap()
            .map(|e| {
                let p = e.unwrap().path();
                let name = p.file_name().unwrap().to_string_lossy().into_owned();
                (name, fs::read(&p).unwrap())
            })
            .collect()
    };
    let before = read_all();
    assert!(before.contains_key("comparison.png"), "{:?}", before.keys());
    assert!(
        before.contains_key("differences.png"),
        "{:?}",
        before.keys()
    );
    let out = d.join("output/fixture");
    ok(
        d,
        &[
            "plot",
            out.to_str().unwrap(),
            "--metric",
            "incidents",
            "--metric",
            "token_gini",
        ],
    );
    let after = read_all();
    for (name, bytes) in &before {
        if name == ".goodhart-charts" {
            continue;
        }
        assert!(
            after.get(name) == Some(bytes),
            "plot --metric changed or removed {name}"
        );
    }
    for added in [
        "comparison_incidents_token_gini.png",
        "differences_incidents_token_gini.png",
        "timeseries_incidents.png",
    ] {
        assert!(
            after.contains_key(added),
            "{added} missing: {:?}",
            after.keys()
        );
    }
}

/// Every difference is taken against the base arm, whatever order
/// weekly.csv lists the arms in; a Markdown --out is refused, and a date
/// beyond year 9999 in SOURCE_DATE_EPOCH is ignored, not a panic.
#[test]
fn report_takes_the_base_arm_whatever_the_row_order_and_refuses_bad_outputs() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fs::write(d.join("run.toml"), RUN).unwrap();
    ok(d, &["run", "run.toml", "--quiet", "--no-charts"]);
    let weekly = d.join("output/fixture/weekly.csv");
    let text = fs::read_to_string(&weekly).unwrap();
    let mut lines: Vec<&str> = text.lines().collect();
    let header = lines.remove(0);
    let variant = header.split(',').position(|c| c == "variant").unwrap();
    // no-board's rows first.
    lines.sort_by_key(|l| l.split(',').nth(variant) != Some("no-board"));
    assert!(lines[0].split(',').nth(variant) == Some("no-board"));
    fs::write(&weekly, format!("{header}\n{}\n", lines.join("\n"))).unwrap();
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_goodhart"))
        .args(["report", "output/fixture"])
        .env("SOURCE_DATE_EPOCH", "300000000000")
        .current_dir(d)
        .output()
        .unwrap();
    assert!(o.status.success(), "{}", String::from_utf8_lossy(&o.stderr));
    let html = fs::read_to_string(d.join("output/fixture/report.html")).unwrap();
    assert!(
        html.contains("no-board minus base"),
        "the base is not arm 0"
    );
    assert!(!html.contains("base minus base"));
    assert!(
        html.contains("no-board (leaderboard = none) lowers performative share of AI time by"),
        "an org-wide board's removal must lower performative share"
    );
    let o = std::process::Command::new(env!("CARGO_BIN_EXE_goodhart"))
        .args(["report", "output/fixture", "--out", "r.md"])
        .current_dir(d)
        .output()
        .unwrap();
    assert_eq!(o.status.code(), Some(1));
    assert!(String::from_utf8_lossy(&o.stderr).contains("give the HTML file"));
    assert!(!d.join("r.md").exists());
}

#[test]
fn report_is_self_contained_valid_and_complete() {
    let tmp = tempfile::tempdir().unwrap();
    let d = tmp.path();
    fs::write(d.join("run.toml"), RUN).unwrap();
    fs::write(
        d.join("grid.toml"),
        sweep(
            "grid",
            "adoption_target = [0.0, 0.9]\nleaderboard = [\"none\", \"org\"]",
            "",
        ),
    )
    .unwrap();
    ok(d, &["run", "run.toml", "--quiet"]);
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
    let html = fs::read_to_string(d.join("reports/all.html")).unwrap();
    let doc = roxmltree::Document::parse_with_options(
        &html,
        roxmltree::ParsingOptions {
            allow_dtd: true,
            ..Default::default()
        },
    )
    .unwrap_or_else(|e| panic!("report is not well-formed: {e}"));
    let count = |tag: &str| {
        doc.descendants()
            .filter(|n| n.tag_name().name() == tag)
            .count()
    };
    let sections: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("section") && n.attribute("class") == Some("scenario"))
        .collect();
    assert_eq!(sections.len(), 2, "a section per result directory");
    assert!(count("svg") >= 8, "charts must be inlined as SVG");
    assert_eq!(
        count("script") + count("link") + count("img") + count("iframe"),
        0
    );
    for n in doc.descendants().filter(|n| n.is_element()) {
        for a in n.attributes() {
            let external = a.value().contains("://") || a.value().starts_with("//");
            assert!(
                !(external && matches!(a.name(), "src" | "href")),
                "external reference {}={}",
                a.name(),
                a.value()
            );
        }
    }
    // The parts a director reads, in order, in each section: question,
    // summary, effect table, the answering chart, method, limitations.
    for (i, s) in sections.iter().enumerate() {
        let order: Vec<String> = s
            .children()
            .filter(|n| n.is_element())
            .map(|n| match n.tag_name().name() {
                "h3" => n.text().unwrap_or("").to_string(),
                t => t.to_string(),
            })
            .collect();
        let at = |x: &str| {
            order
                .iter()
                .position(|o| o == x)
                .unwrap_or_else(|| panic!("no {x} in {order:?}"))
        };
        if i == 0 {
            // The run's scenario has a description: its question.
            assert!(at("p") < at("Summary"), "{order:?}");
        }
        assert!(
            at("Summary") < at("table") && at("table") < at("figure"),
            "{order:?}"
        );
        assert!(
            at("figure") < at("Method") && at("Method") < at("Limitations"),
            "{order:?}"
        );
    }
    let text: String = doc
        .descendants()
        .filter(|n| {
            n.is_text()
                && !n
                    .ancestors()
                    .any(|a| a.has_tag_name("svg") || a.has_tag_name("style"))
        })
        .filter_map(|n| n.text())
        .collect();
    assert!(!text.contains('`'), "backticks in the report's text");
    for needle in [
        "A small run with a variant",
        // The executive summary, generated from the paired differences.
        "Compared with the base, by week 29 no-board (leaderboard = none) lowers performative share of AI time by",
        "Effect of each variant at week 29: difference from the base",
        "common random numbers",
        "Glossary of metrics",
        "Of all working time spent with AI, the share spent on performative use",
        "Only 3 replicates",
        "weeks 0-14: audit_rate 0 → 0.40",
        "Input SHA-256",
        "replicate seeds",
        // The sweep: what moves the outcome most.
        "alone explains",
        "Final week by point",
    ] {
        assert!(text.contains(needle), "report lacks {needle:?}");
    }
    // The effect table's differences: "mean [low, high]", right-aligned,
    // and bold where the interval excludes 0.
    let cells: Vec<_> = doc
        .descendants()
        .filter(|n| n.has_tag_name("td") && n.attribute("class") == Some("num"))
        .collect();
    assert!(
        cells.iter().any(|c| {
            let t: String = c.descendants().filter_map(|n| n.text()).collect();
            // The interval never breaks across lines (a no-break space).
            t.contains('[') && t.contains(",\u{a0}")
        }),
        "no CI cells"
    );
    assert!(
        cells
            .iter()
            .any(|c| c.children().any(|n| n.has_tag_name("strong"))),
        "no emphasised effect"
    );
    // Parameters at no more than six significant figures.
    for c in doc.descendants().filter(|n| n.has_tag_name("td")) {
        let t = c.text().unwrap_or("");
        if let Ok(x) = t.parse::<f64>() {
            let digits = t.trim_start_matches('-').replace('.', "");
            let significant = digits.trim_start_matches('0').trim_end_matches('0').len();
            assert!(
                significant <= 6 || x.fract() == 0.0,
                "{t} has too many digits"
            );
        }
    }

    let md = fs::read_to_string(d.join("reports/all.md")).unwrap();
    let links: Vec<&str> = md
        .lines()
        .filter_map(|l| l.strip_prefix("!["))
        .filter_map(|l| l.split("](").nth(1))
        .map(|l| l.trim_end_matches(')'))
        .collect();
    assert!(links.len() >= 8, "{links:?}");
    for l in links {
        assert!(d.join("reports").join(l).is_file(), "broken image link {l}");
    }
}

#[test]
#[cfg_attr(
    ldd_unavailable,
    ignore = "ldd is not on this machine (build.rs looked for it)"
)]
fn the_binary_links_no_font_library() {
    // Charts use the embedded DejaVu font through ab_glyph: no fontconfig
    // or freetype at run time.
    let o = Command::new("ldd")
        .arg(env!("CARGO_BIN_EXE_goodhart"))
        .output()
        .expect("ldd runs (build.rs found it)");
    assert!(
        o.status.success(),
        "ldd failed: {}",
        String::from_utf8_lossy(&o.stderr)
    );
    let libs = String::from_utf8_lossy(&o.stdout).to_lowercase();
    for lib in ["fontconfig", "freetype", "expat", "png"] {
        assert!(!libs.contains(lib), "the binary links {lib}:\n{libs}");
    }
}
