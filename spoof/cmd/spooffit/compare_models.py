#!/usr/bin/python3
"""Prototype the spoof model's heads on the measured corpus, held out by unit.

Reads the corpus cache that `spooffit -root ../shared/facedata -items FILE`
writes (JSON lines of padfit.Item) and scores every item with heads fitted
without its hold-out unit (a crop source, a NUAA subject or a video person),
as the shipped model is built (spoof/features.go, docs/spoof.md): the 112
fitted features (the last 16 the landmark network's responses), standardised and clamped to ±4 σ; one multinomial logistic
regression of three classes (bona fide, screen replay, NUAA print), each
class weighing a third, whose log-odds of bona fide against either attack
score a frame. For comparison it also fits the previous model: a screen
head (bona fide against screen replays) and a print head (bona fide against
NUAA prints, without the colour cast and hue texture), a colour frame's
log-odds the lower of the two. Prints pooled crop, NUAA and video-frame
AUCs, the per-source crop AUCs and, at 1 % bona fide video-frame
rejection, the share of each attack video's frames caught and the bona
fide videos with frames below that point. There is no
Platt calibration here, so the figures differ a little from the Go fit's
(`spooffit -root`).

Options:
  model=lr|hgb       screen head family of the previous model: logistic
                     regression or gradient-boosted trees
  weights=none|unit|kind
                     sample weights within each class (of the joint model
                     and of both heads): equal (shipped), or balancing each
                     unit, or each kind (crop, NUAA, video)
  C=1.0              inverse ridge penalty of the logistic heads
  mesh=1|0           with (shipped) or without the landmark network's
                     responses (the model before they were added)

Debian packages only: apt-get install python3-sklearn python3-numpy
Usage: /usr/bin/python3 spoof/cmd/spooffit/compare_models.py ITEMS.jsonl [model=lr] [weights=none] [C=1.0] [mesh=1]
"""
import json
import sys

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score

HISTS = ['lbp', 'lbp2', 'lbp_cb', 'lbp_cr', 'lbp_sat', 'lbp_hue', 'lbp_cb_r2', 'lbp_cr_r2']
PLAIN = ['chroma_spread', 'chroma', 'cb_mean', 'cr_mean', 'face_light', 'context_sharp',
         'chroma_hf', 'skew', 'sat_mean', 'sat_spread']
CAST = {'cb_mean', 'cr_mean', 'chroma', 'chroma_spread'}  # left out of the print head, with lbp_hue


def features(s):
    """The fitted features of spoof/features.go, by name."""
    f = {'log_laplacian_var': np.log1p(s['laplacian_var'])}
    for k in HISTS:
        for i, v in enumerate(s[k]):
            f['%s_%d' % (k, i)] = np.sqrt(v)
    f['log_high_freq'] = np.log(s['high_freq'] + 1e-6)
    f['log_mid_freq'] = np.log(s['mid_freq'] + 1e-6)
    f['moire'] = s['moire']
    f['sqrt_specular'] = np.sqrt(s['specular'])
    for k in PLAIN:
        f[k] = s[k]
    f['sqrt_clipped'] = np.sqrt(s['clipped'])
    # The landmark network's first-block responses; missing (NaN) where
    # the face analyser found no landmarks, and then counted as the mean.
    for i in range(16):
        f['mesh_%d' % i] = s['mesh'][i] if s.get('has_mesh') else np.nan
    return f


def standardise(X):
    """The model's standardisation: z-scores clamped to ±4 σ, a missing
    feature counting as its mean."""
    mu, sd = np.nanmean(X, 0), np.nanstd(X, 0) + 1e-9
    return lambda A: np.nan_to_num(np.clip((A - mu) / sd, -4, 4))


def class_weights(y, w):
    """Scales w so that both classes carry the same total weight."""
    w = w.astype(float).copy()
    for c in (0, 1):
        w[y == c] *= len(y) / (2 * w[y == c].sum())
    return w


def fit(X, y, w, model, C):
    """Fits one head; returns its scoring function (log-odds or margin)."""
    t = standardise(X)
    Z = t(X)
    if model == 'hgb':
        m = HistGradientBoostingClassifier(max_depth=3, learning_rate=0.1, max_iter=200, l2_regularization=1.0)
    else:
        m = LogisticRegression(C=C, max_iter=5000)
    m.fit(Z, y, sample_weight=class_weights(y, w))
    return lambda Xt: m.decision_function(t(Xt))


def fit_joint(X, cls, C, w=None):
    """Fits the multinomial model (classes 0 bona fide, 1 screen, 2 print),
    each class weighing a third, its items weighted within it by w (equal
    when None); returns its log-odds of bona fide against either attack."""
    t = standardise(X)
    Z = t(X)
    w = np.ones(len(cls)) if w is None else w.astype(float).copy()
    for c in range(3):
        w[cls == c] *= len(cls) / (3 * w[cls == c].sum())
    m = LogisticRegression(C=C, max_iter=5000)
    m.fit(Z, cls, sample_weight=w)

    def score(Xt):
        lp = m.predict_log_proba(t(Xt))
        return lp[:, 0] - np.logaddexp(lp[:, 1], lp[:, 2])
    return score


def main():
    opts = dict(a.split('=', 1) for a in sys.argv[2:])
    model, weighting, C = opts.get('model', 'lr'), opts.get('weights', 'none'), float(opts.get('C', 1.0))
    items = [json.loads(line) for line in open(sys.argv[1])]
    F = [features(it['signals']) for it in items]
    names = [n for n in F[0] if opts.get('mesh', '1') == '1' or not n.startswith('mesh_')]
    X = np.array([[f[n] for n in names] for f in F])
    y = np.array([it['live'] for it in items]).astype(int)
    unit = np.array([it['unit'] for it in items])
    kind = np.array([it['kind'] for it in items])
    src = np.array([it['source'] for it in items])
    noprint = [i for i, n in enumerate(names) if n not in CAST and not n.startswith('lbp_hue')]
    screen = (y == 1) | ((y == 0) & (kind != 'nuaa'))
    prints = (y == 1) | ((y == 0) & (kind == 'nuaa'))

    def weights(mask, lab=y):
        w = np.ones(mask.sum())
        key = {'unit': src, 'kind': kind}.get(weighting)
        if key is not None:
            k, l = key[mask], lab[mask]
            for g in set(zip(k, l)):
                sel = (k == g[0]) & (l == g[1])
                w[sel] = 1 / (np.sqrt(sel.sum()) if weighting == 'unit' else sel.sum())
        return w

    cls = np.where(y == 1, 0, np.where(kind == 'nuaa', 2, 1))
    S, P, J = np.zeros(len(y)), np.zeros(len(y)), np.zeros(len(y))
    for u in np.unique(unit):
        te, tr = unit == u, unit != u
        ms, mp = tr & screen, tr & prints
        S[te] = fit(X[ms], y[ms], weights(ms), model, C)(X[te])
        P[te] = fit(X[mp][:, noprint], y[mp], weights(mp), 'lr', C)(X[te][:, noprint])
        J[te] = fit_joint(X[tr], cls[tr], C, weights(tr, cls))(X[te])
    c, n, v = kind == 'crop', kind == 'nuaa', kind == 'video'
    for name, sc in [('joint', J), ('screen head', S), ('print head', P), ('min of both', np.minimum(S, P))]:
        print('%-12s crops %.3f  nuaa %.3f  video %.4f' % (
            name, roc_auc_score(y[c], sc[c]), roc_auc_score(y[n], sc[n]), roc_auc_score(y[v], sc[v])))
        print('  per source', ' '.join('%s:%.2f' % (s[:3], roc_auc_score(y[c & (src == s)], sc[c & (src == s)]))
                                       for s in np.unique(src[c])))
        thr = np.quantile(sc[v & (y == 1)], 0.01)
        print('  attack frames caught at 1 % bona fide video-frame rejection:',
              ' '.join('%s:%.0f%%' % (s[:3], 100 * np.mean(sc[v & (src == s)] < thr)) for s in np.unique(src[v & (y == 0)])))
        print('  bona fide videos with frames below that point:',
              ' '.join('%s:%d of %d' % (s[:3], np.sum(sc[v & (src == s)] < thr), np.sum(v & (src == s)))
                       for s in np.unique(src[v & (y == 1)]) if np.any(sc[v & (src == s)] < thr)))


if __name__ == '__main__':
    main()
