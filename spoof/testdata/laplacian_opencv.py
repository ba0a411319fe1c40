#!/usr/bin/env python3
"""Regenerates laplacian_opencv.json: small 8-bit images and the value of
cv2.Laplacian(img, cv2.CV_64F).var() for each (needs python3-opencv and
numpy; on Debian: apt-get install python3-opencv). The Go test compares
spoof.LaplacianVar with these values."""
import json
import cv2
import numpy as np

rng = np.random.default_rng(20240601)
cases = []
shapes = [(1, 1), (1, 5), (5, 1), (2, 2), (2, 3), (3, 3), (4, 7), (7, 4), (16, 16), (31, 17), (64, 48)]
for h, w in shapes:
    for kind in ("random", "ramp", "blocks"):
        if kind == "random":
            img = rng.integers(0, 256, size=(h, w), dtype=np.uint8)
        elif kind == "ramp":
            y, x = np.mgrid[0:h, 0:w]
            img = ((x * 37 + y * y * 11) % 256).astype(np.uint8)
        else:
            img = np.where(((np.arange(h)[:, None] // 3) + (np.arange(w)[None, :] // 2)) % 2 == 0, 250, 5).astype(np.uint8)
        v = float(cv2.Laplacian(img, cv2.CV_64F).var())
        cases.append({"w": w, "h": h, "kind": kind, "pix": img.flatten().tolist(), "var": v})
with open("laplacian_opencv.json", "w") as f:
    json.dump({"opencv": cv2.__version__, "cases": cases}, f, indent=None, separators=(",", ":"))
    f.write("\n")
