//! Experimental designs: the points of a sweep.
//!
//! Grid points are the cartesian product of value lists (first parameter
//! slowest). The sampling designs work in the unit cube and map each
//! coordinate to a parameter value: ranges linearly, value lists by equal
//! bins. LHS stratifies every coordinate (McKay et al. 1979); Sobol follows
//! Saltelli (2010): base matrices A and B from one Owen-scrambled Sobol
//! sequence (`sobol_burley`), and for each base sample j the points A_j,
//! B_j, then AB_j^(i) (A_j with coordinate i taken from B_j) for each
//! parameter i; Morris (1991) uses trajectories of k + 1 points on a grid
//! of p levels with steps of Delta = p / (2 (p - 1)), one factor at a time,
//! in random order.

use crate::model::rng;
use crate::params::registry::{Kind, Value};
use crate::scenario::sweep_spec::{Design, Domain, SweepParam, SweepSpec};
use rand::RngExt;

/// One design point: a value per swept parameter and, for sampling
/// designs, its unit-cube coordinates.
#[derive(Clone, Debug, PartialEq)]
pub struct Point {
    pub values: Vec<Value>,
    pub unit: Option<Vec<f64>>,
}

/// Maps a unit coordinate to a parameter value.
pub fn unit_to_value(p: &SweepParam, u: f64) -> Value {
    match &p.domain {
        Domain::Range { low, high } => {
            let x = low + u * (high - low);
            match p.def.kind {
                Kind::Integer { .. } => Value::Int(x.round() as i64),
                _ => Value::Real(x),
            }
        }
        Domain::Values(vs) => {
            let i = ((u * vs.len() as f64).floor() as usize).min(vs.len() - 1);
            vs[i].clone()
        }
    }
}

/// All points of a design, in the order runs and point ids follow.
pub fn points(spec: &SweepSpec, seed: u64) -> Vec<Point> {
    let units: Vec<Vec<f64>> = match spec.design {
        Design::Grid => return grid(spec),
        Design::Lhs => lhs(spec.params.len(), spec.samples, seed),
        Design::Sobol => saltelli(spec.params.len(), spec.samples, seed),
        Design::Morris => morris(spec.params.len(), spec.samples, spec.levels, seed),
    };
    units
        .into_iter()
        .map(|u| Point {
            values: spec
                .params
                .iter()
                .zip(&u)
                .map(|(p, &x)| unit_to_value(p, x))
                .collect(),
            unit: Some(u),
        })
        .collect()
}

fn grid(spec: &SweepSpec) -> Vec<Point> {
    let lists: Vec<&[Value]> = spec
        .params
        .iter()
        .map(|p| match &p.domain {
            Domain::Values(v) => v.as_slice(),
            Domain::Range { .. } => &[],
        })
        .collect();
    let mut out = vec![Vec::new()];
    for list in lists {
        out = out
            .into_iter()
            .flat_map(|prefix: Vec<Value>| {
                list.iter().map(move |v| {
                    let mut p = prefix.clone();
                    p.push(v.clone());
                    p
                })
            })
            .collect();
    }
    out.into_iter()
        .map(|values| Point { values, unit: None })
        .collect()
}

fn design_rng(seed: u64) -> rand_pcg::Pcg64Mcg {
    rng::stream(seed, "design", 0)
}

/// `n` points in [0, 1)^k with exactly one point in each of the n strata of
/// every coordinate.
pub fn lhs(k: usize, n: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut r = design_rng(seed);
    let mut pts = vec![vec![0.0; k]; n];
    for d in 0..k {
        let mut perm: Vec<usize> = (0..n).collect();
        for i in (1..n).rev() {
            let j = r.random_range(0..=i);
            perm.swap(i, j);
        }
        for (i, p) in pts.iter_mut().enumerate() {
            p[d] = (perm[i] as f64 + r.random::<f64>()) / n as f64;
        }
    }
    pts
}

/// The first `n` points of an Owen-scrambled Sobol sequence in [0, 1)^k
/// (a low-discrepancy sample of worlds for an exploration).
pub fn sobol(k: usize, n: usize, seed: u64) -> Vec<Vec<f64>> {
    let scramble = (seed ^ (seed >> 32)) as u32;
    (0..n as u32)
        .map(|j| {
            (0..k as u32)
                .map(|d| f64::from(sobol_burley::sample(j, d, scramble)))
                .collect()
        })
        .collect()
}

/// Saltelli's sampling scheme: for each base sample j, A_j, B_j and the k
/// points AB_j^(i).
pub fn saltelli(k: usize, n: usize, seed: u64) -> Vec<Vec<f64>> {
    let scramble = (seed ^ (seed >> 32)) as u32;
    let mut pts = Vec::with_capacity(n * (k + 2));
    for j in 0..n as u32 {
        let a: Vec<f64> = (0..k as u32)
            .map(|d| f64::from(sobol_burley::sample(j, d, scramble)))
            .collect();
        let b: Vec<f64> = (0..k as u32)
            .map(|d| f64::from(sobol_burley::sample(j, k as u32 + d, scramble)))
            .collect();
        pts.push(a.clone());
        pts.push(b.clone());
        for i in 0..k {
            let mut ab = a.clone();
            ab[i] = b[i];
            pts.push(ab);
        }
    }
    pts
}

/// `r` Morris trajectories of k + 1 points on a `levels`-level grid.
pub fn morris(k: usize, r: usize, levels: usize, seed: u64) -> Vec<Vec<f64>> {
    let mut rng = design_rng(seed);
    let p = levels as f64;
    let delta = p / (2.0 * (p - 1.0));
    let mut pts = Vec::with_capacity(r * (k + 1));
    for _ in 0..r {
        let mut x: Vec<f64> = (0..k)
            .map(|_| rng.random_range(0..levels) as f64 / (p - 1.0))
            .collect();
        let mut order: Vec<usize> = (0..k).collect();
        for i in (1..k).rev() {
            let j = rng.random_range(0..=i);
            order.swap(i, j);
        }
        pts.push(x.clone());
        for &i in &order {
            x[i] = if x[i] + delta <= 1.0 + 1e-12 {
                x[i] + delta
            } else {
                x[i] - delta
            };
            pts.push(x.clone());
        }
    }
    pts
}

#[cfg(test)]
mod tests {
    use super::*;
    use crate::params::{MODEL_PARAMS, registry::find};
    use crate::scenario::sweep_spec::Record;

    fn spec(design: Design, params: Vec<SweepParam>, samples: usize) -> SweepSpec {
        SweepSpec {
            design,
            params,
            samples,
            levels: 4,
            replicates: 1,
            record: Record::Final,
            bootstrap: 100,
        }
    }

    fn param(name: &str, domain: Domain) -> SweepParam {
        SweepParam {
            def: find(MODEL_PARAMS, name).unwrap(),
            domain,
        }
    }

    #[test]
    fn grid_is_the_cartesian_product_first_parameter_slowest() {
        let s = spec(
            Design::Grid,
            vec![
                param(
                    "adoption_target",
                    Domain::Values(vec![Value::Real(0.0), Value::Real(0.8)]),
                ),
                param(
                    "leaderboard",
                    Domain::Values(
                        ["none", "team", "org"]
                            .map(|w| Value::Text(w.into()))
                            .to_vec(),
                    ),
                ),
            ],
            1,
        );
        let pts = points(&s, 1);
        assert_eq!(pts.len(), 6);
        assert_eq!(s.point_count(), 6);
        assert_eq!(
            pts[0].values,
            vec![Value::Real(0.0), Value::Text("none".into())]
        );
        assert_eq!(
            pts[2].values,
            vec![Value::Real(0.0), Value::Text("org".into())]
        );
        assert_eq!(
            pts[3].values,
            vec![Value::Real(0.8), Value::Text("none".into())]
        );
    }

    #[test]
    fn lhs_has_one_point_per_stratum_in_every_dimension() {
        let n = 50;
        let pts = lhs(3, n, 9);
        for d in 0..3 {
            let mut strata: Vec<usize> = pts
                .iter()
                .map(|p| (p[d] * n as f64).floor() as usize)
                .collect();
            strata.sort_unstable();
            assert_eq!(strata, (0..n).collect::<Vec<_>>(), "dimension {d}");
        }
    }

    #[test]
    fn saltelli_blocks_share_coordinates_as_the_scheme_requires() {
        let (k, n) = (3, 8);
        let pts = saltelli(k, n, 5);
        assert_eq!(pts.len(), n * (k + 2));
        for j in 0..n {
            let blk = &pts[j * (k + 2)..(j + 1) * (k + 2)];
            let (a, b) = (&blk[0], &blk[1]);
            for i in 0..k {
                let ab = &blk[2 + i];
                for d in 0..k {
                    assert_eq!(ab[d], if d == i { b[d] } else { a[d] });
                }
            }
        }
    }

    #[test]
    fn morris_steps_change_one_factor_by_delta() {
        let (k, r, levels) = (4, 10, 4);
        let pts = morris(k, r, levels, 3);
        let delta = 4.0 / 6.0;
        for t in 0..r {
            let traj = &pts[t * (k + 1)..(t + 1) * (k + 1)];
            let mut moved = vec![false; k];
            for w in traj.windows(2) {
                let changed: Vec<usize> = (0..k).filter(|&d| w[0][d] != w[1][d]).collect();
                assert_eq!(changed.len(), 1);
                let d = changed[0];
                assert!(((w[1][d] - w[0][d]).abs() - delta).abs() < 1e-12);
                assert!((0.0..=1.0).contains(&w[1][d]));
                moved[d] = true;
            }
            assert!(
                moved.iter().all(|&m| m),
                "each factor moves once per trajectory"
            );
        }
    }

    #[test]
    fn unit_values_map_to_ranges_and_bins() {
        let p = param(
            "adoption_target",
            Domain::Range {
                low: 0.2,
                high: 0.6,
            },
        );
        assert_eq!(unit_to_value(&p, 0.5), Value::Real(0.4));
        let c = param(
            "leaderboard",
            Domain::Values(["none", "org"].map(|w| Value::Text(w.into())).to_vec()),
        );
        assert_eq!(unit_to_value(&c, 0.49), Value::Text("none".into()));
        assert_eq!(unit_to_value(&c, 0.99), Value::Text("org".into()));
        let i = param(
            "top_k",
            Domain::Range {
                low: 0.0,
                high: 10.0,
            },
        );
        assert_eq!(unit_to_value(&i, 0.26), Value::Int(3));
    }
}
