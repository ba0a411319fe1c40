#!/usr/bin/python3
"""Compare model families on the measured spoof corpus, held out by unit.

Reads the corpus cache that `spooffit -root ../shared/facedata -items FILE`
writes (JSON lines of padfit.Item) and scores every item with a model fitted
without its hold-out unit, for a logistic regression (the shipped family),
gradient-boosted trees and a random forest. Prints pooled crop, NUAA and
video-frame AUCs, per-source crop AUCs and, at 1 % bona fide video-frame
rejection, the share of each attack video's frames caught.

Debian packages only: apt-get install python3-sklearn python3-numpy
Usage: /usr/bin/python3 spoof/cmd/spooffit/compare_models.py ITEMS.jsonl [lr] [hgb] [rf]
"""
import json
import sys

import numpy as np
from sklearn.ensemble import HistGradientBoostingClassifier, RandomForestClassifier
from sklearn.linear_model import LogisticRegression
from sklearn.metrics import roc_auc_score
from sklearn.pipeline import make_pipeline
from sklearn.preprocessing import StandardScaler


def feat(s):
    """The model's features (spoof/features.go) plus border and context."""
    return ([np.log1p(s['laplacian_var'])] + list(np.sqrt(s['lbp'])) + list(np.sqrt(s['lbp2'])) +
            [s['contrast'], s['range'], np.log(s['high_freq'] + 1e-6), np.log(s['mid_freq'] + 1e-6),
             s['moire'], np.sqrt(s['specular']), s['chroma_spread'], s['chroma']] +
            list(np.sqrt(s['lbp_cb'])) + list(np.sqrt(s['lbp_cr'])) +
            [s['cb_mean'], s['cr_mean'], s['face_light'], s['context_sharp'], s['chroma_hf'],
             s['border'], s['context']])


def main():
    items = [json.loads(line) for line in open(sys.argv[1])]
    which = sys.argv[2:] or ['lr', 'hgb', 'rf']
    X = np.array([feat(it['signals']) for it in items])
    y = np.array([it['live'] for it in items]).astype(int)
    units = np.array([it['unit'] for it in items])
    kind = np.array([it['kind'] for it in items])
    src = np.array([it['source'] for it in items])
    makers = {
        'lr': lambda: make_pipeline(StandardScaler(), LogisticRegression(C=1.0, max_iter=2000)),
        'hgb': lambda: HistGradientBoostingClassifier(max_depth=3, learning_rate=0.1, max_iter=200, l2_regularization=1.0),
        'rf': lambda: RandomForestClassifier(n_estimators=200, min_samples_leaf=5, n_jobs=1),
    }
    for name in which:
        oof = np.zeros(len(y))
        for u in np.unique(units):
            te = units == u
            tr = ~te
            w = np.where(y[tr] == 1, 0.5 / y[tr].sum(), 0.5 / (1 - y[tr]).sum())
            m = makers[name]()
            if hasattr(m, 'steps'):
                m.fit(X[tr], y[tr], **{m.steps[-1][0] + '__sample_weight': w})
            else:
                m.fit(X[tr], y[tr], sample_weight=w)
            oof[te] = m.predict_proba(X[te])[:, 1]
        c, n, v = kind == 'crop', kind == 'nuaa', kind == 'video'
        print(name, 'crops %.3f' % roc_auc_score(y[c], oof[c]), 'nuaa %.3f' % roc_auc_score(y[n], oof[n]),
              'video %.3f' % roc_auc_score(y[v], oof[v]))
        print('  per source', ' '.join('%s:%.2f' % (s[:3], roc_auc_score(y[c & (src == s)], oof[c & (src == s)]))
                                       for s in np.unique(src[c])))
        thr = np.quantile(oof[v & (y == 1)], 0.01)
        print('  attack frames caught at 1 %% bona fide video-frame rejection:',
              ' '.join('%s:%.0f%%' % (s[:3], 100 * np.mean(oof[v & (src == s)] < thr)) for s in np.unique(src[v & (y == 0)])))


if __name__ == '__main__':
    main()
