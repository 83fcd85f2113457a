#!/usr/bin/env python3
"""The known-group quality head as shipped (schema 5), and candidate changes as paired gains over it.

Random-prompt 5-fold CV × several fold seeds on RouteLLM's MMLU training split. Each outer fold
refits what the trainer fits on its training rows (everything that sees a label):
  - the shrunk subject prior (GroupShrinkage);
  - the text ridge (α = 20, no intercept) of the deviation from the prior on word 1–2-gram and
    char 3–5-gram TF-IDF (10,000 terms each, side by side, each block / √2);
  - per subject, a ridge (α = 10) of what the text ridge leaves on that subject's rows, keeping
    the fifth of its weights largest in magnitude; the text column is the sum of both ridges;
  - the head: a ridge (α = 1, intercept) of the weak advantage on inner-out-of-fold
    [prior − global, text column, standardised log length] (5 inner random folds), which is what
    the trainer's inner selection chose on MMLU (prior + text + length).
The TF-IDF vocabularies are fitted on all rows (text only, no labels); the Swift trainer fits them
on each training part. Candidates add columns to the head or change the TF-IDF matrix; each is
reported as its paired gain over the shipped pipeline on the same folds, mean ± standard error
over the folds (and the mean change of CPT50):
  base     the shipped head; the head without length; + option structure (numeric options, "of
           the above", option length spread and mean, NOT/EXCEPT/LEAST/FALSE in the stem, stem
           length); + a within-subject kNN on raw TF-IDF cosine of the deviation from the prior;
           + per-subject length slopes (unpenalised beyond α = 1, or shrunk ×100);
  big      every term with document frequency ≥ 2 (316,085 columns) instead of 10,000 a block;
  w13cwb   word 1–3-grams and char_wb 3–5-grams, 10,000 terms each;
  stemopt  the shipped blocks plus word and char blocks of the stem and of the options alone;
  logit2   + P(weak right) − P(strong right) from two logistic regressions (C = 1) on TF-IDF and
           subject one-hot, beside the shipped columns (and instead of the text column).
  irt      + difficulty: the same prior + text pipeline fitted to the two models' mean correctness
           (S + W) / 2 instead of the advantage, beside the shipped columns as d, as d and d² (the
           weak model's loss peaks at middling difficulty: both right on easy items, both wrong on
           the hardest), the same without the per-subject ridges (what the trainer ships since
           schema 6), that with d × prior or d³ beside it, and as one column d(1 − d); and nonlinear
           heads on the shipped head's inputs (boosted trees, their average with the ridge, and a
           one-layer network).

    python3 known_head_cv.py 3 base,big,w13cwb,stemopt,logit2,irt   # 3 fold seeds (15 folds), all
    python3 known_head_cv.py 3 base,stemopt    # only these TF-IDF matrices (gains need base)
Fold columns are cached under $QUALITY_CACHE (default /tmp/quality_known_head), so a second run
with the same arguments only refits the heads.
"""
import os
import re
import sys
import time

import numpy as np
import scipy.sparse as sp
import scipy.linalg as sl
from sklearn.feature_extraction.text import TfidfVectorizer
from sklearn.ensemble import HistGradientBoostingRegressor
from sklearn.linear_model import LogisticRegression, Ridge
from sklearn.neural_network import MLPRegressor

from mmlu_cv import apgr, by_group, load, random_folds, shrunk

CACHE = os.environ.get("QUALITY_CACHE", "/tmp/quality_known_head")
os.makedirs(CACHE, exist_ok=True)

seeds = int(sys.argv[1]) if len(sys.argv) > 1 else 3
variants = sys.argv[2].split(",") if len(sys.argv) > 2 else ["base", "big", "w13cwb", "stemopt", "logit2", "irt"]
df, S, W, Y, subjects, sidx = load()
n, G = len(df), len(subjects)
prompts = df.prompt.tolist()
LOGLEN = np.log1p(df.prompt.str.len().values)


# ---- MMLU prompt parts: stem, options A–D ----
OPT = re.compile(r"\n([A-D])\. ")


def split_prompt(p):
    body = p.rsplit("\nAnswer:", 1)[0]
    parts = OPT.split(body)
    if len(parts) < 3:
        return body, []
    return parts[0], [parts[i + 1].strip() for i in range(1, len(parts) - 1, 2)]


PARTS = [split_prompt(p) for p in prompts]
NUM = re.compile(r"^[-+$]?\(?[-+]?\d[\d,]*\.?\d*\)?\s*(%|[a-zA-Z/^°]{0,6}\d?)?$")


def option_features():
    """A priori option-level structure (standardised on all rows, clipped to ±4 like the trainer's)."""
    f = []
    for stem, opts in PARTS:
        lens = np.array([len(o) for o in opts] or [0], float)
        f.append([
            np.mean([bool(NUM.match(o)) for o in opts]) if opts else 0,            # numeric options
            float(any("of the above" in o.lower() for o in opts)),                 # all/none of the above
            np.log1p(lens).std(),                                                  # option length spread
            np.log1p(lens.mean()),                                                 # option length
            float(bool(re.search(r"\b(NOT|EXCEPT|LEAST|FALSE)\b", stem))),         # negation in the stem
            np.log1p(len(stem)),                                                   # stem length
        ])
    f = np.array(f)
    f = (f - f.mean(0)) / np.where(f.std(0) > 1e-12, f.std(0), 1)
    return np.clip(f, -4, 4)


def tfidf(texts, terms, word=(1, 2), char=(3, 5), char_analyzer="char"):
    blocks = [TfidfVectorizer(analyzer=a, ngram_range=r, sublinear_tf=True, min_df=2, max_features=terms).fit_transform(texts)
              for a, r in [("word", word), (char_analyzer, char)]]
    return blocks


def matrix(name):
    f = os.path.join(CACHE, f"X_{name}.npz")
    if os.path.exists(f):
        return sp.load_npz(f).tocsr()
    t = time.time()
    if name == "base":
        X = sp.hstack(tfidf(prompts, 10000)) / np.sqrt(2)
    elif name == "big":       # every term with document frequency ≥ 2
        X = sp.hstack(tfidf(prompts, None)) / np.sqrt(2)
    elif name == "w13cwb":    # word 1–3-grams and char_wb 3–5-grams, 10,000 terms each
        X = sp.hstack(tfidf(prompts, 10000, word=(1, 3), char_analyzer="char_wb")) / np.sqrt(2)
    elif name == "stemopt":   # the shipped blocks, plus stem and options blocks of their own (each block / 2)
        stems = [s for s, _ in PARTS]
        opts = [" \n ".join(o) for _, o in PARTS]
        X = sp.hstack(tfidf(prompts, 10000) + tfidf(stems, 10000) + tfidf(opts, 10000)) / np.sqrt(6)
    else:
        raise SystemExit(f"unknown variant {name}")
    X = X.tocsr().astype(np.float64)
    sp.save_npz(f, X)
    print(f"# matrix {name}: {X.shape[1]} columns, {X.nnz / n:.0f} nonzeros a row, {time.time() - t:.0f} s", flush=True)
    return X


def text_column(X, fit_rows, pred_rows, dev, group_alpha=10.0, keep=0.2, alpha=20.0):
    """Text ridge + per-subject ridges fitted on fit_rows' deviations `dev`, evaluated on pred_rows."""
    t = dev[fit_rows]
    t = t - t.mean()
    w = Ridge(alpha=alpha, fit_intercept=False, solver="sparse_cg").fit(X[fit_rows], t).coef_
    resid = t - X[fit_rows] @ w
    out = X[pred_rows] @ w
    for _, m, p in by_group(sidx[fit_rows], sidx[pred_rows], G) if group_alpha else ():
        Xg = X[fit_rows[m]]
        K = (Xg @ Xg.T).toarray()
        c = sl.solve(K + group_alpha * np.eye(len(m)), resid[m], assume_a="pos")
        wg = np.asarray(Xg.T @ c).ravel()
        nz = np.flatnonzero(wg)
        kept = nz[np.argsort(-np.abs(wg[nz]), kind="stable")][: int(np.ceil(keep * len(nz)))]
        wk = np.zeros_like(wg)
        wk[kept] = wg[kept]
        out[p] += X[pred_rows[p]] @ wk
    return out


def knn_column(X, fit_rows, pred_rows, dev, k=20, bandwidth=0.1, strength=2.0):
    """Within-subject kNN on raw TF-IDF cosine of the deviation from the prior (pseudo-neighbours at 0)."""
    out = np.zeros(len(pred_rows))
    for _, m, p in by_group(sidx[fit_rows], sidx[pred_rows], G):
        sims = (X[pred_rows[p]] @ X[fit_rows[m]].T).toarray()
        kk = min(k, len(m))
        top = np.argpartition(-sims, kk - 1, axis=1)[:, :kk]
        s = np.take_along_axis(sims, top, 1)
        wts = np.exp((s - 1) / bandwidth)
        out[p] = (wts * dev[fit_rows[m]][top]).sum(1) / (wts.sum(1) + strength)
    return out


def logit_column(X, fit_rows, pred_rows):
    """P(weak right) − P(strong right) from two L2 logistic regressions (C = 1) on TF-IDF + subject one-hot."""
    Z = sp.hstack([X, sp.csr_matrix((np.ones(n), (np.arange(n), sidx)), shape=(n, G))]).tocsr()
    p = [LogisticRegression(C=1.0, solver="liblinear").fit(Z[fit_rows], t[fit_rows]).predict_proba(Z[pred_rows])[:, 1] for t in (W, S)]
    return p[0] - p[1]


def columns(X, fit_rows, pred_rows, extra):
    """Head columns of pred_rows from a fit on fit_rows: prior − global, text, and extras."""
    if extra == {"logit"}:
        return {"logit": logit_column(X, fit_rows, pred_rows)}
    if extra == {"irt"}:  # difficulty: the shipped prior + text pipeline on the mean correctness (S + W) / 2
        M = (S + W) / 2
        pm, mm = shrunk(sidx[fit_rows], M[fit_rows], G)
        return {"diff": pm[sidx][pred_rows] - mm + text_column(X, fit_rows, pred_rows, M - pm[sidx]),
                # the same without the per-subject ridges
                "diff0": pm[sidx][pred_rows] - mm + text_column(X, fit_rows, pred_rows, M - pm[sidx], group_alpha=None)}
    pr, mu = shrunk(sidx[fit_rows], Y[fit_rows], G)
    prior = pr[sidx]
    dev = Y - prior
    cols = {"prior": prior[pred_rows] - mu, "text": text_column(X, fit_rows, pred_rows, dev)}
    if "knn" in extra:
        cols["knn"] = knn_column(X, fit_rows, pred_rows, dev)
    return cols


LEN = np.clip((LOGLEN - LOGLEN.mean()) / LOGLEN.std(), -4, 4)
OPTF = option_features()
res = {}
t0 = time.time()
for variant in variants:
    X = matrix("base" if variant in ("logit2", "irt") else variant)
    extra = {"knn"} if variant == "base" else {"logit"} if variant == "logit2" else {"irt"} if variant == "irt" else set()
    for seed in range(seeds):
        rng = np.random.default_rng(seed)
        fold = random_folds(rng, n)
        for kf in range(5):
            cache = os.path.join(CACHE, f"cols_{variant}_{seed}_{kf}.npz")
            tr, te = np.flatnonzero(fold != kf), np.flatnonzero(fold == kf)
            if os.path.exists(cache):
                z = np.load(cache)
                inner = {c[2:]: z[c] for c in z.files if c.startswith("i_")}
                outer = {c[2:]: z[c] for c in z.files if c.startswith("o_")}
            else:
                # Inner out-of-fold columns on the training rows (the trainer's head inputs).
                irng = np.random.default_rng(1000 + 10 * seed + kf)
                ifold = random_folds(irng, len(tr))
                inner = {}
                for j in range(5):
                    a, b = tr[ifold != j], tr[ifold == j]
                    for c, v in columns(X, a, b, extra).items():
                        inner.setdefault(c, np.zeros(len(tr)))[ifold == j] = v
                outer = columns(X, tr, te, extra)
                np.savez(cache, **{"i_" + c: v for c, v in inner.items()}, **{"o_" + c: v for c, v in outer.items()})
            if variant in ("logit2", "irt"):  # beside the shipped columns
                z = np.load(os.path.join(CACHE, f"cols_base_{seed}_{kf}.npz"))
                inner.update({c[2:]: z[c] for c in z.files if c.startswith("i_")})
                outer.update({c[2:]: z[c] for c in z.files if c.startswith("o_")})
            r = np.random.default_rng(100 * seed + kf)

            def head(names, add_tr=None, add_te=None):
                A = np.column_stack([inner[c] for c in names] + ([add_tr] if add_tr is not None else []))
                B = np.column_stack([outer[c] for c in names] + ([add_te] if add_te is not None else []))
                h = Ridge(alpha=1.0).fit(A, Y[tr])
                return apgr(S[te], W[te], h.predict(B), r)

            def record(name, v):
                res.setdefault(name, {})[(seed, kf)] = v

            if variant == "base":
                record("shipped: prior + text + length", head(["prior", "text"], LEN[tr], LEN[te]))
                record("group prior alone", apgr(S[te], W[te], outer["prior"], r))
                record("prior + text (no length)", head(["prior", "text"]))
                record("+ option structure", head(["prior", "text"], np.column_stack([LEN[tr], OPTF[tr]]), np.column_stack([LEN[te], OPTF[te]])))
                record("+ within-subject TF-IDF kNN", head(["prior", "text", "knn"], LEN[tr], LEN[te]))
                # Per-subject length slopes: length × subject one-hot beside the global slope; the
                # columns scaled by 0.1 put a 100× penalty on them (shrunk toward the global slope).
                oh_tr = np.eye(G)[sidx[tr]] * LEN[tr, None]
                oh_te = np.eye(G)[sidx[te]] * LEN[te, None]
                record("+ per-subject length slopes", head(["prior", "text"], np.column_stack([LEN[tr], oh_tr]), np.column_stack([LEN[te], oh_te])))
                record("+ per-subject length slopes, shrunk", head(["prior", "text"], np.column_stack([LEN[tr], 0.1 * oh_tr]), np.column_stack([LEN[te], 0.1 * oh_te])))
            elif variant == "logit2":
                record("+ two-logistic difference", head(["prior", "text", "logit"], LEN[tr], LEN[te]))
                record("prior + two-logistic difference + length", head(["prior", "logit"], LEN[tr], LEN[te]))
                so = os.path.join(CACHE, f"cols_stemopt_{seed}_{kf}.npz")
                if "stemopt" in variants and os.path.exists(so):  # both: the stemopt text column and the logistics
                    z = np.load(so)
                    inner["text_so"], outer["text_so"] = z["i_text"], z["o_text"]
                    record("matrix stemopt + two-logistic", head(["prior", "text_so", "logit"], LEN[tr], LEN[te]))
            elif variant == "irt":
                # An item's weak advantage peaks at middling difficulty (both models right on easy
                # items, both wrong on the hardest), which a linear head cannot express.
                d_tr, d_te = inner["diff"] - inner["diff"].mean(), outer["diff"] - inner["diff"].mean()
                record("+ difficulty", head(["prior", "text"], np.column_stack([LEN[tr], d_tr]), np.column_stack([LEN[te], d_te])))
                record("+ difficulty, difficulty²", head(["prior", "text"], np.column_stack([LEN[tr], d_tr, d_tr ** 2]), np.column_stack([LEN[te], d_te, d_te ** 2])))
                e_tr, e_te = inner["diff0"] - inner["diff0"].mean(), outer["diff0"] - inner["diff0"].mean()
                record("+ difficulty, difficulty² (no subject ridges)", head(["prior", "text"], np.column_stack([LEN[tr], e_tr, e_tr ** 2]), np.column_stack([LEN[te], e_te, e_te ** 2])))
                # Where the hump peaks may depend on the subject's gap: d × prior beside d and d².
                pr_tr, pr_te = inner["prior"], outer["prior"]
                record("+ d, d², d × prior (no subject ridges)", head(["prior", "text"], np.column_stack([LEN[tr], e_tr, e_tr ** 2, e_tr * pr_tr]), np.column_stack([LEN[te], e_te, e_te ** 2, e_te * pr_te])))
                record("+ d, d², d³ (no subject ridges)", head(["prior", "text"], np.column_stack([LEN[tr], e_tr, e_tr ** 2, e_tr ** 3]), np.column_stack([LEN[te], e_te, e_te ** 2, e_te ** 3])))
                # The same hump as a Bernoulli variance d(1 − d) of the mean correctness (one column).
                m_tr = ((S + W) / 2)[tr].mean()  # the difficulty column is a deviation from the training mean
                p_tr, p_te = np.clip(inner["diff"] + m_tr, 0, 1), np.clip(outer["diff"] + m_tr, 0, 1)
                record("+ d(1 − d)", head(["prior", "text"], np.column_stack([LEN[tr], p_tr * (1 - p_tr)]), np.column_stack([LEN[te], p_te * (1 - p_te)])))
                # Nonlinear heads on the same inputs (prior, text, length, d): boosted trees, their
                # average with the shipped ridge, and a one-layer network.
                A = np.column_stack([inner["prior"], inner["text"], LEN[tr], e_tr])
                B = np.column_stack([outer["prior"], outer["text"], LEN[te], e_te])
                ridge = Ridge(alpha=1.0).fit(np.column_stack([A, e_tr ** 2]), Y[tr]).predict(np.column_stack([B, e_te ** 2]))
                gbm = HistGradientBoostingRegressor(learning_rate=0.03, max_iter=200, max_leaf_nodes=8, min_samples_leaf=100,
                                                    l2_regularization=1.0, random_state=0).fit(A, Y[tr]).predict(B)
                record("boosted-tree head", apgr(S[te], W[te], gbm, r))
                record("shipped ridge and boosted trees, averaged", apgr(S[te], W[te], (ridge + gbm) / 2, r))
                mlp = MLPRegressor(hidden_layer_sizes=(16,), alpha=1.0, max_iter=2000, random_state=0).fit(A, Y[tr]).predict(B)
                record("one-layer network head (16 units)", apgr(S[te], W[te], mlp, r))
            else:
                record(f"matrix {variant}", head(["prior", "text"], LEN[tr], LEN[te]))
            print(f"# {variant} seed {seed} fold {kf} {time.time() - t0:.0f} s", flush=True)

if "shipped: prior + text + length" not in res:
    raise SystemExit("columns cached; run with base among the variants for the table")
base = res["shipped: prior + text + length"]
for name, v in res.items():
    keys = sorted(v)
    a = np.array([v[k][0] for k in keys])
    c = np.array([v[k][1] for k in keys])
    d = a - np.array([base[k][0] for k in keys])
    dc = c - np.array([base[k][1] for k in keys])
    print(f"{name:34s} APGR {a.mean():.4f} ± {a.std(ddof=1):.4f}  CPT50 {100 * c.mean():.1f}%  "
          f"gain {d.mean():+.4f} ± {d.std(ddof=1) / np.sqrt(len(d)):.4f} (SE)  CPT50 {100 * dc.mean():+.2f} pts  ({len(d)} folds)")
