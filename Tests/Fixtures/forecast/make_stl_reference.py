#!/usr/bin/env python3
"""Reference decompositions for Mosaic's STL and MSTL tests (Tests/MosaicLearnTests/TimeSeries/STLTests.swift).

  pip install statsmodels statsforecast
  python3 Tests/Fixtures/forecast/make_stl_reference.py > Tests/Fixtures/forecast/stl_reference.json

The series is fixed (no randomness from numpy): two weeks and two days of hourly values with a
daily and a weekly cycle, a slow trend, a deterministic pseudo-random wiggle and three spikes
(so that the robust fit differs from the plain one). Values are rounded to 12 significant digits.
"""
import json
import math
import sys

import numpy as np
import statsforecast
import statsmodels
from statsforecast.mstl import mstl
from statsmodels.tsa.seasonal import STL


def series(n=16 * 24):
    y = []
    for t in range(n):
        daily = 30 * math.sin(2 * math.pi * t / 24) + 8 * math.cos(4 * math.pi * t / 24)
        weekly = 15 * math.sin(2 * math.pi * t / 168)
        wiggle = 5 * math.sin(0.37 * t * t % 7.0) + 3 * math.cos(1.3 * t)
        y.append(200 + 0.05 * t + daily + weekly + wiggle)
    for t, v in ((50, 140.0), (130, -90.0), (301, 170.0)):
        y[t] += v
    return np.array(y, dtype=np.float64)


def listify(a):
    return [float(f"{v:.12g}") for v in np.asarray(a, dtype=np.float64)]  # 12 digits: far below the 1e-6 tolerance


def main():
    y = series()
    out = {
        "versions": {"statsmodels": statsmodels.__version__, "statsforecast": statsforecast.__version__,
                     "numpy": np.__version__},
        "y": listify(y),
        "stl": [],
    }
    for cfg in ({"period": 24, "seasonal": 7, "robust": False},
                {"period": 24, "seasonal": 11, "robust": True},
                {"period": 24, "seasonal": 11, "seasonal_deg": 0, "robust": False},
                {"period": 24, "seasonal": 7, "robust": False, "trend_jump": 4, "low_pass_jump": 3, "seasonal_jump": 2}):
        r = STL(y, **cfg).fit()
        out["stl"].append({"config": cfg, "seasonal": listify(r.seasonal), "trend": listify(r.trend),
                           "weights": listify(r.weights)})
    m = mstl(y, period=[24, 168])
    out["mstl"] = {"periods": [24, 168], "seasonal24": listify(m["seasonal24"]), "seasonal168": listify(m["seasonal168"]),
                   "trend": listify(m["trend"]), "remainder": listify(m["remainder"])}
    # The first 10 days: fewer than two weekly cycles, which statsforecast still decomposes.
    short = y[:240]
    m = mstl(short, period=[24, 168])
    out["mstl_short"] = {"periods": [24, 168], "seasonal24": listify(m["seasonal24"]),
                         "seasonal168": listify(m["seasonal168"]), "trend": listify(m["trend"]),
                         "remainder": listify(m["remainder"])}
    json.dump(out, sys.stdout, separators=(",", ":"), sort_keys=True)
    sys.stdout.write("\n")


if __name__ == "__main__":
    main()
