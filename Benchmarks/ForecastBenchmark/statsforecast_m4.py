#!/usr/bin/env python3
"""statsforecast on the M4 Hourly set (414 series, h = 48, m = 24), scored exactly as M4 does.

Run by ForecastBenchmark (Benchmarks/ForecastBenchmark/main.swift) in the same run as Mosaic's
forecasters; prints one JSON document to stdout. Needs `pip install statsforecast`.

  python3 statsforecast_m4.py [--shared ../shared] [--n-jobs 2] [--series 414]
                              [--models SeasonalNaive,AutoETS,MSTL]

Models (statsforecast defaults otherwise):
  SeasonalNaive  SeasonalNaive(season_length=24)
  AutoETS        AutoETS(season_length=24)                 (model "ZZZ", chosen by AICc)
  MSTL           MSTL(season_length=[24, 168])             (trend by AutoETS "ZZN")

Each model is run on its own through StatsForecast(models=[model], freq=1, n_jobs=N)
.forecast(df, h=48, level=[80, 95]); "wall_s" is that call, all 414 series, fit + forecast,
including the process pool's start-up (the Swift side also uses 2 cores).

Scores, as the M4 organisers define them (their R code, `Benchmarks and Evaluation.R`):
  sMAPE = 200/h * sum |y - f| / (|y| + |f|)                        (percent; 0/0 counts 0)
  MASE  = mean|y - f| / mean_{t >= m} |y_t - y_{t-m}|    (in-sample seasonal naive, m = 24)
  Both are averaged per series, then over the series.
  OWA   = (sMAPE / sMAPE_Naive2 + MASE / MASE_Naive2) / 2, from the means over the series.
  Naive2: the last value, seasonally adjusted by R's decompose(type = "multiplicative") when
  M4's 90 % autocorrelation test at lag m says seasonal, reseasonalised (implemented below).
  Coverage: the share of the 414 x 48 actual values inside the 80 % / 95 % intervals.
"""
import argparse
import csv
import json
import math
import os
import sys
import time
import warnings

import numpy as np

H, M = 48, 24


def read_m4(path):
    """Wide M4 CSV: header, then id followed by values padded with empty strings."""
    out = {}
    with open(path, newline="") as f:
        rows = csv.reader(f)
        next(rows)
        for row in rows:
            out[row[0]] = np.array([float(v) for v in row[1:] if v != ""], dtype=np.float64)
    return out


# MARK: - M4 scoring

def smape(y, f):
    den = np.abs(y) + np.abs(f)
    terms = np.where(den == 0, 0.0, np.abs(y - f) / np.where(den == 0, 1.0, den))
    return float(200.0 * terms.mean())


def mase_scale(train, m=M):
    return float(np.mean(np.abs(train[m:] - train[:-m])))


def mase(train, y, f, m=M):
    return float(np.mean(np.abs(y - f)) / mase_scale(train, m))


def seasonality_test(y, m):
    """M4's SeasonalityTest: |acf_m| > 1.645/sqrt(n) * sqrt(1 + 2 sum_{k<m} acf_k^2), acf as R's
    acf() with its default lag.max = floor(10 log10 n)."""
    n = len(y)
    if m <= 1 or n < 3 * m:
        return False
    max_lag = int(math.floor(10 * math.log10(n)))
    if max_lag < m:
        return False
    c = y - y.mean()
    c0 = float(np.dot(c, c))
    if c0 <= 0:
        return False
    acf = np.array([np.dot(c[: n - k], c[k:]) / c0 for k in range(1, m + 1)])
    limit = 1.645 / math.sqrt(n) * math.sqrt(1 + 2 * float(np.sum(acf[: m - 1] ** 2)))
    return abs(acf[m - 1]) > limit


def multiplicative_indices(y, m):
    """R's decompose(type = "multiplicative")$figure: centred 2xm moving average, per-position
    means of y / trend, normalised to mean 1. Position of time t (0-based) is t mod m."""
    n = len(y)
    if m % 2 == 0:
        w = np.r_[0.5, np.ones(m - 1), 0.5] / m
    else:
        w = np.ones(m) / m
    half = m // 2
    trend = np.full(n, np.nan)
    trend[half : n - half] = np.convolve(y, w, mode="valid")
    ratio = y / trend
    figure = np.array([np.nanmean(ratio[j::m]) for j in range(m)])
    return figure / figure.mean()


def naive2(y, h=H, m=M):
    n = len(y)
    if not seasonality_test(y, m):
        return np.repeat(y[-1], h)
    s = multiplicative_indices(y, m)
    adjusted = y[-1] / s[(n - 1) % m]
    return np.array([adjusted * s[(n - 1 + k) % m] for k in range(1, h + 1)])


def score(train, test, forecasts, intervals):
    """forecasts: id -> (h,) array; intervals: level -> id -> (lo, hi) arrays (may be empty)."""
    sm, ms, n2s, n2m = [], [], [], []
    for uid, y in test.items():
        f = forecasts[uid]
        nv2 = naive2(train[uid])
        sm.append(smape(y, f))
        ms.append(mase(train[uid], y, f))
        n2s.append(smape(y, nv2))
        n2m.append(mase(train[uid], y, nv2))
    res = {"smape": float(np.mean(sm)), "mase": float(np.mean(ms)),
           "naive2_smape": float(np.mean(n2s)), "naive2_mase": float(np.mean(n2m))}
    res["owa"] = 0.5 * (res["smape"] / res["naive2_smape"] + res["mase"] / res["naive2_mase"])
    for level, bounds in intervals.items():
        inside = total = 0
        for uid, y in test.items():
            lo, hi = bounds[uid]
            inside += int(np.sum((y >= lo) & (y <= hi)))
            total += len(y)
        res[f"coverage_{level}"] = inside / total
    if 95 in intervals:
        res["msis_95"] = float(np.mean([msis(train[uid], y, *intervals[95][uid]) for uid, y in test.items()]))
    return res


def msis(train, y, lo, hi, alpha=0.05, m=M):
    """M4's mean scaled interval score (Makridakis et al. 2020, eq. 5), written from the paper."""
    penalty = (2 / alpha) * ((lo - y) * (y < lo) + (y - hi) * (y > hi))
    return float(np.mean((hi - lo) + penalty) / mase_scale(train, m))


# MARK: - statsforecast

def model_factory(name):
    from statsforecast.models import MSTL, AutoETS, SeasonalNaive
    return {
        "SeasonalNaive": lambda: SeasonalNaive(season_length=M),
        "AutoETS": lambda: AutoETS(season_length=M),
        "MSTL": lambda: MSTL(season_length=[M, 7 * M]),
    }[name]


def forecast_groups(model, series, h, n_jobs):
    """statsforecast's forecasts of `model` for every series in `series` (id -> values), `h` steps
    ahead with 80% and 95% intervals: ({id: frame sorted by ds}, wall seconds, column alias)."""
    import pandas as pd
    from statsforecast import StatsForecast
    ids = list(series)
    df = pd.DataFrame({
        "unique_id": np.concatenate([[uid] * len(series[uid]) for uid in ids]),
        "ds": np.concatenate([np.arange(1, len(series[uid]) + 1) for uid in ids]),
        "y": np.concatenate([series[uid] for uid in ids]),
    })
    alias = repr(model)
    with warnings.catch_warnings():
        warnings.simplefilter("ignore")
        sf = StatsForecast(models=[model], freq=1, n_jobs=n_jobs)
        t0 = time.perf_counter()
        fc = sf.forecast(df=df, h=h, level=[80, 95])
        wall = time.perf_counter() - t0
    fc = fc.reset_index() if "unique_id" not in fc.columns else fc
    return {uid: g.sort_values("ds") for uid, g in fc.groupby("unique_id", sort=False)}, wall, alias


def run_model(name, train, n_jobs):
    groups, wall, alias = forecast_groups(model_factory(name)(), train, H, n_jobs)
    forecasts, intervals = {}, {80: {}, 95: {}}
    for uid, g in groups.items():
        forecasts[uid] = g[alias].to_numpy(dtype=np.float64)
        for level in (80, 95):
            intervals[level][uid] = (g[f"{alias}-lo-{level}"].to_numpy(dtype=np.float64),
                                     g[f"{alias}-hi-{level}"].to_numpy(dtype=np.float64))
    return forecasts, intervals, wall, alias


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=os.path.join("..", "shared"))
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--series", type=int, default=None, help="only the first N series (quick check)")
    ap.add_argument("--models", default="SeasonalNaive,AutoETS,MSTL")
    ap.add_argument("--score-forecasts", default=None, metavar="CSV",
                    help="also score another method's point forecasts (rows: id, then 48 values) with this "
                         "script's scorer; reported as \"external\" (the Swift side's cross-check)")
    ap.add_argument("--score-intervals", default=None, metavar="CSV",
                    help="with --score-forecasts: that method's 95%% bounds (rows: id, 48 lower, 48 upper), "
                         "for its coverage and MSIS")
    args = ap.parse_args()

    import statsforecast
    folder = os.path.join(args.shared, "datasets", "m4-hourly")
    train = read_m4(os.path.join(folder, "Hourly-train.csv"))
    test = read_m4(os.path.join(folder, "Hourly-test.csv"))
    if args.series:
        keep = list(train)[: args.series]
        train = {k: train[k] for k in keep}
        test = {k: test[k] for k in keep}
    out = {"versions": {"statsforecast": statsforecast.__version__, "numpy": np.__version__,
                        "python": sys.version.split()[0]},
           "series": len(train), "horizon": H, "period": M, "n_jobs": args.n_jobs, "models": {}}
    t0 = time.perf_counter()
    nv2 = {uid: naive2(y) for uid, y in train.items()}
    naive2_s = time.perf_counter() - t0
    out["naive2"] = {**score(train, test, nv2, {}), "wall_s": naive2_s}
    if args.score_forecasts:
        external = {}
        with open(args.score_forecasts, newline="") as f:
            for row in csv.reader(f):
                external[row[0]] = np.array([float(v) for v in row[1:]], dtype=np.float64)
        bounds = {}
        if args.score_intervals:
            with open(args.score_intervals, newline="") as f:
                for row in csv.reader(f):
                    v = np.array([float(x) for x in row[1:]], dtype=np.float64)
                    bounds[row[0]] = (v[:H], v[H:])
        missing = [uid for uid in test if uid not in external or len(external[uid]) != H
                   or (bounds and (uid not in bounds or len(bounds[uid][1]) != H))]
        out["external"] = ({"error": f"{len(missing)} series missing or not {H} values, first {missing[0]}"} if missing
                           else score(train, test, external, {95: bounds} if bounds else {}))
    for name in [m for m in args.models.split(",") if m]:
        entry = {}
        try:
            forecasts, intervals, wall, alias = run_model(name, train, args.n_jobs)
            entry = score(train, test, forecasts, intervals)
            entry.update({"wall_s": wall, "model": alias})
        except Exception as e:  # report, don't die
            entry["error"] = f"{type(e).__name__}: {e}"
        out["models"][name] = entry
        print(f"statsforecast_m4.py: {name} done {json.dumps(entry)}", file=sys.stderr, flush=True)
    json.dump(out, sys.stdout, indent=1)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
