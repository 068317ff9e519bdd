//! Round trips of every row type through CSV, by header name, and the
//! errors a malformed file or an older layout gives.

use super::*;
use crate::model::metrics::{Metric, WeekMetrics};
use crate::params::registry::Value;

fn metrics() -> WeekMetrics {
    let mut m = WeekMetrics::default();
    for (i, &metric) in Metric::ALL.iter().enumerate() {
        m.set(metric, 0.1 * i as f64 + 1e-7);
    }
    m.metric_validity = f64::NAN;
    m
}

fn round_trip<T: Serialize + DeserializeOwned + PartialEq + std::fmt::Debug>(
    rows: Vec<T>,
) -> String {
    let text = csv_text(&rows, true).unwrap();
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("x.csv");
    std::fs::write(&path, &text).unwrap();
    let back: Vec<T> = read_rows(&path).unwrap();
    // NaN != NaN: compare the text the rows write again.
    assert_eq!(csv_text(&back, true).unwrap(), text);
    String::from_utf8(text).unwrap()
}

#[test]
fn every_row_type_round_trips_by_header_name() {
    let weekly = round_trip(vec![WeeklyRow {
        scenario: "s".into(),
        variant: "base".into(),
        replicate: 2,
        seed: 99,
        statistic: Statistic::Week,
        week: Some(3),
        metrics: metrics(),
    }]);
    assert!(
        weekly.starts_with("scenario,variant,replicate,seed,statistic,week,measured_adoption,"),
        "{weekly}"
    );
    assert!(
        weekly.contains(",week,3,") && weekly.contains(",NaN,"),
        "{weekly}"
    );
    let runs = round_trip(vec![
        RunRow {
            point: 4,
            params: vec![
                ("stake", Value::Real(2.5)),
                ("leaderboard", Value::Text("org".into())),
                ("top_k", Value::Int(3)),
            ],
            replicate: 0,
            seed: 1,
            statistic: Statistic::Final,
            week: Some(51),
            metrics: metrics(),
        },
        RunRow {
            point: 4,
            params: vec![
                ("stake", Value::Real(2.5)),
                ("leaderboard", Value::Text("org".into())),
                ("top_k", Value::Int(3)),
            ],
            replicate: 0,
            seed: 1,
            statistic: Statistic::RunAverage,
            week: None,
            metrics: metrics(),
        },
    ]);
    assert!(
        runs.starts_with("point,stake,leaderboard,top_k,replicate,seed,statistic,week,"),
        "{runs}"
    );
    assert!(runs.contains("\n4,2.5,org,3,0,1,run_average,,"), "{runs}");
    let agg = round_trip(vec![AggregateRow {
        point: 0,
        params: vec![("adoption_target", Value::Real(0.8))],
        statistic: Statistic::Final,
        week: Some(9),
        metric: Metric::GoodhartGap,
        n: 5,
        mean: 0.2,
        sd: 0.01,
        ci_low: 0.19,
        ci_high: 0.21,
    }]);
    assert!(
        agg.starts_with("point,adoption_target,statistic,week,metric,n,mean,sd,ci_low,ci_high\n"),
        "{agg}"
    );
    let summary = round_trip(vec![SummaryRow::new(
        "s",
        "base",
        Statistic::RunAverage,
        None,
        Metric::OutputIndex,
        crate::stats::summarise(&[1.0, 2.0]),
    )]);
    assert!(
        summary.starts_with("scenario,variant,statistic,week,metric,n,mean,sd,ci_low,ci_high\n"),
        "{summary}"
    );
    round_trip(vec![SensitivityRow {
        metric: Metric::PerformativeShare,
        statistic: Statistic::Final,
        week: Some(51),
        parameter: "stake".into(),
        index: Index::MuStar,
        estimate: 0.3,
        ci_low: f64::NAN,
        ci_high: f64::NAN,
    }]);
    let points = round_trip(vec![PointRow {
        point: 7,
        params: vec![("stake", Value::Real(1.5))],
        units: vec![("stake", 0.25)],
    }]);
    assert_eq!(points, "point,stake,unit_stake\n7,1.5,0.25\n");
}

#[test]
fn a_malformed_row_names_file_and_line_and_old_layouts_are_named() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("summary.csv");
    std::fs::write(
        &path,
        "scenario,variant,statistic,week,metric,n,mean,sd,ci_low,ci_high\n\
         s,base,final,3,goodhart_gap,2,0.1,0.0,0.1,0.1\n\
         s,base,final,3,goodhart_gapp,2,0.1,0.0,0.1,0.1\n",
    )
    .unwrap();
    let e = read_rows::<SummaryRow>(&path).unwrap_err().to_string();
    assert!(
        e.contains("summary.csv, line 3:") && e.contains("goodhart_gapp"),
        "{e}"
    );
    // A column of an older layout (no `statistic`) is refused by name.
    std::fs::write(&path, "point,week,metric,mean\n0,final,output,1\n").unwrap();
    let e = read_rows::<SummaryRow>(&path).unwrap_err().to_string();
    assert!(
        e.contains("summary.csv, line 1: unknown field `point`"),
        "{e}"
    );
    // A manifest without format_version was written by an older goodhart.
    std::fs::write(
        dir.path().join("manifest.json"),
        r#"{"goodhart_version": "0.1.0", "scenario": "a", "input_sha256": "x"}"#,
    )
    .unwrap();
    let e = manifest::read::<RunManifest>(dir.path())
        .unwrap_err()
        .to_string();
    assert!(
        e.contains("written by an older goodhart (its files have no format version"),
        "{e}"
    );
}

#[test]
fn a_bad_cell_is_named_by_its_column() {
    let dir = tempfile::tempdir().unwrap();
    let path = dir.path().join("points.csv");
    std::fs::write(&path, "point,stake\n0,1.5\nx,2.0\n").unwrap();
    let e = read_rows::<PointRow>(&path).unwrap_err().to_string();
    assert!(e.contains("points.csv, line 3: column `point`:"), "{e}");
    std::fs::write(&path, "point,stakes\n0,1.5\n").unwrap();
    let e = read_rows::<PointRow>(&path).unwrap_err().to_string();
    assert!(
        e.contains("points.csv, line 1: unexpected column `stakes`"),
        "{e}"
    );
}
