#!/usr/bin/env python3
"""Writes steps in the level, without an outage, into real series, for unseen_series.py to score.

A level can change with no outage at all: a new tenant, a client moved elsewhere. This writes
each given series (by default the Twitter stream's 527 hours and NAB nyc_taxi summed to hours,
the 864 hours to 2014-10-27: 4 weeks and the 4 × 48 scored hours) as it is and with its level
multiplied by 1.5 and by 0.6 from 4 days before the first origin c (c − 96), from 1 day before it
(c − 24) and from the second origin (c + 48) to the end, as `timestamp,value` CSV files in
DIRECTORY (values rounded where the series is whole numbers). Score them as unseen_series.py
scores NAB's series, fold by fold:

  python3 level_steps.py [--shared ../shared] [--also FILE]... DIRECTORY
  python3 unseen_series.py --mosaic .build/release/mosaic --series DIRECTORY/*.csv

`--also FILE` (repeatable) adds another hourly `timestamp,value` file (a bike window of
bike_sharing_windows.py).
"""
import argparse
import os

import pandas as pd

from unseen_series import H, ORIGINS, hourly

STEPS = [("up", 1.5), ("down", 0.6)]
STARTS = [("c-96", -96), ("c-24", -24), ("c+48", 48)]


def write(y, path):
    pd.DataFrame({"timestamp": y.index.strftime("%Y-%m-%d %H:%M:%S"), "value": y.values}).to_csv(path, index=False)


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    ap.add_argument("--shared", default=os.environ.get("MOSAIC_SHARED", "../shared"))
    ap.add_argument("--also", action="append", default=[], metavar="FILE")
    ap.add_argument("directory")
    args = ap.parse_args()
    data = os.path.join(args.shared, "datasets")
    taxi = pd.read_csv(os.path.join(data, "nab-traffic/data/realKnownCause/nyc_taxi.csv"), parse_dates=["timestamp"])
    taxi = taxi.set_index("timestamp")["value"].resample("1h").sum().astype(float)
    bases = [("twitter", hourly(os.path.join(data, "twitter-stream-2021-08/twitter_stream_hourly.csv"))),
             ("taxi_oct", taxi[:"2014-10-26 23:00"][-(28 * 24 + ORIGINS * H):])]
    bases += [(os.path.basename(p)[:-4], hourly(p)) for p in args.also]
    os.makedirs(args.directory, exist_ok=True)
    for name, y in bases:
        y = y.astype(float)
        whole = bool(((y.dropna() % 1) == 0).all())
        c = len(y) - ORIGINS * H
        write(y, os.path.join(args.directory, f"{name}_base.csv"))
        for tag, factor in STEPS:
            for where, offset in STARTS:
                stepped = y.copy()
                stepped.iloc[c + offset:] *= factor
                if whole:
                    stepped = stepped.round()
                write(stepped, os.path.join(args.directory, f"{name}_{tag}_{where}.csv"))


if __name__ == "__main__":
    main()
