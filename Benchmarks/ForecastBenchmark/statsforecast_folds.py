#!/usr/bin/env python3
"""statsforecast on rolling-origin folds chosen by ForecastBenchmark (the development series).

Run by ForecastBenchmark (Benchmarks/ForecastBenchmark/main.swift); prints one JSON document to
stdout. Needs `pip install statsforecast`.

  python3 statsforecast_folds.py --folds FOLDS.csv [--n-jobs 2] [--h 48]

FOLDS.csv has the header `fold,t,y`: one row per training value of every fold (the fold's
training part, oldest first; `y` empty where the value is missing). statsforecast cannot take
missing values, so they are interpolated linearly (numpy.interp over the known values) here;
Mosaic gets them as missing. Each model is run on all folds with
StatsForecast(models=[model], freq=1, n_jobs=N).forecast(df, h=H, level=[80, 95]):

  SeasonalNaive  SeasonalNaive(season_length=24)
  AutoETS        AutoETS(season_length=24)            (model "ZZZ", chosen by AICc)
  AutoARIMA      AutoARIMA(season_length=24)
  MSTL           MSTL(season_length=[24, 168])        (trend by AutoETS "ZZN")

Output: {"versions": ..., "models": {name: {"wall_s": s, "folds": {fold: {"mean": [...],
"lo80": [...], "hi80": [...], "lo95": [...], "hi95": [...]}}}}}. Scoring is the Swift side's.
"""
import argparse
import csv
import json
import sys

import numpy as np

from statsforecast_m4 import forecast_groups  # the same call, shared with the M4 script

M = 24


def read_folds(path):
    folds = {}
    with open(path, newline="") as f:
        rows = csv.reader(f)
        next(rows)
        for fold, t, y in rows:
            folds.setdefault(fold, []).append(float(y) if y != "" else np.nan)
    return {fold: interpolated(np.array(values, dtype=np.float64)) for fold, values in folds.items()}


def interpolated(y):
    """`y` with its missing values (NaN) linearly interpolated over the known ones."""
    known = ~np.isnan(y)
    if known.all():
        return y
    idx = np.arange(len(y))
    return np.interp(idx, idx[known], y[known])


def model_factory(name):
    from statsforecast.models import MSTL, AutoARIMA, AutoETS, SeasonalNaive
    return {
        "SeasonalNaive": lambda: SeasonalNaive(season_length=M),
        "AutoETS": lambda: AutoETS(season_length=M),
        "AutoARIMA": lambda: AutoARIMA(season_length=M),
        "MSTL": lambda: MSTL(season_length=[M, 7 * M]),
    }[name]


def run_model(name, folds, h, n_jobs):
    groups, wall, alias = forecast_groups(model_factory(name)(), folds, h, n_jobs)
    out = {}
    for uid, g in groups.items():
        out[str(uid)] = {
            "mean": g[alias].astype(float).tolist(),
            "lo80": g[f"{alias}-lo-80"].astype(float).tolist(), "hi80": g[f"{alias}-hi-80"].astype(float).tolist(),
            "lo95": g[f"{alias}-lo-95"].astype(float).tolist(), "hi95": g[f"{alias}-hi-95"].astype(float).tolist(),
        }
    return out, wall


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--folds", required=True)
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--h", type=int, default=48)
    ap.add_argument("--models", default="SeasonalNaive,AutoETS,AutoARIMA,MSTL")
    args = ap.parse_args()
    import statsforecast
    folds = read_folds(args.folds)
    out = {"versions": {"statsforecast": statsforecast.__version__, "numpy": np.__version__,
                        "python": sys.version.split()[0]}, "models": {}}
    for name in [m for m in args.models.split(",") if m]:
        try:
            forecasts, wall = run_model(name, folds, args.h, args.n_jobs)
            out["models"][name] = {"wall_s": wall, "folds": forecasts}
        except Exception as e:  # report, don't die
            out["models"][name] = {"error": f"{type(e).__name__}: {e}"}
        print(f"statsforecast_folds.py: {name} done", file=sys.stderr, flush=True)
    json.dump(out, sys.stdout)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
