#!/usr/bin/env python3
"""A shutdown filled forward or interpolated, against the same hours missing, through `mosaic`.

A gap reaches a forecaster as zeros, as missing hours or, when someone filled it (pandas'
`ffill()`, a spreadsheet's fill-down, an exporter repeating its last reading), as one value
repeated for days, or (pandas' `interpolate()`) as a straight line across them. This writes 72
hours of each development series (nyc_taxi to 2014-11-23 and from 2014-08-25, 936 hours each;
the Twitter stream's 527) filled forward from the hour before them, and interpolated between
the hours around them, in the middle of the first training part and ending 2 days before the
first origin, and scores 4 origins × 48 hours as unseen_series.py does (the MASE scale from the
series before the fill); beside them, the same hours missing.

  python3 filled_gaps.py [--mosaic .build/release/mosaic] [--shared ../shared]
"""
import argparse
import os
import sys
import tempfile

import numpy as np
import pandas as pd

from unseen_series import H, ORIGINS, mosaic_forecast, score


def folds(mosaic, series, clean, directory, tag):
    mases = []
    for o in range(ORIGINS):
        cut = len(series) - H * (ORIGINS - o)
        f = mosaic_forecast(mosaic, series.iloc[:cut], directory, f"{tag}.{o}")
        mases.append(score(clean.values[:cut].astype(float), series.values[cut:cut + H].astype(float), f)[0])
    return float(np.mean(mases))


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--mosaic", default=".build/release/mosaic")
    ap.add_argument("--shared", default=os.environ.get("MOSAIC_SHARED", "../shared"))
    args = ap.parse_args()
    data = os.path.join(args.shared, "datasets")
    taxi = pd.read_csv(os.path.join(data, "nab-traffic/data/realKnownCause/nyc_taxi.csv"), parse_dates=["timestamp"])
    taxi = taxi.set_index("timestamp")["value"].resample("1h").sum().astype(float)
    twitter = pd.read_csv(os.path.join(data, "twitter-stream-2021-08/twitter_stream_hourly.csv"), parse_dates=["timestamp"])
    twitter = twitter.set_index("timestamp")["value"].astype(float)
    print("| series | where | filled forward | interpolated | missing |\n|---|---|---:|---:|---:|")
    with tempfile.TemporaryDirectory() as directory:
        for name, y in [("nyc_taxi to 2014-11-23", taxi[:"2014-11-22 23:00"][-936:]),
                        ("nyc_taxi from 2014-08-25", taxi["2014-08-25":][:936]), ("Twitter stream", twitter)]:
            c = len(y) - H * ORIGINS
            for where, (a, b) in [("middle", (c // 2 - 36, c // 2 + 36)), ("before the origin", (c - 120, c - 48))]:
                filled, missing = y.copy(), y.copy()
                filled.iloc[a:b] = y.iloc[a - 1]
                missing.iloc[a:b] = np.nan
                line = missing.interpolate()
                scores = [folds(args.mosaic, s, y, directory, tag)
                          for s, tag in [(filled, "filled"), (line, "line"), (missing, "missing")]]
                print(f"| {name} | {where} | " + " | ".join(f"{v:.3f}" for v in scores) + " |", flush=True)
            print(f"filled_gaps.py: {name} done", file=sys.stderr, flush=True)


if __name__ == "__main__":
    main()
