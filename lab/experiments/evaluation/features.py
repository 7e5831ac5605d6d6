"""GenLab features: the image page's classifier (lab.images.fd.LeNet, shipped for the digits in
assets/fd_digits.pt) gives every image its 128-d penultimate features (for the Fréchet distance,
precision / recall and nearest neighbours) and its 10 class logits (for the Inception Score),
in one pass. They are NOT Inception-v3's: the numbers compare sets of these digits with each
other, never with published FIDs or ISs.

The network is read-only shared weights, loaded once per process (eval mode, used under
inference_mode: safe from several threads). The features of a set are computed once per run
(`FeatureCache`, keyed by the set's name), so a redraw or a new k never pays for them again.
"""
from __future__ import annotations

import threading
from dataclasses import dataclass
from typing import Callable

import torch

from lab.data import images as image_data
from lab.images.fd import LeNet, feature_net

CHUNK = 250            # images per forward pass: 250 ran ~2x faster than 1,000 on one CPU thread
_nets: dict[str, LeNet] = {}
_lock = threading.Lock()


def classifier(data: str) -> LeNet:
    """The data set's classifier (loaded, or trained once and cached on disk for MNIST /
    Fashion-MNIST by lab.images.fd.feature_net); one per process."""
    with _lock:
        if data not in _nets:
            _nets[data] = feature_net(image_data.load(data)).eval()
        return _nets[data]


@dataclass(frozen=True)
class Features:
    features: torch.Tensor        # (n, 128) float32
    logits: torch.Tensor          # (n, 10)

    def __getitem__(self, idx) -> "Features":
        return Features(self.features[idx], self.logits[idx])


@torch.inference_mode()
def extract(net: LeNet, images: torch.Tensor) -> Features:
    """images (n, C, H, W) in [-1, 1] -> features and logits, CHUNK images at a time."""
    feats = [net.features(chunk) for chunk in images.split(CHUNK)]
    f = torch.cat(feats) if feats else torch.zeros(0, net.head.in_features)
    return Features(f, net.head(f))


class FeatureCache:
    """One run's sets: name -> Features, each computed once."""

    def __init__(self, net: LeNet):
        self.net = net
        self.sets: dict[str, Features] = {}
        self.computed = 0          # images passed through the network (the cache's misses)

    def get(self, name: str, images: Callable[[], torch.Tensor]) -> Features:
        """The set's features; `images()` is called (and the net run) only the first time."""
        if name not in self.sets:
            x = images()
            self.sets[name] = extract(self.net, x)
            self.computed += len(x)
        return self.sets[name]
