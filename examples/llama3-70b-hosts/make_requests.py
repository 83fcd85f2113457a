"""Builds requests.csv, the request log router.json is trained on, from thefastest.ai's measurements.

Each measured Llama 3 70B request of Perplexity, Together and Databricks (time to first token
`ttft_s`, streaming speed `tps`) becomes 8 requests of random sizes: output tokens lognormal
(median 40, sigma 1.2, 1..4000, the scenario's mix), prompt tokens lognormal (median 300,
sigma 0.8), latency = ttft_s + output_tokens / tps. Seeded: the same file every run.

    python3 make_requests.py ../../../shared/datasets/thefastest-ai-latency/llm_api_latency_runs.csv requests.csv
"""
import csv
import sys
from datetime import datetime, timedelta

import numpy as np

HOSTS = {"perplexity.ai": "perplexity", "together.ai": "together", "databricks.com": "databricks"}
rng = np.random.default_rng(20240501)
source, target = sys.argv[1], sys.argv[2]
with open(source, newline="") as f, open(target, "w", newline="") as out:
    w = csv.writer(out, lineterminator="\n")
    w.writerow(["timestamp", "provider", "model", "input_tokens", "output_tokens", "latency_ms", "status"])
    for row in csv.DictReader(f):
        host, _, model = row["provider_model"].partition("/")
        if host not in HOSTS or model != "llama-3-70b-chat" or float(row["tps"]) <= 0:
            continue
        start = datetime.fromisoformat(row["run_time_utc"])
        ttft, tps = float(row["ttft_s"]), float(row["tps"])
        for k in range(8):
            n = int(np.clip(round(40 * np.exp(1.2 * rng.standard_normal())), 1, 4000))
            p = int(round(300 * np.exp(0.8 * rng.standard_normal())))
            t = (start + timedelta(seconds=k)).strftime("%Y-%m-%dT%H:%M:%S.%fZ")
            w.writerow([t, HOSTS[host], "llama-3-70b", p, n, f"{1000 * (ttft + n / tps):.3f}", "ok"])
