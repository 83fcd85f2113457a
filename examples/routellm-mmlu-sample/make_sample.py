"""Writes mmlu_sample.csv: the rows of RouteLLM's MMLU outcomes whose prompt id's SHA-1 is 1 mod 5.

Usage: python3 make_sample.py ../../../shared/datasets/routellm-eval/mmlu_routing_train.csv
"""
import csv
import hashlib
import sys

source = sys.argv[1] if len(sys.argv) > 1 else "../../../shared/datasets/routellm-eval/mmlu_routing_train.csv"
with open(source, newline="") as f:
    reader = csv.DictReader(f)
    rows = [r for r in reader if int(hashlib.sha1(r["prompt_id"].encode()).hexdigest(), 16) % 5 == 1]
    fields = reader.fieldnames
with open("mmlu_sample.csv", "w", newline="") as f:
    writer = csv.DictWriter(f, fieldnames=fields, lineterminator="\n")
    writer.writeheader()
    writer.writerows(rows)
print(len(rows), "rows")
