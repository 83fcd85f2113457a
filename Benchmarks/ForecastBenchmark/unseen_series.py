#!/usr/bin/env python3
"""Mosaic's forecasts on real series nobody developed on, beside statsforecast, fold by fold.

The development series (the Twitter stream, NAB's nyc_taxi) and M4 Hourly shaped the
forecaster. This script scores it on the other series of NAB (the Numenta Anomaly Benchmark:
AWS CloudWatch metrics, an ELB request count, road traffic speed, occupancy and travel time),
exactly as the held-out series is scored: 4 rolling origins, 48 hours ahead, each fold fitted
by the `mosaic` command line on a file of its training hours (`mosaic forecast --series F
--horizon 48`, what `--holdout 48` runs), and statsforecast on the same folds.

  python3 unseen_series.py [--mosaic .build/release/mosaic] [--shared ../shared]
                           [--models SeasonalNaive,AutoETS,AutoARIMA,MSTL] [--n-jobs 2]
                           [--series FILE ...]

`--series` scores the given `timestamp,value` CSV files instead of NAB's, the same way.

Each file is averaged to whole hours (pandas `resample('1h').mean()`; an hour without points is
missing: Mosaic gets it missing, statsforecast linearly interpolated, as in ForecastBenchmark).
A series of fewer than 4 × 48 + 73 hours is left out. One scorer scores every method: MASE per
fold, scaled by the training part's in-sample seasonal-naive (24 h) MAE over its known pairs,
on the known test hours, averaged over the folds; coverage over all scored hours. NAB labels
anomalies in these series, and some folds forecast across them: the scores say how each method
does on such data, not how it does on clean traffic. Prints Markdown to stdout.
"""
import argparse
import glob
import json
import os
import subprocess
import sys
import tempfile

import numpy as np
import pandas as pd

from statsforecast_folds import interpolated, run_model

H = 48
ORIGINS = 4
M = 24


def hourly(path):
    frame = pd.read_csv(path, parse_dates=["timestamp"]).set_index("timestamp")
    return frame["value"].resample("1h").mean()


def mosaic_forecast(mosaic, train, directory, name):
    """The command line's forecast of the next H hours after `train` (a pandas Series)."""
    path = os.path.join(directory, name + ".csv")
    pd.DataFrame({"timestamp": train.index.strftime("%Y-%m-%dT%H:%M:%SZ"), "value": train.values}).to_csv(
        path, index=False)
    run = subprocess.run([mosaic, "forecast", "--series", path, "--horizon", str(H), "--format", "json"],
                         capture_output=True, text=True, env={**os.environ, "OPENBLAS_NUM_THREADS": "1"})
    if run.returncode != 0:
        raise SystemExit(f"unseen_series.py: mosaic failed on {path}: {run.stderr.strip()}")
    rows = json.loads(run.stdout)
    return {key: [r[key] for r in rows] for key in ("mean", "lo80", "hi80", "lo95", "hi95")}


def statsforecast_forecasts(model, folds, series, n_jobs):
    """`model`'s forecasts of every fold; where statsforecast cannot fit a series (AutoETS finds
    no admissible model for one), that series' folds are left out of the model's results."""
    try:
        return run_model(model, folds, H, n_jobs)[0]
    except Exception:
        out = {}
        for name in series:
            mine = {f: v for f, v in folds.items() if f.startswith(name + "#")}
            try:
                out.update(run_model(model, mine, H, 1)[0])
            except Exception as e:
                print(f"unseen_series.py: {model} cannot fit {name}: {type(e).__name__}: {e}", file=sys.stderr)
        return out


def score(train, test, f):
    """MASE, and the 80 % and 95 % hits and the count of the known test hours."""
    pairs = np.abs(train[M:] - train[:-M])
    scale = np.nanmean(pairs)
    known = ~np.isnan(test)
    t = test[known]
    mean, lo80, hi80, lo95, hi95 = (np.asarray(f[k], dtype=float)[known] for k in ("mean", "lo80", "hi80", "lo95", "hi95"))
    return (np.mean(np.abs(t - mean)) / scale, int(np.sum((t >= lo80) & (t <= hi80))),
            int(np.sum((t >= lo95) & (t <= hi95))), int(known.sum()))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mosaic", default=".build/release/mosaic")
    ap.add_argument("--shared", default=os.environ.get("MOSAIC_SHARED", "../shared"))
    ap.add_argument("--models", default="SeasonalNaive,AutoETS,AutoARIMA,MSTL")
    ap.add_argument("--n-jobs", type=int, default=2)
    ap.add_argument("--series", nargs="+", metavar="FILE",
                    help="timestamp,value CSV files to score instead of NAB's series")
    args = ap.parse_args()
    import statsforecast

    root = os.path.join(args.shared, "datasets", "nab-traffic", "data")
    files = args.series or sorted(p for p in glob.glob(os.path.join(root, "*", "*.csv")) if not p.endswith("nyc_taxi.csv"))
    if not files:
        raise SystemExit(f"unseen_series.py: no NAB series under {root}")
    source = "given" if args.series else "NAB"
    models = ["Mosaic"] + [m for m in args.models.split(",") if m]
    series, skipped, folds = [], [], {}
    forecasts = {m: {} for m in models}
    with tempfile.TemporaryDirectory() as directory:
        for path in files:
            name = os.path.basename(path)[:-4]
            y = hourly(path)
            if len(y) < ORIGINS * H + 73:
                skipped.append(f"{name} ({len(y)} hours)")
                continue
            series.append(name)
            for o in range(ORIGINS):
                cut = len(y) - H * (ORIGINS - o)
                fold = f"{name}#{o}"
                folds[fold] = (y.values[:cut].astype(float), y.values[cut:cut + H].astype(float))
                forecasts["Mosaic"][fold] = mosaic_forecast(args.mosaic, y.iloc[:cut], directory, f"{name}.{o}")
            print(f"unseen_series.py: {name}: Mosaic done", file=sys.stderr, flush=True)
        filled = {fold: interpolated(train) for fold, (train, _) in folds.items()}
        for m in models[1:]:
            forecasts[m] = statsforecast_forecasts(m, filled, series, args.n_jobs)
            print(f"unseen_series.py: {m} done", file=sys.stderr, flush=True)

    table = {}  # (series, model) -> (mean MASE, 80 %, 95 %); absent where the model failed
    for name in series:
        for m in models:
            if any(f"{name}#{o}" not in forecasts[m] for o in range(ORIGINS)):
                continue
            mases, hit80, hit95, count = [], 0, 0, 0
            for o in range(ORIGINS):
                fold = f"{name}#{o}"
                mase, a, b, c = score(*folds[fold], forecasts[m][fold])
                mases.append(mase)
                hit80, hit95, count = hit80 + a, hit95 + b, count + c
            table[(name, m)] = (float(np.mean(mases)), hit80 / count, hit95 / count)

    print(f"statsforecast {statsforecast.__version__}; {len(series)} {source} series, {ORIGINS} origins × {H} h; "
          f"left out (too short): {', '.join(skipped) or 'none'}\n")
    print("| series | " + " | ".join(models) + " | Mosaic 80 % / 95 % cov. |")
    print("|---|" + "---:|" * len(models) + "---:|")
    def cell(name, m, best):
        if (name, m) not in table:
            return "fails"
        v = table[(name, m)][0]
        return f"**{v:.3f}**" if v == best else f"{v:.3f}"

    for name in series:
        best = min(table[(name, m)][0] for m in models if (name, m) in table)
        cells = [cell(name, m, best) for m in models]
        _, c80, c95 = table[(name, "Mosaic")]
        print(f"| {name} | " + " | ".join(cells) + f" | {100 * c80:.1f} % / {100 * c95:.1f} % |")
    print()
    print("Over the series every model fitted (a model that failed on one is compared on the rest):\n")
    print("| model | series | mean MASE | median MASE | Mosaic's mean MASE on them | series where Mosaic's MASE is lower "
          "| Mosaic's MASE ÷ the model's, geometric mean | mean 80 % / 95 % cov. |")
    print("|---|---:|---:|---:|---:|---:|---:|---:|")
    for m in models:
        fitted = [n for n in series if (n, m) in table]
        values = np.array([table[(n, m)][0] for n in fitted])
        mosaic = np.mean([table[(n, "Mosaic")][0] for n in fitted])
        wins = "" if m == "Mosaic" else f"{sum(table[(n, 'Mosaic')][0] < table[(n, m)][0] for n in fitted)}"
        ratio = np.exp(np.mean([np.log(table[(n, "Mosaic")][0] / table[(n, m)][0]) for n in fitted]))
        c80 = np.mean([table[(n, m)][1] for n in fitted])
        c95 = np.mean([table[(n, m)][2] for n in fitted])
        print(f"| {m} | {len(fitted)} | {values.mean():.3f} | {np.median(values):.3f} | {mosaic:.3f} | {wins} | "
              f"{'' if m == 'Mosaic' else f'{ratio:.3f}'} | {100 * c80:.1f} % / {100 * c95:.1f} % |")


if __name__ == "__main__":
    main()
