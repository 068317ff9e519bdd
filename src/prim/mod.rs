//! PRIM, the Patient Rule Induction Method (Friedman & Fisher 1999, "Bump
//! hunting in high-dimensional data", Statistics and Computing 9:123-143),
//! for scenario discovery: given many sampled worlds (points in the space
//! of continuous uncertainties) and which of them are cases of interest
//! (say, "the policy fails here"), find a box, a few intervals on a few
//! uncertainties, that holds a large share of the cases (coverage) and
//! mostly cases (density).
//!
//! It reproduces EMA Workbench's `ema_workbench.analysis.prim` (Kwakkel;
//! version 2.5.3, itself modelled on sdtoolkit, Bryant & Lempert 2010) in
//! binary mode with its defaults: the `LENIENT1` objective, sdtoolkit's
//! quantiles and tie handling, pasting after peeling, quasi-p values, and
//! covering by removing a selected box's points. tests/prim.rs checks the
//! peeling trajectory, limits and quasi-p values against its output (they
//! agree bit for bit, quasi-p values to ~1e-13). Not reproduced: EMA
//! Workbench's integer and categorical peels (every dimension here is
//! continuous), its regression mode, `threshold_type=BELOW`, the `LENIENT2`
//! and `ORIGINAL` objectives and Guivarch et al.'s covering variant; its
//! `threshold` also decides which points are cases, here the caller does.
//! Pure functions: no I/O, no printing; invalid input is refused with a
//! [`PrimError`], never a panic.
//!
//! - `search`: peeling and pasting (one trajectory);
//! - `select`: choosing a box on a trajectory, quasi-p values, covering.
//!
//! ```
//! use goodhart::prim::{Dataset, PrimParams, find_box};
//!
//! // 400 points on a grid over [0,1]^2; the cases are where x > 0.6.
//! let x: Vec<f64> = (0..400).map(|i| (i % 20) as f64 / 19.0).collect();
//! let y: Vec<f64> = (0..400).map(|i| (i / 20) as f64 / 19.0).collect();
//! let cases = x.iter().map(|&x| x > 0.6).collect();
//! let data = Dataset::new(vec!["x".into(), "y".into()], vec![x, y], cases)?;
//! let found = find_box(&data, &PrimParams::default())?;
//! let best = found.most_coverage(0.8).expect("a box with density >= 0.8");
//! let b = found.select(best)?;
//! assert_eq!(b.restrictions.len(), 1);
//! assert_eq!(b.restrictions[0].name, "x");
//! assert!(b.restrictions[0].limit.lower > 0.55 && b.restrictions[0].limit.lower < 0.65);
//! assert!(b.restrictions[0].qp_lower.unwrap() < 1e-6);
//! assert_eq!((b.step.density, b.step.coverage), (1.0, 1.0));
//! # Ok::<(), goodhart::prim::PrimError>(())
//! ```

mod search;
mod select;

pub use select::{BoxChoice, Restriction, SelectedBox, covering};

/// Why PRIM refused its input.
#[derive(Clone, Debug, PartialEq, thiserror::Error)]
pub enum PrimError {
    #[error("peel_alpha must be in (0, 0.5), got {0}")]
    PeelAlpha(f64),
    #[error("paste_alpha must be in (0, 0.5), got {0}")]
    PasteAlpha(f64),
    #[error("mass_min must be in (0, 1), got {0}")]
    MassMin(f64),
    #[error("threshold must be in [0, 1], got {0}")]
    Threshold(f64),
    #[error("no dimensions: PRIM needs at least one uncertainty")]
    NoDimensions,
    #[error("no points: PRIM needs at least one")]
    NoPoints,
    #[error("{names} dimension names for {columns} columns")]
    NamesMismatch { names: usize, columns: usize },
    #[error("dimension name `{0}` is given twice")]
    DuplicateName(String),
    #[error("dimension `{dim}` has {got} values, but there are {expected} case flags")]
    ColumnLength {
        dim: String,
        got: usize,
        expected: usize,
    },
    #[error("row {row} has {got} values, but there are {expected} dimensions")]
    RowLength {
        row: usize,
        got: usize,
        expected: usize,
    },
    #[error("{rows} rows of values, but {cases} case flags")]
    RowCount { rows: usize, cases: usize },
    #[error("dimension `{dim}` has a NaN or infinite value at point {point}")]
    NotFinite { dim: String, point: usize },
    #[error("no case of interest among the {0} points: there is nothing to find")]
    NoCases(usize),
    #[error("the point mask has {got} entries, but there are {expected} points")]
    MaskLength { got: usize, expected: usize },
    #[error("box {index} is not on the trajectory ({len} boxes)")]
    BoxIndex { index: usize, len: usize },
}

/// The points PRIM searches: `n` points in `d` continuous dimensions,
/// stored column by column, and whether each point is a case of interest.
#[derive(Clone, Debug, PartialEq)]
pub struct Dataset {
    names: Vec<String>,
    columns: Vec<Vec<f64>>,
    cases: Vec<bool>,
    n_cases: usize,
}

impl Dataset {
    /// Checks and keeps `columns[j][i]`, the value of dimension `j` at
    /// point `i`, named `names[j]`, and `cases[i]`.
    pub fn new(
        names: Vec<String>,
        columns: Vec<Vec<f64>>,
        cases: Vec<bool>,
    ) -> Result<Self, PrimError> {
        if columns.is_empty() {
            return Err(PrimError::NoDimensions);
        }
        if names.len() != columns.len() {
            return Err(PrimError::NamesMismatch {
                names: names.len(),
                columns: columns.len(),
            });
        }
        for (j, name) in names.iter().enumerate() {
            if names[..j].contains(name) {
                return Err(PrimError::DuplicateName(name.clone()));
            }
        }
        let n = cases.len();
        if n == 0 {
            return Err(PrimError::NoPoints);
        }
        for (name, col) in names.iter().zip(&columns) {
            if col.len() != n {
                return Err(PrimError::ColumnLength {
                    dim: name.clone(),
                    got: col.len(),
                    expected: n,
                });
            }
            if let Some(point) = col.iter().position(|x| !x.is_finite()) {
                return Err(PrimError::NotFinite {
                    dim: name.clone(),
                    point,
                });
            }
        }
        let n_cases = cases.iter().filter(|&&c| c).count();
        if n_cases == 0 {
            return Err(PrimError::NoCases(n));
        }
        Ok(Dataset {
            names,
            columns,
            cases,
            n_cases,
        })
    }

    /// The same from rows: `rows[i][j]` is dimension `j` at point `i`.
    pub fn from_rows<R: AsRef<[f64]>>(
        names: Vec<String>,
        rows: &[R],
        cases: Vec<bool>,
    ) -> Result<Self, PrimError> {
        let d = names.len();
        let mut columns = vec![Vec::with_capacity(rows.len()); d];
        for (row, r) in rows.iter().enumerate() {
            let r = r.as_ref();
            if r.len() != d {
                return Err(PrimError::RowLength {
                    row,
                    got: r.len(),
                    expected: d,
                });
            }
            for (col, &x) in columns.iter_mut().zip(r) {
                col.push(x);
            }
        }
        if rows.len() != cases.len() {
            return Err(PrimError::RowCount {
                rows: rows.len(),
                cases: cases.len(),
            });
        }
        Dataset::new(names, columns, cases)
    }

    /// Number of points.
    pub fn len(&self) -> usize {
        self.cases.len()
    }

    /// Always false: a dataset has at least one point.
    pub fn is_empty(&self) -> bool {
        self.cases.is_empty()
    }

    /// Number of dimensions.
    pub fn dims(&self) -> usize {
        self.columns.len()
    }

    /// Dimension names.
    pub fn names(&self) -> &[String] {
        &self.names
    }

    /// The values of dimension `j` (panics if `j >= dims()`, like slicing).
    pub fn column(&self, j: usize) -> &[f64] {
        &self.columns[j]
    }

    /// Whether each point is a case of interest.
    pub fn cases(&self) -> &[bool] {
        &self.cases
    }

    /// Number of cases of interest (at least one).
    pub fn n_cases(&self) -> usize {
        self.n_cases
    }

    /// The smallest box holding every point: the initial box.
    fn bounds(&self) -> Vec<Limit> {
        self.columns
            .iter()
            .map(|c| Limit {
                lower: c.iter().copied().fold(f64::INFINITY, f64::min),
                upper: c.iter().copied().fold(f64::NEG_INFINITY, f64::max),
            })
            .collect()
    }
}

/// PRIM's parameters, with EMA Workbench's defaults.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct PrimParams {
    /// Share of the box's points a peel removes along one side (0.05).
    pub peel_alpha: f64,
    /// Share of the points just outside a side a paste adds (0.05).
    pub paste_alpha: f64,
    /// Smallest share of all points a box may hold (0.05).
    pub mass_min: f64,
    /// Density a box must reach to be kept (0.8).
    pub threshold: f64,
}

impl Default for PrimParams {
    fn default() -> Self {
        PrimParams {
            peel_alpha: 0.05,
            paste_alpha: 0.05,
            mass_min: 0.05,
            threshold: 0.8,
        }
    }
}

impl PrimParams {
    /// Refuses values outside the ranges PRIM makes sense for (NaN too).
    pub fn validate(&self) -> Result<(), PrimError> {
        let open = |x: f64, hi: f64| x > 0.0 && x < hi;
        if !open(self.peel_alpha, 0.5) {
            return Err(PrimError::PeelAlpha(self.peel_alpha));
        }
        if !open(self.paste_alpha, 0.5) {
            return Err(PrimError::PasteAlpha(self.paste_alpha));
        }
        if !open(self.mass_min, 1.0) {
            return Err(PrimError::MassMin(self.mass_min));
        }
        if !(0.0..=1.0).contains(&self.threshold) {
            return Err(PrimError::Threshold(self.threshold));
        }
        Ok(())
    }
}

/// A box's interval on one dimension, inclusive on both sides.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Limit {
    pub lower: f64,
    pub upper: f64,
}

/// How a trajectory entry was reached.
#[derive(Clone, Copy, Debug, PartialEq, Eq)]
pub enum StepKind {
    /// The box around all the points searched.
    Initial,
    /// One side moved in.
    Peel,
    /// One side moved out.
    Paste,
}

/// One box on the peeling-and-pasting trajectory.
#[derive(Clone, Debug, PartialEq)]
pub struct BoxStep {
    pub kind: StepKind,
    /// Per dimension, in the dataset's order.
    pub limits: Vec<Limit>,
    /// Points inside.
    pub n: usize,
    /// Cases of interest inside.
    pub k: usize,
    /// Share of all the dataset's cases that are inside (k / cases).
    pub coverage: f64,
    /// Share of the points inside that are cases (k / n).
    pub density: f64,
    /// Share of all the dataset's points that are inside (n / points).
    pub mass: f64,
    /// Dimensions whose limits differ from the initial box's.
    pub res_dim: usize,
}

/// The result of one PRIM search: the trajectory of boxes, from the box
/// around every point searched to the last peel or paste.
#[derive(Clone, Debug)]
pub struct PrimBox<'a> {
    data: &'a Dataset,
    initial: Vec<Limit>,
    remaining: Vec<usize>,
    steps: Vec<BoxStep>,
}

impl<'a> PrimBox<'a> {
    /// The trajectory (never empty: the initial box comes first).
    pub fn steps(&self) -> &[BoxStep] {
        &self.steps
    }

    /// The box around the whole dataset, which defines "restricted".
    pub fn initial_limits(&self) -> &[Limit] {
        &self.initial
    }

    /// The points searched (all of them, or those covering left).
    pub fn remaining(&self) -> &[usize] {
        &self.remaining
    }

    /// The dataset searched.
    pub fn data(&self) -> &'a Dataset {
        self.data
    }
}

/// Runs PRIM (peeling, then pasting) over every point of `data`.
pub fn find_box<'a>(data: &'a Dataset, params: &PrimParams) -> Result<PrimBox<'a>, PrimError> {
    find_box_in(data, params, &vec![true; data.len()])
}

/// Runs PRIM over the points whose `active` flag is set (covering runs it
/// over the points earlier boxes left). Limits, coverage and mass stay
/// relative to the whole dataset, as in EMA Workbench.
pub fn find_box_in<'a>(
    data: &'a Dataset,
    params: &PrimParams,
    active: &[bool],
) -> Result<PrimBox<'a>, PrimError> {
    params.validate()?;
    if active.len() != data.len() {
        return Err(PrimError::MaskLength {
            got: active.len(),
            expected: data.len(),
        });
    }
    let remaining: Vec<usize> = (0..data.len()).filter(|&i| active[i]).collect();
    if remaining.is_empty() {
        return Err(PrimError::NoPoints);
    }
    let initial = data.bounds();
    let steps = search::trajectory(data, params, &remaining, &initial);
    Ok(PrimBox {
        data,
        initial,
        remaining,
        steps,
    })
}
