//! Integration tests of `goodhart explore`: the real binary in temporary
//! directories. An exploration runs every policy in every world with the
//! same seeds, its files do not depend on threads or shards, its outcomes
//! are the replicate means of its runs, a world under a policy is exactly
//! `goodhart run` of that policy with the world's values, robustness obeys
//! its definitions, and scenario discovery finds the planted cause of
//! failure.

mod common;

use common::{goodhart, ok, text};
use goodhart::results::{BoxRow, OutcomeRow, RobustnessRow, RunRow, Statistic, read_rows};
use std::collections::HashMap;
use std::fs;
use std::path::Path;

/// Two policies, twelve worlds over a behavioural and a population
/// uncertainty.
const SMALL: &str = r#"
name = "explore-test"
[run]
seed = 5
[organisation]
employees = 150
weeks = 10
[policy]
adoption_target = 0.8
leaderboard = "org"
assurance = 1.0
true_eval_weight = 0.1
[variants.no-board]
leaderboard = "none"
[explore]
worlds = 12
replicates = 2
[explore.uncertainties]
rationality = [2.0, 6.0]
status_drive = [0.5, 2.0]
[[explore.objectives]]
metric = "performative_share"
sense = "minimise"
threshold = 0.05
[[explore.objectives]]
metric = "net_value_usd"
sense = "maximise"
"#;

fn setup(body: &str) -> (tempfile::TempDir, String) {
    let tmp = tempfile::tempdir().unwrap();
    let f = tmp.path().join("s.toml");
    fs::write(&f, body).unwrap();
    (tmp, f.to_str().unwrap().to_string())
}

fn bytes(dir: &Path, name: &str) -> Vec<u8> {
    fs::read(dir.join(name)).unwrap_or_else(|e| panic!("{}: {e}", dir.join(name).display()))
}

const FILES: [&str; 9] = [
    "points.csv",
    "runs.csv",
    "aggregate.csv",
    "worlds.csv",
    "outcomes.csv",
    "robustness.csv",
    "discovery_trajectory.csv",
    "discovery_boxes.csv",
    "manifest.json",
];

#[test]
fn explorations_are_the_same_for_any_thread_count_and_shard_split() {
    let (tmp, f) = setup(SMALL);
    let d = tmp.path();
    let o = ok(
        d,
        &[
            "explore",
            &f,
            "--out",
            "one",
            "--threads",
            "1",
            "--no-charts",
        ],
    );
    let said = text(&o);
    assert!(said.contains("robustness over 12 worlds"), "{said}");
    ok(
        d,
        &[
            "explore",
            &f,
            "--out",
            "two",
            "--threads",
            "2",
            "--quiet",
            "--no-charts",
        ],
    );
    for s in ["1/3", "0/3", "2/3"] {
        let out = format!("shard{}", &s[..1]);
        ok(d, &["explore", &f, "--shard", s, "--out", &out, "--quiet"]);
    }
    ok(
        d,
        &[
            "merge", "shard2", "shard0", "shard1", "--out", "merged", "--quiet",
        ],
    );
    for name in FILES {
        let one = bytes(&d.join("one"), name);
        assert_eq!(one, bytes(&d.join("two"), name), "{name}: 1 vs 2 threads");
        assert_eq!(
            one,
            bytes(&d.join("merged"), name),
            "{name}: whole vs merged shards"
        );
    }
    // Running again replaces the result set as a whole.
    ok(
        d,
        &["explore", &f, "--out", "two", "--quiet", "--no-charts"],
    );
    assert_eq!(
        bytes(&d.join("one"), "robustness.csv"),
        bytes(&d.join("two"), "robustness.csv")
    );
    // Every policy in every world, twice: 12 worlds x 2 policies x 2
    // replicates, each with its final week and run average.
    let runs: Vec<RunRow> = read_rows(&d.join("one/runs.csv")).unwrap();
    assert_eq!(runs.len(), 12 * 2 * 2 * 2);
    let head = fs::read_to_string(d.join("one/runs.csv")).unwrap();
    assert!(
        head.starts_with("point,world,policy,rationality,status_drive,replicate,seed,"),
        "{}",
        head.lines().next().unwrap()
    );
    // Common random numbers: replicate r has one seed everywhere.
    let mut seeds: HashMap<usize, u64> = HashMap::new();
    for r in &runs {
        assert_eq!(*seeds.entry(r.replicate).or_insert(r.seed), r.seed);
    }
    let manifest = fs::read_to_string(d.join("one/manifest.json")).unwrap();
    assert!(manifest.contains("\"kind\": \"explore\""), "{manifest}");
}

/// The replicate means of `metric`'s final week per (world, policy), from
/// runs.csv.
fn final_means(runs: &[RunRow], metric: &str) -> HashMap<(i64, String), f64> {
    let m = goodhart::model::metrics::Metric::from_name(metric).unwrap();
    let mut sums: HashMap<(i64, String), Vec<f64>> = HashMap::new();
    for r in runs.iter().filter(|r| r.statistic == Statistic::Final) {
        let world = r.params[0].1.as_f64().unwrap() as i64;
        let policy = r.params[1].1.to_string().trim_matches('"').to_string();
        sums.entry((world, policy))
            .or_default()
            .push(r.metrics.get(m));
    }
    sums.into_iter()
        .map(|(k, v)| (k, v.iter().sum::<f64>() / v.len() as f64))
        .collect()
}

#[test]
fn outcomes_and_robustness_follow_their_definitions() {
    let (tmp, f) = setup(SMALL);
    let d = tmp.path();
    ok(d, &["explore", &f, "--out", "o", "--quiet", "--no-charts"]);
    let runs: Vec<RunRow> = read_rows(&d.join("o/runs.csv")).unwrap();
    let outcomes: Vec<OutcomeRow> = read_rows(&d.join("o/outcomes.csv")).unwrap();
    assert_eq!(outcomes.len(), 12 * 2 * 2);
    for metric in ["performative_share", "net_value_usd"] {
        let means = final_means(&runs, metric);
        let rows: Vec<&OutcomeRow> = outcomes.iter().filter(|o| o.objective == metric).collect();
        for o in &rows {
            let want = means[&(o.world as i64, o.policy.clone())];
            assert_eq!(o.value.to_bits(), want.to_bits(), "{metric} {o:?}");
            assert_eq!(o.n, 2);
            // Regret: the distance to the best policy of the world.
            let other = rows
                .iter()
                .find(|p| p.world == o.world && p.policy != o.policy)
                .unwrap();
            let best = if metric == "performative_share" {
                o.value.min(other.value)
            } else {
                o.value.max(other.value)
            };
            assert!((o.regret - (o.value - best).abs()).abs() < 1e-12, "{o:?}");
            if metric == "performative_share" {
                assert_eq!(o.meets_threshold, Some(o.value <= 0.05));
                assert_eq!(o.satisficing, o.value <= 0.05);
            } else {
                assert_eq!(o.meets_threshold, None);
            }
        }
    }
    let robust: Vec<RobustnessRow> = read_rows(&d.join("o/robustness.csv")).unwrap();
    assert_eq!(robust.len(), 2 * 2);
    for r in &robust {
        let xs: Vec<&OutcomeRow> = outcomes
            .iter()
            .filter(|o| o.policy == r.policy && o.objective == r.objective)
            .collect();
        let mean = xs.iter().map(|o| o.value).sum::<f64>() / xs.len() as f64;
        assert!(
            (r.mean - mean).abs() <= 1e-12 * mean.abs().max(1.0),
            "{r:?}"
        );
        assert!(r.ci_low <= r.mean && r.mean <= r.ci_high, "{r:?}");
        assert!(r.p10 <= r.p50 && r.p50 <= r.p90, "{r:?}");
        let max = xs.iter().map(|o| o.regret).fold(0.0, f64::max);
        assert_eq!(r.regret_max, max);
        assert!(r.regret_mean >= 0.0 && r.regret_ci_low >= 0.0);
        let ok = xs.iter().filter(|o| o.satisficing).count() as f64 / 12.0;
        assert_eq!(r.satisficing_share, ok);
        assert!(
            (0.0..=r.satisficing_share).contains(&r.satisficing_ci_low)
                && (r.satisficing_share..=1.0).contains(&r.satisficing_ci_high),
            "{r:?}"
        );
    }
    // Without a leaderboard, performative use is lower in every world.
    let share = |p: &str| {
        robust
            .iter()
            .find(|r| r.policy == p && r.objective == "performative_share")
            .unwrap()
            .mean
    };
    assert!(share("no-board") < share("base"));
}

#[test]
fn a_world_under_a_policy_is_goodhart_run_of_that_policy_with_the_worlds_values() {
    let (tmp, f) = setup(SMALL);
    let d = tmp.path();
    ok(d, &["explore", &f, "--out", "o", "--quiet", "--no-charts"]);
    let worlds = fs::read_to_string(d.join("o/worlds.csv")).unwrap();
    let mut lines = worlds.lines();
    assert_eq!(
        lines.next(),
        Some("world,rationality,status_drive,unit_rationality,unit_status_drive")
    );
    let w3: Vec<&str> = lines.nth(3).unwrap().split(',').collect();
    assert_eq!(w3[0], "3");
    // World 3 under the no-board policy, written as a plain scenario: the
    // status drive's median moved, its sigma kept (0.6 by default).
    let scenario = format!(
        "name = \"w3\"\n[run]\nseed = 5\nreplicates = 2\n[organisation]\nemployees = 150\nweeks = 10\n[policy]\nadoption_target = 0.8\nleaderboard = \"none\"\nassurance = 1.0\ntrue_eval_weight = 0.1\n[behaviour]\nrationality = {}\n[population]\nstatus_drive = {{ dist = \"lognormal\", median = {}, sigma = 0.6 }}\n",
        w3[1], w3[2]
    );
    let (explored, run) = explored_and_run(d, 3, "no-board", &scenario);
    assert_eq!(
        explored.to_bits(),
        run.to_bits(),
        "world 3 under no-board must be the run of that scenario"
    );
}

/// World `world` under `policy` in the exploration in `d/o`, and
/// `goodhart run` of `scenario` (that policy with the world's values): the
/// replicate means of the final week's (week 9) performative share.
fn explored_and_run(d: &Path, world: i64, policy: &str, scenario: &str) -> (f64, f64) {
    fs::write(d.join("world.toml"), scenario).unwrap();
    ok(
        d,
        &[
            "run",
            "world.toml",
            "--out",
            "world",
            "--quiet",
            "--no-charts",
            "--force",
        ],
    );
    let runs: Vec<RunRow> = read_rows(&d.join("o/runs.csv")).unwrap();
    let means = final_means(&runs, "performative_share");
    let weekly = common::week_values(&d.join("world/weekly.csv"), 9, "base", "performative_share");
    let run = weekly.iter().sum::<f64>() / weekly.len() as f64;
    (means[&(world, policy.to_string())], run)
}

#[test]
fn a_policy_grid_explores_every_combination_of_levers() {
    // The base (with a week-6 board change) and a 2 x 2 grid over the
    // leaderboard and audits; grid policies hold their levers all year.
    let body = r#"
name = "grid-explore"
[run]
seed = 8
[organisation]
employees = 150
weeks = 10
[policy]
adoption_target = 0.8
leaderboard = "org"
assurance = 1.0
[[timeline]]
week = 6
leaderboard = "manager"
[explore]
worlds = 6
replicates = 2
[explore.policy_grid]
leaderboard = ["org", "none"]
audit_rate = [0.0, 0.2]
[explore.uncertainties]
rationality = [2.0, 6.0]
[[explore.objectives]]
metric = "performative_share"
sense = "minimise"
threshold = 0.05
"#;
    let (tmp, f) = setup(body);
    let d = tmp.path();
    ok(d, &["explore", &f, "--out", "o", "--quiet", "--no-charts"]);
    let robust: Vec<RobustnessRow> = read_rows(&d.join("o/robustness.csv")).unwrap();
    let names: Vec<&str> = robust.iter().map(|r| r.policy.as_str()).collect();
    assert_eq!(
        names,
        [
            "base",
            "leaderboard=org audit_rate=0",
            "leaderboard=org audit_rate=0.2",
            "leaderboard=none audit_rate=0",
            "leaderboard=none audit_rate=0.2",
        ]
    );
    // World 2 under "leaderboard=none audit_rate=0.2" is goodhart run of
    // the base with those levers and without the board's timeline event.
    let worlds = fs::read_to_string(d.join("o/worlds.csv")).unwrap();
    let w2: Vec<&str> = worlds.lines().nth(3).unwrap().split(',').collect();
    let scenario = format!(
        "[run]\nseed = 8\nreplicates = 2\n[organisation]\nemployees = 150\nweeks = 10\n[policy]\nadoption_target = 0.8\nleaderboard = \"none\"\nassurance = 1.0\naudit_rate = 0.2\n[behaviour]\nrationality = {}\n",
        w2[1]
    );
    let (explored, run) = explored_and_run(d, 2, "leaderboard=none audit_rate=0.2", &scenario);
    assert_eq!(explored.to_bits(), run.to_bits());
    // A grid over a behavioural parameter is refused with the fix.
    let (tmp, f) = setup(&body.replace("audit_rate = [0.0, 0.2]", "stake = [1.0, 2.0]"));
    let o = goodhart(tmp.path(), &["validate", &f]);
    assert!(
        text(&o).contains("`stake` is not a policy lever"),
        "{}",
        text(&o)
    );
}

#[test]
fn uncertainties_may_be_drawn_from_distributions() {
    let body = SMALL
        .replace("worlds = 12", "worlds = 40")
        .replace(
            "rationality = [2.0, 6.0]",
            "rationality = { dist = \"normal\", mean = 4.0, sd = 0.5, min = 2.0, max = 6.0 }",
        )
        .replace(
            "status_drive = [0.5, 2.0]",
            "status_drive = { dist = \"lognormal\", median = 1.0, sigma = 0.3, min = 0.5, max = 2.0 }",
        );
    let (tmp, f) = setup(&body);
    let d = tmp.path();
    ok(d, &["explore", &f, "--out", "o", "--quiet", "--no-charts"]);
    let worlds = fs::read_to_string(d.join("o/worlds.csv")).unwrap();
    use goodhart::params::dist::{Dist, LogLocation, Shape};
    let normal = Dist::clipped(Shape::Normal { mean: 4.0, sd: 0.5 }, 2.0, 6.0);
    let lognormal = Dist::clipped(
        Shape::LogNormal {
            location: LogLocation::Median(1.0),
            sigma: 0.3,
        },
        0.5,
        2.0,
    );
    let mut xs = Vec::new();
    for line in worlds.lines().skip(1) {
        let c: Vec<f64> = line.split(',').map(|x| x.parse().unwrap()).collect();
        // Each world's value is its distribution's quantile at the
        // world's unit coordinate.
        assert_eq!(c[1], normal.quantile(c[3]), "{line}");
        assert_eq!(c[2], lognormal.quantile(c[4]), "{line}");
        assert!((2.0..=6.0).contains(&c[1]) && (0.5..=2.0).contains(&c[2]));
        xs.push(c[1]);
    }
    assert_eq!(xs.len(), 40);
    // A Latin hypercube of 40 draws: the mean is within 3 standard errors
    // (0.5 / sqrt(40)) of 4, and the spread is the distribution's.
    let mean = xs.iter().sum::<f64>() / 40.0;
    let sd = (xs.iter().map(|x| (x - mean).powi(2)).sum::<f64>() / 39.0).sqrt();
    assert!((mean - 4.0).abs() < 3.0 * 0.5 / 40f64.sqrt(), "{mean}");
    assert!((sd - 0.5).abs() < 0.15, "{sd}");
    // An unbounded distribution is refused: PRIM needs the range.
    let (tmp, f) = setup(&SMALL.replace(
        "rationality = [2.0, 6.0]",
        "rationality = { dist = \"gamma\", shape = 4.0, scale = 1.0 }",
    ));
    let o = goodhart(tmp.path(), &["validate", &f]);
    assert!(
        text(&o).contains("need a distribution with a finite range"),
        "{}",
        text(&o)
    );
}

#[test]
fn scenario_discovery_finds_the_planted_cause_of_failure() {
    // Only status drive matters here (rationality is a nuisance range),
    // and under an org-wide board a high status drive makes people game:
    // the failing worlds are those with a high status drive.
    let body = r#"
name = "discovery-test"
[run]
seed = 3
[organisation]
employees = 200
weeks = 12
[policy]
adoption_target = 0.8
leaderboard = "org"
assurance = 1.0
true_eval_weight = 0.1
[explore]
worlds = 60
replicates = 1
[explore.uncertainties]
status_drive = [0.1, 3.0]
conformity = [0.9, 1.1]
[[explore.objectives]]
metric = "performative_share"
sense = "minimise"
[explore.discovery]
fail = "performative_share > 0.2"
density = 0.8
"#;
    let (tmp, f) = setup(body);
    let d = tmp.path();
    ok(d, &["explore", &f, "--out", "o", "--quiet", "--no-charts"]);
    let outcomes: Vec<OutcomeRow> = read_rows(&d.join("o/outcomes.csv")).unwrap();
    let failing = outcomes.iter().filter(|o| o.value > 0.2).count();
    assert!(
        failing > 5 && failing < 55,
        "the test needs both failing and passing worlds: {failing} of 60 fail"
    );
    let boxes: Vec<BoxRow> = read_rows(&d.join("o/discovery_boxes.csv")).unwrap();
    let first: Vec<&BoxRow> = boxes.iter().filter(|b| b.r#box == 1).collect();
    assert!(!first.is_empty(), "no box found");
    let drive = first
        .iter()
        .find(|b| b.parameter == "status_drive")
        .expect("the box must restrict status drive");
    assert!(drive.lower > 0.1 + 0.05, "{drive:?}");
    assert!(drive.density >= 0.8 && drive.coverage > 0.5, "{drive:?}");
    assert!(drive.qp_lower.is_some_and(|q| q < 0.05), "{drive:?}");
    let trajectory = fs::read_to_string(d.join("o/discovery_trajectory.csv")).unwrap();
    assert!(trajectory.lines().count() > 3, "{trajectory}");

    // `>=` is inclusive: every world has performative share >= 0, so the
    // policy fails everywhere, and the summary says so.
    let (tmp, f) = setup(&body.replace("performative_share > 0.2", "performative_share >= 0"));
    let o = ok(tmp.path(), &["explore", &f, "--out", "o", "--no-charts"]);
    assert!(text(&o).contains("in every world"), "{}", text(&o));
    // A condition no world meets: nothing to describe, and the discovery
    // files still have their header line.
    let (tmp, f) = setup(&body.replace("performative_share > 0.2", "performative_share < -1"));
    let o = ok(tmp.path(), &["explore", &f, "--out", "o", "--no-charts"]);
    assert!(text(&o).contains("in no world"), "{}", text(&o));
    let boxes = fs::read_to_string(tmp.path().join("o/discovery_boxes.csv")).unwrap();
    assert!(
        boxes.starts_with("policy,failure,box,coverage"),
        "{boxes:?}"
    );
    let steps = fs::read_to_string(tmp.path().join("o/discovery_trajectory.csv")).unwrap();
    assert_eq!(steps.lines().count(), 1, "{steps:?}");
}

#[test]
fn explore_errors_name_the_line_and_the_fix() {
    let cases = [
        (
            "[explore]\nworlds = 10\n[explore.uncertainties]\nrationality = [2, 6]\n[[explore.objectives]]\nmetric = \"performative_shar\"\nsense = \"minimise\"\nthreshold = 0.1\n",
            "did you mean `performative_share`?",
            ":6:",
        ),
        (
            "[explore]\npolicies = [\"base\", \"no-bord\"]\n[explore.uncertainties]\nrationality = [2, 6]\n[[explore.objectives]]\nmetric = \"incidents\"\nsense = \"minimise\"\nthreshold = 1\n",
            "no arm named `no-bord`",
            ":2:",
        ),
        (
            "[explore]\n[explore.uncertainties]\ncredibility = [0.2, 1.2]\n[[explore.objectives]]\nmetric = \"incidents\"\nsense = \"minimise\"\nthreshold = 1\n",
            "`credibility` centred at 1.2",
            ":3:",
        ),
        (
            "[explore]\n[explore.uncertainties]\nrationality = [2, 6]\n[[explore.objectives]]\nmetric = \"incidents\"\nsense = \"minimize\"\n",
            "did you mean \"minimise\"?",
            ":6:",
        ),
        (
            "[explore]\n[explore.uncertainties]\nrationality = [2, 6]\n[[explore.objectives]]\nmetric = \"incidents\"\nsense = \"minimise\"\n",
            "no failure condition",
            ":1:",
        ),
        (
            "[explore]\n[explore.uncertainties]\nrationality = [2, 6]\n[[explore.objectives]]\nmetric = \"incidents\"\nsense = \"minimise\"\n[explore.discovery]\nfail = \"incidents >= lots\"\n",
            "not a number",
            ":8:",
        ),
    ];
    for (body, message, line) in cases {
        let (tmp, f) = setup(body);
        let o = goodhart(tmp.path(), &["validate", &f]);
        assert_eq!(o.status.code(), Some(1), "{body}");
        let said = text(&o);
        assert!(
            said.contains(message) && said.contains(&format!("s.toml{line}")),
            "{said}"
        );
    }
    let (tmp, f) = setup("[organisation]\nemployees = 10\n");
    let o = goodhart(tmp.path(), &["explore", &f]);
    assert_eq!(o.status.code(), Some(1));
    assert!(text(&o).contains("has no [explore] table"), "{}", text(&o));
}

#[test]
fn the_shipped_exploration_runs() {
    let path = Path::new(env!("CARGO_MANIFEST_DIR")).join("scenarios/robust-policies.toml");
    let tmp = tempfile::tempdir().unwrap();
    // Small (--employees, --weeks): this checks that it runs.
    let o = ok(
        tmp.path(),
        &[
            "explore",
            path.to_str().unwrap(),
            "--replicates",
            "1",
            "--employees",
            "100",
            "--weeks",
            "4",
            "--no-charts",
        ],
    );
    assert!(
        text(&o).contains("robustness over 100 worlds"),
        "{}",
        text(&o)
    );
    let robust: Vec<RobustnessRow> =
        read_rows(&tmp.path().join("output/robust-policies/robustness.csv")).unwrap();
    assert_eq!(robust.len(), 7 * 3);
}
