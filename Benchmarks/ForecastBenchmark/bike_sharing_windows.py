#!/usr/bin/env python3
"""Cuts the five windows of the bike-sharing check out of UCI's `hour.csv`.

The UCI Bike Sharing Dataset (Fanaee-T and Gama, "Event labeling combining ensemble detectors
and background knowledge", Progress in Artificial Intelligence, 2013; CC BY 4.0;
https://archive.ics.uci.edu/dataset/275/bike+sharing+dataset) counts the rentals of Capital
Bikeshare in Washington, D.C. per hour, 2011-2012. Hours without a rental are absent. The system
shut down for Hurricane Sandy (no rows from 2012-10-29 01:00 to 10-30 12:00) and Hurricane Irene
(2011-08-27 18:00 to 08-28 06:00). Nobody developed Mosaic's forecaster on it.

  python3 bike_sharing_windows.py [--zeros] hour.csv DIR
  python3 unseen_series.py --series DIR/*.csv

writes DIR/bike_<window>.csv (`timestamp,value`, value = `cnt`, absent hours left absent), or
with --zeros DIR/bike_<window>_zeros.csv, every hour of the window with absent hours as 0 (as an
exporter that fills its grid writes a shutdown):

  sandy_after  2012-10-26 .. 11-25  a month with the Sandy shutdown in its fourth day
  sandy_long   2012-09-01 .. 11-17  eleven weeks, the shutdown in the ninth
  sandy_pre    2012-09-01 .. 10-27  eight weeks before it
  irene_after  2011-08-25 .. 09-24  a month with the Irene shutdown in its third day
  irene_long   2011-07-01 .. 09-30  three months, the shutdown in the ninth week

`dteday` may be ISO (`2011-01-01`, as UCI ships it) or `20110101`.
"""
import csv
import os
import sys
from datetime import datetime, timedelta

WINDOWS = {
    "sandy_after": ("2012-10-26", "2012-11-26"),
    "sandy_long": ("2012-09-01", "2012-11-18"),
    "sandy_pre": ("2012-09-01", "2012-10-28"),
    "irene_after": ("2011-08-25", "2011-09-25"),
    "irene_long": ("2011-07-01", "2011-10-01"),
}


def main():
    args = sys.argv[1:]
    zeros = "--zeros" in args
    args = [a for a in args if a != "--zeros"]
    if len(args) != 2:
        raise SystemExit(__doc__)
    source, directory = args
    rows = []
    with open(source, newline="") as f:
        for line, r in enumerate(csv.DictReader(f), start=2):
            day = r["dteday"].replace("-", "")
            try:
                rows.append((datetime.strptime(day, "%Y%m%d") + timedelta(hours=int(r["hr"])), int(r["cnt"])))
            except (KeyError, ValueError) as e:
                raise SystemExit(f"{source}:{line}: {e}")
    os.makedirs(directory, exist_ok=True)
    for name, (start, end) in WINDOWS.items():
        a, b = datetime.fromisoformat(start), datetime.fromisoformat(end)
        path = os.path.join(directory, f"bike_{name}{'_zeros' if zeros else ''}.csv")
        with open(path, "w", newline="") as f:
            out = csv.writer(f, lineterminator="\n")
            out.writerow(["timestamp", "value"])
            kept = [(t, v) for t, v in rows if a <= t < b]
            if zeros:
                counts = dict(kept)
                hours = int((b - a).total_seconds()) // 3600
                kept = [(a + timedelta(hours=k), counts.get(a + timedelta(hours=k), 0)) for k in range(hours)]
            for t, v in kept:
                out.writerow([t.strftime("%Y-%m-%d %H:%M:%S"), v])
        print(f"{path}: {len(kept)} hours", file=sys.stderr)


if __name__ == "__main__":
    main()
