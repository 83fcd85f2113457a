#!/usr/bin/env python3
"""Cross-validation of the quality head's text ridge against its baselines (Python prototype).

Repeated 5-fold CV on RouteLLM's MMLU training split, mean ± fold standard deviation of APGR,
and the paired difference from the shrunk group prior (mean ± standard error over folds):
    python3 text_ridge_cv.py rand 2 10000 20     # random-prompt folds, 2 fold seeds, 10k terms each, alpha 20
    python3 text_ridge_cv.py lso 3 10000 20      # leave-subjects-out folds
Routers: the shrunk subject prior (GroupShrinkage), prompt length (longer -> strong), and the
prior plus a ridge (no intercept) of each prompt's deviation from the prior on word 1-2-gram and
char 3-5-gram TF-IDF side by side (each block scaled by 1/sqrt(2)). In leave-subjects-out folds
the prior is the fold's global mean. The TF-IDF vocabulary is fitted on all rows (text only, no
labels); everything that sees a label is fitted on the training folds only.
"""
import sys

import numpy as np
import scipy.sparse as sp
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import Ridge

from mmlu_cv import apgr, load, random_folds, shrunk, subject_folds

df, S, W, Y, subjects, sidx = load(sys.argv[5] if len(sys.argv) > 5 else None)
mode, seeds, terms = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
alphas = [float(a) for a in sys.argv[4].split(",")]
n, G = len(df), len(subjects)
L = np.log1p(df.prompt.str.len().values)


blocks = [TfidfVectorizer(analyzer=a, ngram_range=r, sublinear_tf=True, min_df=2, max_features=terms).fit_transform(df.prompt)
          for a, r in [("word", (1, 2)), ("char", (3, 5))]]
X = (sp.hstack(blocks).tocsr() / np.sqrt(2)).tocsr()
res = {}
for seed in range(seeds):
    rng = np.random.default_rng(seed)
    fold = random_folds(rng, n) if mode == "rand" else subject_folds(rng, sidx, G)
    for k in range(5):
        tr, te = fold != k, fold == k
        r = np.random.default_rng(100 * seed + k)
        pr, mu = shrunk(sidx[tr], Y[tr], G)
        prior = pr[sidx] if mode == "rand" else np.full(n, mu)
        res.setdefault("group prior", []).append(apgr(S[te], W[te], prior[te], r))
        res.setdefault("prompt length", []).append(apgr(S[te], W[te], -L[te], r))
        dev = Y[tr] - prior[tr]
        for a in alphas:
            w = Ridge(alpha=a, fit_intercept=False, solver="sparse_cg").fit(X[tr], dev - dev.mean())
            res.setdefault(f"prior + text ridge a={a:g}", []).append(apgr(S[te], W[te], prior[te] + w.predict(X[te]), r))
base = np.array(res["group prior"])[:, 0]
for name, v in res.items():
    v = np.array(v)
    d = v[:, 0] - base
    print(f"{mode} {name:26s} APGR {v[:, 0].mean():.4f} ± {v[:, 0].std(ddof=1):.4f}  CPT50 {100 * v[:, 1].mean():.1f}%"
          f"  vs prior {d.mean():+.4f} ± {d.std(ddof=1) / np.sqrt(len(d)):.4f} (SE, {len(d)} folds)")
