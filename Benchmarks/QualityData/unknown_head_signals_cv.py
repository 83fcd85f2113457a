#!/usr/bin/env python3
"""Transferable difficulty signals against prompt length for subjects never seen (Python prototype).

Leave-subjects-out 5-fold CV × several fold seeds on RouteLLM's MMLU training split: whole
subjects are held out, as a question set from another domain would be. The unknown-group head
ranks by prompt length alone (longer → strong); each candidate is a ridge (α = 1, intercept) of
the weak advantage on standardised log length plus a small set of signals fixed before looking:
distinct numbers in the question stem, its sentence count, its words per sentence (all log1p,
computed on the stem, i.e. without the A–D options, so that they mean the same on a question set
without options). Fitted on the training subjects, scored on the held-out ones; reported as the
paired gain over length alone, mean ± standard error over the folds.

    python3 unknown_head_signals_cv.py 6      # 6 fold seeds (30 folds)
"""
import os
import re
import sys

import numpy as np
from sklearn.linear_model import Ridge

from mmlu_cv import apgr, load, print_against, subject_folds

seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 6
df, S, W, Y, subjects, sidx = load()
n, G = len(df), len(subjects)


def stem(p):
    return re.split(r"\n[A-D]\. ", p.rsplit("\nAnswer:", 1)[0])[0]


stems = [stem(p) for p in df.prompt]
NUMBER = re.compile(r"\d+(?:[.,]\d+)*")
SENTENCE = re.compile(r"[.!?]+(?:\s|$)")
numbers = np.array([np.log1p(len(set(NUMBER.findall(s)))) for s in stems])
sentences = np.array([len(SENTENCE.findall(s.strip())) or 1 for s in stems], float)
words = np.array([len(s.split()) for s in stems], float)
per_sentence = np.log1p(words / sentences)
length = np.log1p(df.prompt.str.len().values)


def z(v):
    return np.clip((v - v.mean()) / v.std(), -4, 4)


signals = {"numbers": z(numbers), "sentences": z(np.log1p(sentences)), "words/sentence": z(per_sentence)}
L = z(length)
candidates = {"length + " + k: [v] for k, v in signals.items()}
candidates["length + all three"] = list(signals.values())
res = {}
for seed in range(seeds):
    rng = np.random.default_rng(seed)
    fold = subject_folds(rng, sidx, G)
    for k in range(5):
        tr, te = fold != k, fold == k
        r = np.random.default_rng(100 * seed + k)
        res.setdefault("prompt length (fixed)", []).append(apgr(S[te], W[te], -length[te], r))
        for name, cols in candidates.items():
            A = np.column_stack([L] + cols)
            h = Ridge(alpha=1.0).fit(A[tr], Y[tr])
            res.setdefault(name, []).append(apgr(S[te], W[te], h.predict(A[te]), r))
        for name, v in signals.items():  # the signal alone, its sign fitted on the training subjects
            h = Ridge(alpha=1.0).fit(v[tr, None], Y[tr])
            res.setdefault(name + " alone", []).append(apgr(S[te], W[te], h.predict(v[te, None]), r))
print_against(res, "prompt length (fixed)", 28)
