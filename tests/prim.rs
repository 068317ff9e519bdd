//! Tests of `goodhart::prim`, the PRIM of Friedman & Fisher (1999) as EMA
//! Workbench implements it: the trajectory, limits and quasi-p values
//! against EMA Workbench 2.5.3's own output on a stored dataset
//! (tests/prim/, made by tests/prim/make_reference.py; no Python needed
//! here), recovery of a planted box, invariants over random data
//! (proptest), and refusal of invalid input.

use goodhart::prim::{
    BoxChoice, Dataset, PrimError, PrimParams, StepKind, covering, find_box, find_box_in,
};
use proptest::prelude::*;
use rand::{RngExt, SeedableRng};
use rand_pcg::Pcg64Mcg;
use serde_json::Value;

const DIR: &str = concat!(env!("CARGO_MANIFEST_DIR"), "/tests/prim");

/// A CSV file as its header and rows of fields.
fn read_csv(name: &str) -> (Vec<String>, Vec<Vec<String>>) {
    let mut reader = csv::Reader::from_path(format!("{DIR}/{name}")).unwrap();
    let header = reader.headers().unwrap().iter().map(String::from).collect();
    let rows = reader
        .records()
        .map(|r| r.unwrap().iter().map(String::from).collect())
        .collect();
    (header, rows)
}

/// The dataset, reference.json, and the reference trajectories' rows.
fn fixture() -> (Dataset, Value, Vec<Vec<String>>) {
    let (header, rows) = read_csv("data.csv");
    let d = header.len() - 1;
    let columns = (0..d)
        .map(|j| rows.iter().map(|r| r[j].parse().unwrap()).collect())
        .collect();
    let cases = rows.iter().map(|r| r[d] == "1").collect();
    let data = Dataset::new(header[..d].to_vec(), columns, cases).unwrap();
    let reference = std::fs::read_to_string(format!("{DIR}/reference.json")).unwrap();
    let (steps_header, steps) = read_csv("reference_steps.csv");
    assert_eq!(steps_header.len(), 8 + 4 * d);
    (data, serde_json::from_str(&reference).unwrap(), steps)
}

fn f(v: &Value) -> f64 {
    v.as_f64().unwrap()
}

fn u(v: &Value) -> usize {
    v.as_u64().unwrap() as usize
}

/// Tolerances. Counts (n, k, res_dim, number of steps) must be equal.
/// Coverage, density, mass and limits must be bit-identical: they come
/// from the same IEEE operations on the same doubles (the CSV files hold
/// Python's shortest round-trip repr, which Rust's `parse` reads back
/// exactly; quantiles are midpoints of order statistics, statistics are
/// int / int). Quasi-p values go through two implementations of the
/// regularized incomplete beta function (statrs' continued fraction,
/// Boost's in scipy): a relative 1e-9 leaves a wide margin over what is
/// observed and is far below any decision made on them (0.05, 0.1).
const QP_RTOL: f64 = 1e-9;

/// Compares one of our trajectories with the rows of one of EMA
/// Workbench's boxes (columns as written by make_reference.py).
fn compare_box(
    found: &goodhart::prim::PrimBox,
    summary: &Value,
    rows: &[&Vec<String>],
    label: &str,
) {
    assert_eq!(
        found.steps().len(),
        u(&summary["steps"]),
        "{label}: trajectory length"
    );
    assert_eq!(
        found.steps().len(),
        rows.len(),
        "{label}: trajectory length"
    );
    assert_eq!(
        found.remaining().len(),
        u(&summary["n_remaining"]),
        "{label}"
    );
    let names = found.data().names();
    let d = names.len();
    for (i, (ours, row)) in found.steps().iter().zip(rows).enumerate() {
        let at = format!("{label}, step {i}");
        let num = |c: usize| row[c].parse::<f64>().unwrap();
        assert_eq!(row[1].parse::<usize>().unwrap(), i, "{at}");
        let counts = (ours.n, ours.k, ours.res_dim);
        assert_eq!(
            counts,
            (num(2) as usize, num(3) as usize, num(4) as usize),
            "{at}: n, k, res_dim"
        );
        assert_eq!(ours.coverage, num(5), "{at}: coverage");
        assert_eq!(ours.density, num(6), "{at}: density");
        assert_eq!(ours.mass, num(7), "{at}: mass");
        for (j, lim) in ours.limits.iter().enumerate() {
            assert_eq!(
                lim.lower,
                num(8 + 2 * j),
                "{at}: lower limit of {}",
                names[j]
            );
            assert_eq!(
                lim.upper,
                num(9 + 2 * j),
                "{at}: upper limit of {}",
                names[j]
            );
        }
        let selected = found.select(i).unwrap();
        assert_eq!(selected.points.len(), ours.n, "{at}");
        let restricted: Vec<usize> = (0..d)
            .filter(|j| !row[8 + 2 * d + 2 * j].is_empty())
            .collect();
        let dims: Vec<usize> = selected.restrictions.iter().map(|r| r.dim).collect();
        assert_eq!(dims, restricted, "{at}: restricted dimensions");
        for r in &selected.restrictions {
            // EMA Workbench's -1 (side not restricted) is None here.
            let theirs = |c: usize| Some(num(c)).filter(|&x| x >= 0.0);
            let c = 8 + 2 * d + 2 * r.dim;
            for (ours, theirs) in [(r.qp_lower, theirs(c)), (r.qp_upper, theirs(c + 1))] {
                match (ours, theirs) {
                    (None, None) => {}
                    (Some(a), Some(b)) => {
                        assert!(
                            (a - b).abs() <= QP_RTOL * b,
                            "{at}: qp of {} {a} vs {b}",
                            r.name
                        )
                    }
                    _ => panic!("{at}: qp of {}: {ours:?} vs {theirs:?}", r.name),
                }
            }
        }
    }
}

#[test]
fn matches_ema_workbench_on_the_fixture() {
    let (data, reference, rows) = fixture();
    let of_box = |b: &str| rows.iter().filter(|r| r[0] == b).collect::<Vec<_>>();
    assert_eq!(reference["ema_workbench"], "2.5.3");
    let p = &reference["params"];
    let params = PrimParams {
        peel_alpha: f(&p["peel_alpha"]),
        paste_alpha: f(&p["paste_alpha"]),
        mass_min: f(&p["mass_min"]),
        threshold: f(&p["threshold"]),
    };
    assert_eq!(params, PrimParams::default());
    assert_eq!(data.len(), u(&reference["n"]));
    assert_eq!(data.n_cases(), u(&reference["cases"]));
    let boxes = reference["boxes"].as_array().unwrap();

    // First box: over all the points. The trajectory ends with pastes.
    let first = find_box(&data, &params).unwrap();
    compare_box(&first, &boxes[0], &of_box("1"), "box 1");
    assert!(first.steps().iter().any(|s| s.kind == StepKind::Paste));
    let last = first.steps().len() - 1;
    assert_eq!(u(&boxes[0]["selected"]), last);
    assert_eq!(first.choose(BoxChoice::Last, params.threshold), Some(last));

    // Second box: over the points the first (its last step, EMA
    // Workbench's default selection) left. Its density stays below the
    // threshold, so EMA Workbench would return a "dump box" and our
    // covering stops.
    let mut active = vec![true; data.len()];
    for i in first.select(last).unwrap().points {
        active[i] = false;
    }
    let second = find_box_in(&data, &params, &active).unwrap();
    compare_box(&second, &boxes[1], &of_box("2"), "box 2");
    assert_eq!(boxes[1]["accepted"], false);
    assert_eq!(second.choose(BoxChoice::Last, params.threshold), None);
    let covered = covering(&data, &params, BoxChoice::Last, 5).unwrap();
    assert_eq!(covered.len(), 1);
    assert_eq!(covered[0].step, first.steps()[last]);
}

/// 1,000 points uniform in [0,1]^5, cases where x0 > 0.7 and x2 < 0.4, 2%
/// of the labels flipped.
fn planted(seed: u64) -> Dataset {
    let mut rng = Pcg64Mcg::seed_from_u64(seed);
    let n = 1000;
    let columns: Vec<Vec<f64>> = (0..5)
        .map(|_| (0..n).map(|_| rng.random_range(0.0..1.0)).collect())
        .collect();
    let cases = (0..n)
        .map(|i| {
            (columns[0][i] > 0.7 && columns[2][i] < 0.4) != (rng.random_range(0.0..1.0) < 0.02)
        })
        .collect();
    let names = (0..5).map(|j| format!("x{j}")).collect();
    Dataset::new(names, columns, cases).unwrap()
}

#[test]
fn recovers_a_planted_box() {
    for seed in [1, 2, 3] {
        let data = planted(seed);
        let params = PrimParams::default();
        let found = find_box(&data, &params).unwrap();
        let index = found.most_coverage(params.threshold).unwrap();
        let b = found.select(index).unwrap();
        let dims: Vec<usize> = b.restrictions.iter().map(|r| r.dim).collect();
        assert_eq!(dims, [0, 2], "seed {seed}: restricted {:?}", b.restrictions);
        // Tolerance on the limits: one peel moves a side past peel_alpha =
        // 5% of the box's points; near the end the box spans about 0.3 of
        // x0 and 0.4 of x2, so one peel is about 0.02, and PRIM may stop a
        // peel short or go one too far because of the label noise. The
        // sampling error of a quantile of ~120 points in the box adds about
        // sqrt(0.05 * 0.95 / 120) * 0.3 ~ 0.006. Two peels plus that: 0.05.
        let (x0, x2) = (&b.restrictions[0], &b.restrictions[1]);
        assert!((x0.limit.lower - 0.7).abs() < 0.05, "seed {seed}: {x0:?}");
        assert!((x2.limit.upper - 0.4).abs() < 0.05, "seed {seed}: {x2:?}");
        assert_eq!((x0.qp_upper, x2.qp_lower), (None, None), "seed {seed}");
        // Each limit is highly significant: without it the density would
        // drop to ~0.3 (x0) or ~0.4 (x2) against ~0.95 in the box.
        assert!(
            x0.qp_lower.unwrap() < 1e-10 && x2.qp_upper.unwrap() < 1e-10,
            "seed {seed}: {b:?}"
        );
        assert!(
            b.step.density >= 0.9 && b.step.coverage >= 0.8,
            "seed {seed}: {:?}",
            b.step
        );
    }
}

fn names(d: usize) -> Vec<String> {
    (0..d).map(|j| format!("x{j}")).collect()
}

#[test]
fn refuses_invalid_data() {
    let e = |names: Vec<String>, columns: Vec<Vec<f64>>, cases: Vec<bool>| {
        Dataset::new(names, columns, cases).unwrap_err()
    };
    assert_eq!(e(vec![], vec![], vec![true]), PrimError::NoDimensions);
    assert_eq!(e(names(1), vec![vec![]], vec![]), PrimError::NoPoints);
    assert_eq!(
        e(names(2), vec![vec![1.0]], vec![true]),
        PrimError::NamesMismatch {
            names: 2,
            columns: 1
        }
    );
    assert_eq!(
        e(
            vec!["a".into(), "a".into()],
            vec![vec![1.0], vec![2.0]],
            vec![true]
        ),
        PrimError::DuplicateName("a".into())
    );
    let short = e(names(2), vec![vec![1.0, 2.0], vec![1.0]], vec![true, false]);
    assert_eq!(
        short.to_string(),
        "dimension `x1` has 1 values, but there are 2 case flags"
    );
    let nan = e(names(1), vec![vec![1.0, f64::NAN]], vec![true, false]);
    assert_eq!(
        nan,
        PrimError::NotFinite {
            dim: "x0".into(),
            point: 1
        }
    );
    assert_eq!(
        nan.to_string(),
        "dimension `x0` has a NaN or infinite value at point 1"
    );
    assert!(matches!(
        e(names(1), vec![vec![f64::INFINITY]], vec![true]),
        PrimError::NotFinite { .. }
    ));
    assert_eq!(
        e(names(1), vec![vec![1.0, 2.0]], vec![false, false]),
        PrimError::NoCases(2)
    );

    let rows = |rows: &[Vec<f64>], cases: Vec<bool>| Dataset::from_rows(names(2), rows, cases);
    assert_eq!(
        rows(&[vec![1.0, 2.0], vec![3.0]], vec![true, true]),
        Err(PrimError::RowLength {
            row: 1,
            got: 1,
            expected: 2
        })
    );
    assert_eq!(
        rows(&[vec![1.0, 2.0]], vec![true, true]),
        Err(PrimError::RowCount { rows: 1, cases: 2 })
    );
    let ok = rows(&[vec![1.0, 2.0], vec![3.0, 4.0]], vec![true, false]).unwrap();
    assert_eq!(
        (ok.column(1), ok.len(), ok.dims(), ok.n_cases()),
        (&[2.0, 4.0][..], 2, 2, 1)
    );
}

#[test]
fn refuses_invalid_parameters_and_requests() {
    let base = PrimParams::default();
    assert_eq!(base.validate(), Ok(()));
    for (params, message) in [
        (
            PrimParams {
                peel_alpha: 0.0,
                ..base
            },
            "peel_alpha must be in (0, 0.5), got 0",
        ),
        (
            PrimParams {
                peel_alpha: 0.5,
                ..base
            },
            "peel_alpha must be in (0, 0.5), got 0.5",
        ),
        (
            PrimParams {
                peel_alpha: f64::NAN,
                ..base
            },
            "peel_alpha must be in (0, 0.5), got NaN",
        ),
        (
            PrimParams {
                paste_alpha: -0.1,
                ..base
            },
            "paste_alpha must be in (0, 0.5), got -0.1",
        ),
        (
            PrimParams {
                mass_min: 0.0,
                ..base
            },
            "mass_min must be in (0, 1), got 0",
        ),
        (
            PrimParams {
                mass_min: 1.0,
                ..base
            },
            "mass_min must be in (0, 1), got 1",
        ),
        (
            PrimParams {
                threshold: 1.5,
                ..base
            },
            "threshold must be in [0, 1], got 1.5",
        ),
        (
            PrimParams {
                threshold: f64::NAN,
                ..base
            },
            "threshold must be in [0, 1], got NaN",
        ),
    ] {
        assert_eq!(params.validate().unwrap_err().to_string(), message);
        let data = Dataset::new(names(1), vec![vec![0.0, 1.0]], vec![true, false]).unwrap();
        assert_eq!(find_box(&data, &params).unwrap_err().to_string(), message);
        assert_eq!(
            covering(&data, &params, BoxChoice::Last, 2)
                .unwrap_err()
                .to_string(),
            message
        );
    }
    let data = Dataset::new(names(1), vec![vec![0.0, 1.0]], vec![true, false]).unwrap();
    assert_eq!(
        find_box_in(&data, &base, &[true]).unwrap_err(),
        PrimError::MaskLength {
            got: 1,
            expected: 2
        }
    );
    assert_eq!(
        find_box_in(&data, &base, &[false, false]).unwrap_err(),
        PrimError::NoPoints
    );
    let found = find_box(&data, &base).unwrap();
    let len = found.steps().len();
    assert_eq!(
        found.select(len).unwrap_err(),
        PrimError::BoxIndex { index: len, len }
    );
}

/// Random data: 1-30 points, 1-3 dimensions, each column continuous,
/// on a coarse grid (ties) or constant; at least one case, sometimes all.
fn arbitrary_data() -> impl Strategy<Value = Dataset> {
    (1usize..=30, 1usize..=3).prop_flat_map(|(n, d)| {
        let column =
            (0u8..3, prop::collection::vec(-5.0..5.0f64, n)).prop_map(|(kind, xs)| match kind {
                0 => xs,
                1 => xs.iter().map(|x| x.round()).collect(),
                _ => vec![xs[0]; xs.len()],
            });
        (
            prop::collection::vec(column, d),
            prop::collection::vec(any::<bool>(), n),
            0..n,
            any::<bool>(),
        )
            .prop_map(move |(columns, mut cases, forced, all)| {
                cases[forced] = true;
                if all {
                    cases.iter_mut().for_each(|c| *c = true);
                }
                Dataset::new(names(d), columns, cases).unwrap()
            })
    })
}

fn arbitrary_params() -> impl Strategy<Value = PrimParams> {
    (0.01..0.49f64, 0.01..0.49f64, 0.01..0.99f64, 0.0..=1.0f64).prop_map(
        |(peel_alpha, paste_alpha, mass_min, threshold)| PrimParams {
            peel_alpha,
            paste_alpha,
            mass_min,
            threshold,
        },
    )
}

proptest! {
    #![proptest_config(ProptestConfig::with_cases(256))]
    #[test]
    fn trajectories_stay_in_range(data in arbitrary_data(), params in arbitrary_params()) {
        let found = find_box(&data, &params).unwrap();
        let steps = found.steps();
        let unit = |x: f64| (0.0..=1.0).contains(&x);
        prop_assert_eq!(steps[0].kind, StepKind::Initial);
        prop_assert_eq!((steps[0].n, steps[0].mass, steps[0].coverage, steps[0].res_dim), (data.len(), 1.0, 1.0, 0));
        if data.n_cases() == data.len() {
            // Nothing to gain: every box has density 1.
            prop_assert_eq!(steps.len(), 1);
        }
        for (i, s) in steps.iter().enumerate() {
            prop_assert!(unit(s.coverage) && unit(s.density) && unit(s.mass), "{:?}", s);
            prop_assert!(s.n >= 1 && s.k <= s.n && s.res_dim <= data.dims());
            prop_assert_eq!(s.coverage, s.k as f64 / data.n_cases() as f64);
            for (j, l) in s.limits.iter().enumerate() {
                let b = found.initial_limits()[j];
                prop_assert!(b.lower <= l.lower && l.lower <= l.upper && l.upper <= b.upper, "{:?} in {:?}", l, b);
            }
            if i > 0 {
                let prev = &steps[i - 1];
                prop_assert!(s.mass >= params.mass_min);
                match s.kind {
                    StepKind::Peel => prop_assert!(s.n < prev.n && prev.kind != StepKind::Paste),
                    StepKind::Paste => prop_assert!(s.n > prev.n && s.density > prev.density),
                    StepKind::Initial => prop_assert!(false, "a second initial box"),
                }
            }
            let sel = found.select(i).unwrap();
            prop_assert_eq!(sel.points.len(), s.n);
            prop_assert_eq!(sel.points.iter().filter(|&&p| data.cases()[p]).count(), s.k);
            prop_assert_eq!(sel.restrictions.len(), s.res_dim);
            for r in &sel.restrictions {
                prop_assert!(r.qp_lower.is_some() || r.qp_upper.is_some());
                prop_assert!(r.qp_lower.into_iter().chain(r.qp_upper).all(unit), "{:?}", r);
                let col = data.column(r.dim);
                prop_assert!(sel.points.iter().all(|&p| r.limit.lower <= col[p] && col[p] <= r.limit.upper));
            }
        }
        if let Some(i) = found.most_coverage(params.threshold) {
            prop_assert!(steps[i].density >= params.threshold);
            prop_assert!(steps.iter().all(|s| s.density < params.threshold || s.coverage <= steps[i].coverage));
        }
    }

    #[test]
    fn covering_finds_disjoint_dense_boxes(data in arbitrary_data(), params in arbitrary_params(), last in any::<bool>()) {
        let choice = if last { BoxChoice::Last } else { BoxChoice::MostCoverage };
        let boxes = covering(&data, &params, choice, 4).unwrap();
        prop_assert!(boxes.len() <= 4);
        let mut seen = vec![false; data.len()];
        for b in &boxes {
            prop_assert!(b.step.density >= params.threshold && !b.points.is_empty());
            for &p in &b.points {
                prop_assert!(!seen[p], "point {} in two boxes", p);
                seen[p] = true;
            }
        }
    }
}
