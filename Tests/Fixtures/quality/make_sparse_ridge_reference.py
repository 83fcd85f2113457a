#!/usr/bin/env python3
"""Reference ridge weights for Mosaic's SparseRidge (the quality scorer's text ridge).

Run once (needs scikit-learn and numpy); writes sparse_ridge_reference.json beside this script.
    python3 make_sparse_ridge_reference.py
"""
import json
import os

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.linear_model import Ridge

here = os.path.dirname(os.path.abspath(__file__))
with open(os.path.join(here, "tfidf_svd_reference.json")) as f:
    corpus = json.load(f)["corpus"]

# The text ridge's input: word 1-2-gram and char 3-5-gram TF-IDF side by side, each scaled by 1/sqrt(2).
word = TfidfVectorizer(analyzer="word", ngram_range=(1, 2), sublinear_tf=True, smooth_idf=True, norm="l2")
char = TfidfVectorizer(analyzer="char", ngram_range=(3, 5), sublinear_tf=True, smooth_idf=True, norm="l2")
x = (sp.hstack([word.fit_transform(corpus), char.fit_transform(corpus)]).tocsr() / np.sqrt(2)).tocsr()
# A fixed weak-advantage-like target (weak minus strong correctness), centred.
y = np.array([0, -1, 0, -1, 0, 0, 1, -1, 0, 0, -1, 0], dtype=float)
y = y - y.mean()

out = {
    "generator": "make_sparse_ridge_reference.py",
    "sklearn": sklearn.__version__,
    "numpy": np.__version__,
    "width": x.shape[1],
    "rows": [[[int(j), float(v)] for j, v in zip(x.indices[x.indptr[i]:x.indptr[i + 1]], x.data[x.indptr[i]:x.indptr[i + 1]])]
             for i in range(x.shape[0])],
    "y": y.tolist(),
    "fits": [],
}
for alpha in [0.1, 1.0, 10.0]:
    r = Ridge(alpha=alpha, fit_intercept=False, solver="cholesky").fit(x.toarray(), y)
    out["fits"].append({"alpha": alpha, "coef": r.coef_.tolist()})
# The per-group text ridges (QualityTrainer.groupTextRidges): the text ridge (alpha 1) first, then
# for each group a ridge (alpha 10, no intercept) of what it leaves, on that group's rows only.
groups = ["a", "b", "c"] * 4
first = Ridge(alpha=1.0, fit_intercept=False, solver="cholesky").fit(x.toarray(), y)
residual = y - first.predict(x.toarray())
out["groups"] = groups
out["group_fits"] = {"text_alpha": 1.0, "group_alpha": 10.0, "residual": residual.tolist(), "coef": {}}
for g in sorted(set(groups)):
    rows = [i for i, h in enumerate(groups) if h == g]
    r = Ridge(alpha=10.0, fit_intercept=False, solver="cholesky").fit(x[rows].toarray(), residual[rows])
    out["group_fits"]["coef"][g] = r.coef_.tolist()
with open(os.path.join(here, "sparse_ridge_reference.json"), "w") as f:
    json.dump(out, f)
    f.write("\n")
