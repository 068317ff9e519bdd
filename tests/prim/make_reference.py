"""Reference results for tests/prim.rs from EMA Workbench's PRIM.

Writes, next to this script:

- data.csv: the fixture dataset (400 points, 4 uncertainties, binary
  outcome y), floats written with Python's shortest round-trip repr so
  that Rust parses the very same doubles;
- reference_steps.csv: for each of two successive `Prim.find_box()` calls
  (the second one runs on the points the first box left, i.e. covering),
  the whole peeling-and-pasting trajectory (n, k, res_dim, coverage,
  density, mass), the box limits of every step and the quasi-p values
  EMA Workbench computed for every step; floats as repr, because the Rust
  test must parse the very same doubles (serde_json's default float
  parsing may be one ulp off, Rust's str::parse is exact);
- reference.json: the version, the parameters and per box its number of
  steps, selected step, points searched and whether it met the threshold.

Produced with ema_workbench 2.5.3 (Python 3.11, numpy 2.4, pandas 3.1,
scipy 1.17). Rerun with:

    pip install ema_workbench==2.5.3
    python tests/prim/make_reference.py

The Rust test (tests/prim.rs) only reads these files: it needs no Python.
"""

import csv
import json
import logging
import os

import numpy as np
import pandas as pd

import ema_workbench
from ema_workbench.analysis import prim

HERE = os.path.dirname(os.path.abspath(__file__))
N = 400
SEED = 20240611


def make_data():
    rng = np.random.default_rng(SEED)
    x = rng.uniform(0.0, 1.0, size=(N, 4))
    # Ties on purpose: x1 on a 0.01 grid and x3 on a 0.1 grid exercise
    # EMA Workbench's tie handling in get_quantile and in _in_box.
    x[:, 1] = np.round(x[:, 1], 2)
    x[:, 3] = np.round(x[:, 3], 1)
    main = (x[:, 0] > 0.6) & (x[:, 1] < 0.5)
    second = (x[:, 2] > 0.75) & (x[:, 3] <= 0.4)
    y = main | second
    # Label noise: flip 8% of the outcomes.
    flip = rng.uniform(0.0, 1.0, size=N) < 0.08
    y = np.where(flip, ~y, y).astype(int)
    return pd.DataFrame(x, columns=["x0", "x1", "x2", "x3"]), y


def write_data(x, y):
    with open(os.path.join(HERE, "data.csv"), "w") as f:
        f.write(",".join(list(x.columns) + ["y"]) + "\n")
        for row, yi in zip(x.itertuples(index=False), y):
            f.write(",".join(repr(float(v)) for v in row) + f",{int(yi)}\n")


def read_back():
    # Run PRIM on exactly the doubles the Rust test reads. Python's float()
    # round-trips repr exactly; pandas' fast CSV parser may not (it gave
    # 0.9906354506801504 for 0.9906354506801505 here).
    with open(os.path.join(HERE, "data.csv")) as f:
        rows = list(csv.reader(f))
    header, rows = rows[0], rows[1:]
    x = pd.DataFrame([[float(v) for v in r[:-1]] for r in rows], columns=header[:-1])
    y = np.array([int(r[-1]) for r in rows])
    return x, y


def box_record(box, columns, number):
    """The box's summary (for reference.json) and one CSV row per step."""
    traj = box.peeling_trajectory
    rows = []
    for i in range(traj.shape[0]):
        lims = box.box_lims[i]
        qp = box.qp[i]
        row = [number, i] + [int(traj.loc[i, c]) for c in ("n", "k", "res_dim")]
        row += [repr(float(traj.loc[i, c])) for c in ("coverage", "density", "mass")]
        for c in columns:
            row += [repr(float(lims.loc[0, c])), repr(float(lims.loc[1, c]))]
        for c in columns:
            # Empty: dimension not restricted; -1: EMA Workbench's "this
            # side is not restricted".
            row += [repr(float(v)) for v in qp[c]] if c in qp else ["", ""]
        rows.append(row)
    summary = {
        "selected": int(box._cur_box),
        "n_remaining": int(box.prim.yi_remaining.shape[0]),
        "steps": int(traj.shape[0]),
    }
    return summary, rows


def main():
    logging.disable(logging.CRITICAL)
    x, y = make_data()
    write_data(x, y)
    x, y = read_back()
    params = dict(threshold=0.8, peel_alpha=0.05, paste_alpha=0.05, mass_min=0.05)
    p = prim.Prim(x, y, **params)
    boxes, rows = [], []
    for number in (1, 2):
        # find_box()'s own steps, spelled out so that the trajectory is
        # kept even when find_box would replace a box whose density is
        # below the threshold by a "dump box" (the whole remaining data).
        p._update_yi_remaining(p)
        for b in p._boxes:
            b._frozen = True
        box = prim.PrimBox(p, p.box_init, p.yi_remaining[:])
        box = p._peel(box)
        box = p._paste(box)
        summary, box_rows = box_record(box, list(x.columns), number)
        summary["accepted"] = bool(box.mean >= p.threshold)
        boxes.append(summary)
        rows += box_rows
        # Covering: as find_box does, keep the box (its last step is the
        # selected one) so that the next call drops its points.
        p._boxes.append(box)
    header = ["box", "step", "n", "k", "res_dim", "coverage", "density", "mass"]
    header += [f"{c}_{side}" for c in x.columns for side in ("lower", "upper")]
    header += [f"{c}_qp_{side}" for c in x.columns for side in ("lower", "upper")]
    with open(os.path.join(HERE, "reference_steps.csv"), "w", newline="") as f:
        w = csv.writer(f, lineterminator="\n")
        w.writerow(header)
        w.writerows(rows)
    out = {
        "ema_workbench": ema_workbench.__version__,
        "params": params,
        "objective": "LENIENT1",
        "columns": list(x.columns),
        "n": int(len(y)),
        "cases": int(y.sum()),
        "boxes": boxes,
    }
    with open(os.path.join(HERE, "reference.json"), "w") as f:
        json.dump(out, f, indent=1)
        f.write("\n")


if __name__ == "__main__":
    main()
