#!/usr/bin/env python3
"""Reference TF-IDF and truncated SVD values for Mosaic's quality-routing tests.

Run once (needs scikit-learn and numpy); writes tfidf_svd_reference.json beside this script.
    python3 make_tfidf_svd_reference.py
"""
import json
import os

import numpy as np
import scipy.sparse as sp
import sklearn
from sklearn.decomposition import TruncatedSVD
from sklearn.feature_extraction.text import TfidfVectorizer

corpus = [
    "What is the derivative of x^2 + 3x?",
    "Solve for x: 2x + 5 = 11.",
    "Which event happened first, the French Revolution or the American Revolution?",
    "Write a Python function that reverses a list.\n\ndef reverse(xs):  return xs[::-1]",
    "Who wrote the novel Pride and Prejudice?",
    "Explain the difference between TCP and UDP  in two sentences.",
    "What is the capital of France?   Answer: Paris",
    "Compute the integral of sin(x) from 0 to pi.",
    "Summarise the causes of the First World War.",
    "Translate 'good morning' into French and Spanish.",
    "Is 97 a prime number? Explain why or why not.",
    "The derivative of sin(x) is cos(x); what is the derivative of cos(x)?",
]
unseen = "What is the derivative of the French capital's population, in Python?"

def sparse_row(r):
    return [[int(j), float(r[j])] for j in np.nonzero(r)[0]]


def vectorizer_reference(**kw):
    v = TfidfVectorizer(smooth_idf=True, norm="l2", **kw)
    x = v.fit_transform(corpus)
    terms = v.get_feature_names_out().tolist()
    return v, x, {
        "terms": terms,
        "idf": v.idf_.tolist(),
        # Nonzeros of each row as [column, value] pairs.
        "rows": [sparse_row(r) for r in x.toarray()],
        "unseen": sparse_row(v.transform([unseen]).toarray()[0]),
    }

word_v, word_x, word = vectorizer_reference(analyzer="word", ngram_range=(1, 2), sublinear_tf=True)
char_v, char_x, char = vectorizer_reference(analyzer="char", ngram_range=(3, 4), sublinear_tf=False)

# The quality scorer's input: both blocks side by side, each scaled by 1/sqrt(2).
x = sp.hstack([word_x, char_x]).tocsr() / np.sqrt(2)
svd = TruncatedSVD(n_components=4, algorithm="arpack", random_state=0)
svd.fit(x)

out = {
    "generator": "make_tfidf_svd_reference.py",
    "sklearn": sklearn.__version__,
    "numpy": np.__version__,
    "corpus": corpus,
    "unseen": unseen,
    "word": dict(word, analyzer="word", ngram_range=[1, 2], sublinear_tf=True),
    "char": dict(char, analyzer="char", ngram_range=[3, 4], sublinear_tf=False),
    "svd": {
        "n_components": 4,
        "singular_values": svd.singular_values_.tolist(),
        "components": svd.components_.tolist(),
    },
}
with open(os.path.join(os.path.dirname(os.path.abspath(__file__)), "tfidf_svd_reference.json"), "w") as f:
    json.dump(out, f)
    f.write("\n")
