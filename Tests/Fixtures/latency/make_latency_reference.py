"""Reference values for LatencyComparison's baselines, computed independently with pandas/numpy/scipy.

Run from this folder: python3 make_latency_reference.py  (writes latency_reference.json)
"""
import json

import numpy as np
import pandas as pd
from scipy.stats import norm

ALPHA, Q, TEST_FRACTION, MIN_ROWS = 0.3, 0.95, 0.3, 30


def baselines(d, split, by_region):
    d = d.copy()
    d["key"] = d.provider + "/" + d.model + (("@" + d.region) if by_region else "")
    train, test = d[d.t < split], d[d.t >= split]
    timed_train = train[train.ok]
    # Providers with a head: at least MIN_ROWS training rows and MIN_ROWS successful ones.
    counts = train.groupby("provider").size()
    timed_counts = timed_train.groupby("provider").size()
    heads = {p for p in counts.index if counts[p] >= MIN_ROWS and timed_counts.get(p, 0) >= MIN_ROWS}
    med = timed_train.groupby("key").y.median()
    tail = timed_train.groupby("key").y.quantile(Q)  # numpy 'linear'
    z = norm.ppf(Q)
    state, pred = {}, {}
    for _, g in d.groupby("t", sort=True):
        for i, k in zip(g.index, g.key):
            if k in state:
                m, v = state[k]
                pred[i] = (m, m + z * np.sqrt(v))
        for i, k, y, ok in zip(g.index, g.key, g.y, g.ok):
            if not ok:
                continue
            if k not in state:
                state[k] = (y, 0.0)
            else:
                m, v = state[k]
                dlt = y - m
                state[k] = (m + ALPHA * dlt, (1 - ALPHA) * (v + ALPHA * dlt * dlt))
    scored = test[test.ok & test.key.isin(med.index) & test.provider.isin(heads)]
    y = scored.y.to_numpy()
    out = {"train_rows": len(train), "test_rows": len(test), "evaluated_rows": len(scored),
           "unseen_rows": int(test.ok.sum() - len(scored))}
    for name, p, t in [
        ("ewma", np.array([pred[i][0] for i in scored.index]), np.array([pred[i][1] for i in scored.index])),
        ("median", scored.key.map(med).to_numpy(), scored.key.map(tail).to_numpy()),
    ]:
        r = y - t
        out[name] = {
            "mae_log": float(np.mean(np.abs(y - p))),
            "rmse_log": float(np.sqrt(np.mean((y - p) ** 2))),
            "bias_log": float(np.mean(p - y)),
            "tail_coverage": float(np.mean(y <= t)),
            "pinball": float(np.mean(np.where(r >= 0, Q * r, (Q - 1) * r))),
        }
    return out


raw = pd.read_csv("thefastest_excerpt.csv")
d = pd.DataFrame({
    "t": pd.to_datetime(raw.run_time_utc),
    "provider": raw.provider_model.str.split("/", n=1).str[0],
    "model": raw.provider_model.str.split("/", n=1).str[1],
    "region": raw.region,
})
d["ok"] = ~((raw.num_tokens == 0) & (raw.total_time_s == 0))
d["y"] = np.where(d.ok, np.log(np.where(d.ok, raw.total_time_s, 1) * 1000), np.nan)
d = d.sort_values("t", kind="stable")
times = np.sort(d.t.to_numpy())
split = times[int(np.floor(len(times) * (1 - TEST_FRACTION)))]
ref = {"split_at": str(pd.Timestamp(split)), "alpha": ALPHA, "quantile": Q, "test_fraction": TEST_FRACTION,
       "failures": int((~d.ok).sum()),
       "by_model": baselines(d, split, False), "by_model_region": baselines(d, split, True)}
with open("latency_reference.json", "w") as f:
    json.dump(ref, f, indent=1, sort_keys=True)
    f.write("\n")
print(json.dumps(ref, indent=1))
