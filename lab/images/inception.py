"""True FID, when the user supplies the Inception weights as a file (nothing is downloaded).

The network is Inception-v3 (Szegedy et al., CVPR 2016) in the variant TensorFlow's FID code
uses (Heusel et al. 2017), written here from the architecture so that no torchvision is needed
(its wheel does not import on this CPU build). Parameter names follow torchvision's Inception3,
so the weights file that pytorch-fid publishes, `pt_inception-2015-12-05-6726825d.pth` (a plain
state_dict), loads with torch.load(weights_only=True). Differences from the classification net,
all from the TF graph: average pools in the A, C and first E blocks ignore the zero padding,
and the last E block pools with a max. Features: the 2048-d global average pool; inputs in
[0, 1] are resized to 299 x 299 (bilinear) and mapped to [-1, 1].

FID from a few thousand samples is biased upwards; the papers use 10k-50k.
"""
from __future__ import annotations

from pathlib import Path

import torch
import torch.nn.functional as F
from torch import nn

from lab.config import ConfigError


class Conv(nn.Sequential):
    """conv (no bias) -> batch norm (eps 1e-3) -> ReLU; named conv / bn as in torchvision."""

    def __init__(self, n_in: int, n_out: int, k, stride=1, padding=0):
        super().__init__()
        self.conv = nn.Conv2d(n_in, n_out, k, stride, padding, bias=False)
        self.bn = nn.BatchNorm2d(n_out, eps=0.001)
        self.relu = nn.ReLU()


def _tf_avg_pool(x: torch.Tensor) -> torch.Tensor:
    return F.avg_pool2d(x, 3, 1, 1, count_include_pad=False)


class BlockA(nn.Module):                      # 35 x 35, out 224 + pool_features
    def __init__(self, n_in: int, pool_features: int):
        super().__init__()
        self.branch1x1 = Conv(n_in, 64, 1)
        self.branch5x5_1, self.branch5x5_2 = Conv(n_in, 48, 1), Conv(48, 64, 5, padding=2)
        self.branch3x3dbl_1 = Conv(n_in, 64, 1)
        self.branch3x3dbl_2, self.branch3x3dbl_3 = Conv(64, 96, 3, padding=1), Conv(96, 96, 3, padding=1)
        self.branch_pool = Conv(n_in, pool_features, 1)

    def forward(self, x):
        return torch.cat([self.branch1x1(x), self.branch5x5_2(self.branch5x5_1(x)),
                          self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
                          self.branch_pool(_tf_avg_pool(x))], 1)


class BlockB(nn.Module):                      # 35 -> 17, out 768
    def __init__(self, n_in: int):
        super().__init__()
        self.branch3x3 = Conv(n_in, 384, 3, stride=2)
        self.branch3x3dbl_1 = Conv(n_in, 64, 1)
        self.branch3x3dbl_2, self.branch3x3dbl_3 = Conv(64, 96, 3, padding=1), Conv(96, 96, 3, stride=2)

    def forward(self, x):
        return torch.cat([self.branch3x3(x), self.branch3x3dbl_3(self.branch3x3dbl_2(self.branch3x3dbl_1(x))),
                          F.max_pool2d(x, 3, 2)], 1)


class BlockC(nn.Module):                      # 17 x 17 with factorised 7x7 convolutions, out 768
    def __init__(self, n_in: int, c7: int):
        super().__init__()
        row, col = dict(k=(1, 7), padding=(0, 3)), dict(k=(7, 1), padding=(3, 0))
        self.branch1x1 = Conv(n_in, 192, 1)
        self.branch7x7_1, self.branch7x7_2, self.branch7x7_3 = Conv(n_in, c7, 1), Conv(c7, c7, **row), Conv(c7, 192, **col)
        self.branch7x7dbl_1, self.branch7x7dbl_2 = Conv(n_in, c7, 1), Conv(c7, c7, **col)
        self.branch7x7dbl_3, self.branch7x7dbl_4 = Conv(c7, c7, **row), Conv(c7, c7, **col)
        self.branch7x7dbl_5 = Conv(c7, 192, **row)
        self.branch_pool = Conv(n_in, 192, 1)

    def forward(self, x):
        b7 = self.branch7x7_3(self.branch7x7_2(self.branch7x7_1(x)))
        d = x
        for i in range(1, 6):
            d = getattr(self, f"branch7x7dbl_{i}")(d)
        return torch.cat([self.branch1x1(x), b7, d, self.branch_pool(_tf_avg_pool(x))], 1)


class BlockD(nn.Module):                      # 17 -> 8, out 1280
    def __init__(self, n_in: int):
        super().__init__()
        self.branch3x3_1, self.branch3x3_2 = Conv(n_in, 192, 1), Conv(192, 320, 3, stride=2)
        self.branch7x7x3_1 = Conv(n_in, 192, 1)
        self.branch7x7x3_2 = Conv(192, 192, (1, 7), padding=(0, 3))
        self.branch7x7x3_3 = Conv(192, 192, (7, 1), padding=(3, 0))
        self.branch7x7x3_4 = Conv(192, 192, 3, stride=2)

    def forward(self, x):
        b = self.branch7x7x3_4(self.branch7x7x3_3(self.branch7x7x3_2(self.branch7x7x3_1(x))))
        return torch.cat([self.branch3x3_2(self.branch3x3_1(x)), b, F.max_pool2d(x, 3, 2)], 1)


class BlockE(nn.Module):                      # 8 x 8 with split 1x3 / 3x1 branches, out 2048
    def __init__(self, n_in: int, max_pool: bool):
        super().__init__()
        self.max_pool = max_pool
        self.branch1x1 = Conv(n_in, 320, 1)
        self.branch3x3_1 = Conv(n_in, 384, 1)
        self.branch3x3_2a, self.branch3x3_2b = Conv(384, 384, (1, 3), padding=(0, 1)), Conv(384, 384, (3, 1), padding=(1, 0))
        self.branch3x3dbl_1, self.branch3x3dbl_2 = Conv(n_in, 448, 1), Conv(448, 384, 3, padding=1)
        self.branch3x3dbl_3a = Conv(384, 384, (1, 3), padding=(0, 1))
        self.branch3x3dbl_3b = Conv(384, 384, (3, 1), padding=(1, 0))
        self.branch_pool = Conv(n_in, 192, 1)

    def forward(self, x):
        a = self.branch3x3_1(x)
        d = self.branch3x3dbl_2(self.branch3x3dbl_1(x))
        pool = F.max_pool2d(x, 3, 1, 1) if self.max_pool else _tf_avg_pool(x)
        return torch.cat([self.branch1x1(x), self.branch3x3_2a(a), self.branch3x3_2b(a),
                          self.branch3x3dbl_3a(d), self.branch3x3dbl_3b(d), self.branch_pool(pool)], 1)


class FIDInception(nn.Module):
    """images (n, C, H, W) in [-1, 1] (GenLab's convention; grey is repeated to RGB) -> (n, 2048)."""
    num_features = 2048

    def __init__(self):
        super().__init__()
        self.Conv2d_1a_3x3 = Conv(3, 32, 3, stride=2)
        self.Conv2d_2a_3x3 = Conv(32, 32, 3)
        self.Conv2d_2b_3x3 = Conv(32, 64, 3, padding=1)
        self.Conv2d_3b_1x1 = Conv(64, 80, 1)
        self.Conv2d_4a_3x3 = Conv(80, 192, 3)
        self.Mixed_5b, self.Mixed_5c, self.Mixed_5d = BlockA(192, 32), BlockA(256, 64), BlockA(288, 64)
        self.Mixed_6a = BlockB(288)
        self.Mixed_6b, self.Mixed_6c = BlockC(768, 128), BlockC(768, 160)
        self.Mixed_6d, self.Mixed_6e = BlockC(768, 160), BlockC(768, 192)
        self.Mixed_7a = BlockD(768)
        self.Mixed_7b, self.Mixed_7c = BlockE(1280, max_pool=False), BlockE(2048, max_pool=True)
        self.fc = nn.Linear(2048, 1008)       # in the weights file; unused for features

    def train(self, mode: bool = True):
        return super().train(False)

    @torch.no_grad()
    def forward(self, x: torch.Tensor) -> torch.Tensor:
        x = x.float()
        if x.shape[1] == 1:
            x = x.expand(-1, 3, -1, -1)
        x = F.interpolate((x + 1) / 2, size=(299, 299), mode="bilinear", align_corners=False) * 2 - 1
        x = self.Conv2d_2b_3x3(self.Conv2d_2a_3x3(self.Conv2d_1a_3x3(x)))
        x = self.Conv2d_4a_3x3(self.Conv2d_3b_1x1(F.max_pool2d(x, 3, 2)))
        x = F.max_pool2d(x, 3, 2)
        for name in ("5b", "5c", "5d", "6a", "6b", "6c", "6d", "6e", "7a", "7b", "7c"):
            x = getattr(self, f"Mixed_{name}")(x)
        return x.mean((2, 3))                 # (n, 2048)


def load_inception(path: str | Path) -> FIDInception:
    """The FID network with the weights in `path` (a state_dict; loaded with weights_only=True)."""
    path = Path(path).expanduser()
    if not path.is_file():
        raise ConfigError(f"inception={str(path)!r} does not exist (pytorch-fid's "
                          "pt_inception-2015-12-05-6726825d.pth is the expected file)")
    try:
        state = torch.load(path, map_location="cpu", weights_only=True)
    except Exception as err:
        raise ConfigError(f"inception: {path.name} is not a safe state_dict file ({type(err).__name__})") from None
    net = FIDInception()
    if not isinstance(state, dict):
        raise ConfigError(f"inception: {path.name} does not hold a state_dict")
    missing, unexpected = net.load_state_dict(state, strict=False)
    missing = [k for k in missing if not k.endswith("num_batches_tracked")]
    if missing or unexpected:
        raise ConfigError(f"inception: {path.name} is not the FID Inception's weights "
                          f"({len(missing)} missing, {len(unexpected)} unexpected names, e.g. "
                          f"{(missing or unexpected)[0]!r})")
    return net.eval()
