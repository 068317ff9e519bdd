//! Clipping in data coordinates, so that no mark leaves its plot area:
//! lines are cut where they cross the frame (Liang-Barsky) and broken at
//! missing values, filled bands are cut to the frame (Sutherland-Hodgman).
//! plotters draws whatever it is given, including points far outside the
//! axes, so every chart draws through these.

/// A point in data coordinates.
pub type Pt = (f64, f64);

/// The plot rectangle: x in `x.0..=x.1`, y in `y.0..=y.1`.
#[derive(Clone, Copy, Debug, PartialEq)]
pub struct Rect {
    pub x: (f64, f64),
    pub y: (f64, f64),
}

impl Rect {
    pub fn contains(&self, p: Pt) -> bool {
        p.0 >= self.x.0 && p.0 <= self.x.1 && p.1 >= self.y.0 && p.1 <= self.y.1
    }

    /// The part of segment `a`-`b` inside the rectangle (Liang-Barsky).
    pub fn segment(&self, a: Pt, b: Pt) -> Option<(Pt, Pt)> {
        let (dx, dy) = (b.0 - a.0, b.1 - a.1);
        let (mut t0, mut t1) = (0.0f64, 1.0f64);
        for (p, q) in [
            (-dx, a.0 - self.x.0),
            (dx, self.x.1 - a.0),
            (-dy, a.1 - self.y.0),
            (dy, self.y.1 - a.1),
        ] {
            if p == 0.0 {
                if q < 0.0 {
                    return None;
                }
            } else {
                let t = q / p;
                if p < 0.0 {
                    t0 = t0.max(t);
                } else {
                    t1 = t1.min(t);
                }
            }
        }
        if t0 > t1 {
            return None;
        }
        let at = |t: f64| {
            if t == 0.0 {
                a
            } else if t == 1.0 {
                b
            } else {
                (a.0 + t * dx, a.1 + t * dy)
            }
        };
        Some((at(t0), at(t1)))
    }

    /// The visible pieces of a polyline: broken where a point is not
    /// finite (a missing week is a gap, not a line to zero) and where the
    /// line leaves the rectangle.
    pub fn polyline(&self, points: &[Pt]) -> Vec<Vec<Pt>> {
        let mut out: Vec<Vec<Pt>> = Vec::new();
        let mut open = false;
        let finite = |p: &Pt| p.0.is_finite() && p.1.is_finite();
        for w in points.windows(2) {
            let (a, b) = (w[0], w[1]);
            if !(finite(&a) && finite(&b)) {
                open = false;
                continue;
            }
            match self.segment(a, b) {
                Some((p, q)) => {
                    match out.last_mut() {
                        Some(path) if open && p == a => path.push(q),
                        _ => out.push(vec![p, q]),
                    }
                    open = q == b;
                }
                None => open = false,
            }
        }
        // A lone finite point inside (one week between gaps) is kept as a
        // one-point path, drawn as a dot by the caller.
        for (i, p) in points.iter().enumerate() {
            let prev = i > 0 && finite(&points[i - 1]);
            let next = i + 1 < points.len() && finite(&points[i + 1]);
            if finite(p) && !prev && !next && self.contains(*p) {
                out.push(vec![*p]);
            }
        }
        out
    }

    /// A polygon cut to the rectangle (Sutherland-Hodgman; the rectangle
    /// is convex, so the result is one polygon, possibly empty).
    pub fn polygon(&self, points: &[Pt]) -> Vec<Pt> {
        type Inside = Box<dyn Fn(Pt) -> bool>;
        type Cross = Box<dyn Fn(Pt, Pt) -> Pt>;
        let r = *self;
        let edges: [(Inside, Cross); 4] = [
            (
                Box::new(move |p: Pt| p.0 >= r.x.0),
                Box::new(move |a: Pt, b: Pt| cross_x(a, b, r.x.0)),
            ),
            (
                Box::new(move |p: Pt| p.0 <= r.x.1),
                Box::new(move |a: Pt, b: Pt| cross_x(a, b, r.x.1)),
            ),
            (
                Box::new(move |p: Pt| p.1 >= r.y.0),
                Box::new(move |a: Pt, b: Pt| cross_y(a, b, r.y.0)),
            ),
            (
                Box::new(move |p: Pt| p.1 <= r.y.1),
                Box::new(move |a: Pt, b: Pt| cross_y(a, b, r.y.1)),
            ),
        ];
        let mut poly: Vec<Pt> = points
            .iter()
            .copied()
            .filter(|p| p.0.is_finite() && p.1.is_finite())
            .collect();
        for (inside, cross) in &edges {
            if poly.is_empty() {
                break;
            }
            let input = std::mem::take(&mut poly);
            for (i, &cur) in input.iter().enumerate() {
                let prev = input[(i + input.len() - 1) % input.len()];
                match (inside(prev), inside(cur)) {
                    (true, true) => poly.push(cur),
                    (true, false) => poly.push(cross(prev, cur)),
                    (false, true) => {
                        poly.push(cross(prev, cur));
                        poly.push(cur);
                    }
                    (false, false) => {}
                }
            }
        }
        poly
    }
}

fn cross_x(a: Pt, b: Pt, x: f64) -> Pt {
    let t = (x - a.0) / (b.0 - a.0);
    (x, a.1 + t * (b.1 - a.1))
}

fn cross_y(a: Pt, b: Pt, y: f64) -> Pt {
    let t = (y - a.1) / (b.1 - a.1);
    (a.0 + t * (b.0 - a.0), y)
}

/// Runs of consecutive indices where `keep` holds (a band is drawn per
/// run, so a missing week leaves a gap).
pub fn runs<T>(items: &[T], keep: impl Fn(&T) -> bool) -> Vec<&[T]> {
    items
        .split(|x| !keep(x))
        .filter(|r| !r.is_empty())
        .collect()
}

#[cfg(test)]
mod tests {
    use super::*;
    use proptest::prelude::*;

    const R: Rect = Rect {
        x: (0.0, 10.0),
        y: (0.0, 1.0),
    };

    #[test]
    fn lines_are_cut_at_the_frame_and_broken_at_nan() {
        let pieces = R.polyline(&[(0.0, 0.5), (5.0, 2.0), (10.0, 0.5)]);
        assert_eq!(pieces.len(), 2);
        assert!(pieces.iter().flatten().all(|&p| R.contains(p)));
        let gap = R.polyline(&[
            (0.0, 0.2),
            (1.0, 0.3),
            (2.0, f64::NAN),
            (3.0, 0.4),
            (4.0, 0.4),
        ]);
        assert_eq!(
            gap,
            vec![vec![(0.0, 0.2), (1.0, 0.3)], vec![(3.0, 0.4), (4.0, 0.4)]]
        );
        let lone = R.polyline(&[(0.0, f64::NAN), (1.0, 0.3), (2.0, f64::NAN)]);
        assert_eq!(lone, vec![vec![(1.0, 0.3)]]);
    }

    #[test]
    fn bands_are_cut_to_the_frame() {
        let band = [(0.0, -0.5), (10.0, -0.5), (10.0, 0.5), (0.0, 0.5)];
        let cut = R.polygon(&band);
        assert!(cut.iter().all(|&p| R.contains(p)));
        assert!(cut.iter().any(|p| p.1 == 0.0));
        assert!(
            R.polygon(&[(20.0, 0.0), (30.0, 0.0), (25.0, 1.0)])
                .is_empty()
        );
    }

    proptest! {
        #[test]
        fn clipped_marks_stay_inside(
            pts in proptest::collection::vec((-20f64..30.0, -3f64..4.0), 2..30),
        ) {
            for piece in R.polyline(&pts) {
                for p in piece {
                    prop_assert!(p.0 >= -1e-9 && p.0 <= 10.0 + 1e-9 && p.1 >= -1e-9 && p.1 <= 1.0 + 1e-9, "{p:?}");
                }
            }
            for p in R.polygon(&pts) {
                prop_assert!(p.0 >= -1e-9 && p.0 <= 10.0 + 1e-9 && p.1 >= -1e-9 && p.1 <= 1.0 + 1e-9, "{p:?}");
            }
        }
    }
}
