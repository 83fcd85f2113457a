#!/usr/bin/env python3
"""Does the difficulty estimate transfer to subjects never seen? (Python prototype.)

The known-group head's difficulty inputs (schema 6) come from a subject prior and a text ridge of
the two models' mean correctness (S + W) / 2. For an unseen subject there is no prior, so the
only difficulty estimate is a text ridge of the mean correctness itself (α = 20, the shipped
word 1–2-gram and char 3–5-gram TF-IDF, 10,000 terms each), fitted across the training subjects.
Leave-subjects-out 5-fold CV × several fold seeds on RouteLLM's MMLU training split; the head is
a ridge (α = 1) of the weak advantage on inner leave-subjects-out out-of-fold estimates d (centred)
beside standardised log length; reported as the paired gain over prompt length alone (the
shipped unknown-group head), mean ± standard error over the folds.

    python3 unknown_head_difficulty_cv.py 6      # 6 fold seeds (30 folds), about 2 minutes
"""
import sys

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import Ridge

from mmlu_cv import apgr, load, print_against, subject_folds

seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 6
df, S, W, Y, subjects, sidx = load()
n, G = len(df), len(subjects)
prompts = df.prompt.tolist()
X = (sp.hstack([TfidfVectorizer(analyzer=a, ngram_range=r, sublinear_tf=True, min_df=2, max_features=10000).fit_transform(prompts)
                for a, r in [("word", (1, 2)), ("char", (3, 5))]]) / np.sqrt(2)).tocsr()
M = (S + W) / 2
length = np.log1p(df.prompt.str.len().values)


def z(v, ref):
    return np.clip((v - ref.mean()) / ref.std(), -4, 4)


def difficulty(fit, pred):
    """The text ridge of the mean correctness, fitted on `fit`, evaluated on `pred`."""
    t = M[fit] - M[fit].mean()
    return X[pred] @ Ridge(alpha=20, fit_intercept=False, solver="sparse_cg").fit(X[fit], t).coef_


res = {}
for seed in range(seeds):
    fold = subject_folds(np.random.default_rng(seed), sidx, G)
    for k in range(5):
        tr, te = np.flatnonzero(fold != k), np.flatnonzero(fold == k)
        r = np.random.default_rng(100 * seed + k)
        inner = subject_folds(np.random.default_rng(1000 + 10 * seed + k), sidx[tr], G)
        d_in = np.zeros(len(tr))
        for j in range(5):
            a, b = tr[inner != j], tr[inner == j]
            if len(b):
                d_in[inner == j] = difficulty(a, b)
        d_out = difficulty(tr, te)
        c = d_in.mean()
        d_in, d_out = d_in - c, d_out - c
        L_in, L_out = z(length[tr], length[tr]), z(length[te], length[tr])
        res.setdefault("prompt length (fixed)", []).append(apgr(S[te], W[te], -length[te], r))
        for name, (A, B) in {
            "length + d": ([L_in, d_in], [L_out, d_out]),
            "length + d + d²": ([L_in, d_in, d_in ** 2], [L_out, d_out, d_out ** 2]),
            "d + d²": ([d_in, d_in ** 2], [d_out, d_out ** 2]),
        }.items():
            h = Ridge(alpha=1.0).fit(np.column_stack(A), Y[tr])
            res.setdefault(name, []).append(apgr(S[te], W[te], h.predict(np.column_stack(B)), r))
print_against(res, "prompt length (fixed)", 22)
