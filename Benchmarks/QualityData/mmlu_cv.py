"""What the quality-head prototypes share: the MMLU correctness file, APGR and the shrunk prior.

`load(path)` reads RouteLLM's MMLU training split (default: ../shared beside the repository, or
one level further up from a worktree) and returns the strong and weak correctness, the weak
advantage Y = W − S, the subject names and each row's subject index.
"""
import os

import numpy as np
import pandas as pd

HERE = os.path.dirname(os.path.abspath(__file__))
RELATIVE = "shared/datasets/routellm-eval/mmlu_routing_train.csv"


def default_path():
    for up in ("../../..", "../../../.."):  # the repository beside ../shared, or a worktree one level deeper
        path = os.path.join(HERE, up, RELATIVE)
        if os.path.exists(path):
            return path
    return os.path.join(HERE, "../../..", RELATIVE)


def load(path=None):
    df = pd.read_csv(path or default_path())
    S = (df.gpt_4_1106_preview_correct.astype(str) == "True").values.astype(float)
    W = (df.mixtral_8x7b_instruct_correct.astype(str) == "True").values.astype(float)
    subjects, sidx = np.unique(df.subject.values, return_inverse=True)
    return df, S, W, W - S, subjects, sidx


def apgr(s, w, score, rng):
    """APGR and CPT50 of routing the lowest scores to the strong model first (ties broken at random)."""
    order = np.argsort(score + rng.random(len(s)) * 1e-9, kind="stable")
    curve = np.concatenate([[0], np.cumsum(s[order] - w[order]) / (s.sum() - w.sum())])
    return ((curve[:-1] + curve[1:]) / 2).sum() / len(s), np.argmax(curve >= 0.5) / len(s)


def shrunk(g, y, G):
    """Each of G groups' mean of y shrunk toward the global mean (normal–normal empirical Bayes)."""
    mu = y.mean()
    cnt = np.bincount(g, minlength=G).astype(float)
    raw = np.where(cnt > 0, np.bincount(g, weights=y, minlength=G) / np.maximum(cnt, 1), mu)
    within = ((y - raw[g]) ** 2).sum() / (len(y) - (cnt > 0).sum())
    tau = max(0.0, raw[cnt > 0].var(ddof=1) - (within / cnt[cnt > 0]).mean())
    b = np.where(cnt > 0, tau / (tau + within / np.maximum(cnt, 1)), 0)
    return mu + b * (raw - mu), mu


def random_folds(rng, n, k=5):
    """Each of n rows' fold, 0..<k, in a random balanced assignment."""
    fold = np.empty(n, int)
    fold[rng.permutation(n)] = np.arange(n) % k
    return fold


def subject_folds(rng, sidx, G, k=5):
    """Each row's fold when whole subjects are held out together."""
    fg = np.empty(G, int)
    fg[rng.permutation(G)] = np.arange(G) % k
    return fg[sidx]


def by_group(g_fit, g_pred, G):
    """For each group present on both sides: (group, its fit positions, its predict positions)."""
    for g in range(G):
        m = np.flatnonzero(g_fit == g)
        p = np.flatnonzero(g_pred == g)
        if len(m) and len(p):
            yield g, m, p


def print_against(res, base, width, versus="length"):
    """Each method's APGR and CPT50 over the folds (lists of (APGR, CPT50)), with its paired gain
    over `base`'s APGR, mean ± standard error."""
    b = np.array(res[base])
    for name, v in res.items():
        v = np.array(v)
        d = v[:, 0] - b[:, 0]
        print(f"{name:{width}s} APGR {v[:, 0].mean():.4f} ± {v[:, 0].std(ddof=1):.4f}  CPT50 {100 * v[:, 1].mean():.1f}%  "
              f"vs {versus} {d.mean():+.4f} ± {d.std(ddof=1) / np.sqrt(len(d)):.4f} (SE, {len(d)} folds)")
