"""Writes taxi-cloudwatch.json: the last 30 days of NAB's nyc_taxi.csv, summed to hours, as
`aws cloudwatch get-metric-statistics --statistics Sum --period 3600 --output json` prints a
metric (indent 4, datapoints in no particular order: here a seeded shuffle).

    python3 make_exports.py ../../Tests/Fixtures/shared/datasets/nab-traffic/data/realKnownCause/nyc_taxi.csv
"""
import csv, datetime, json, random, sys
from collections import OrderedDict

hours = OrderedDict()
for row in csv.DictReader(open(sys.argv[1])):
    t = datetime.datetime.fromisoformat(row["timestamp"]).replace(minute=0, tzinfo=datetime.timezone.utc)
    hours[t] = hours.get(t, 0) + int(row["value"])
last = list(hours.items())[-720:]
points = [{"Timestamp": t.isoformat(), "Sum": float(v), "Unit": "Count"} for t, v in last]
random.Random(2015).shuffle(points)
with open("taxi-cloudwatch.json", "w") as f:
    json.dump({"Label": "Passengers", "Datapoints": points}, f, indent=4)
    f.write("\n")
