"""Visual defects seen on a projector, as figures: the mode-collapse snapshot strip keeps every drawn
sample inside its own box (and counts the ones outside), the coverage map at step 0 is the
bottom of its colour scale (not one mid-scale block), the 2-D discriminator panels carry a
colour bar and axis titles, and the image GAN's two blue-looking curves have two colours."""
from __future__ import annotations

import numpy as np

from lab.experiments.mode_collapse import figures as mc


def _snap():
    rng = np.random.default_rng(0)
    axes = (np.linspace(-3, 3, 5), np.linspace(-3, 3, 5))
    pts = rng.normal(2.5, 0.5, (500, 2))            # many beyond the box's corner at (3, 3)
    return dict(axes=axes, centres=np.array([[0.0, 2.0], [2.0, 0.0]]), snapshots={0: pts, 100: pts[:10] * 0},
                fake=pts, step=100, coverage=np.zeros((1, 2)), history=dict(step=[0]))


def test_strip_samples_stay_in_their_box_and_the_rest_are_counted():
    snap = _snap()
    fig = mc.strip(snap, [0, 100])
    w = 6 * 1.08
    first, second = fig.data[1], fig.data[3]
    assert max(first.x) <= 3 and max(first.y) <= 3 and min(second.x) >= -3 + w
    outside = int(((snap["snapshots"][0] > 3).any(axis=1)).sum())
    assert outside > 50
    assert fig.layout.annotations[0].text == f"step 0 ({outside} outside)"
    assert fig.layout.annotations[1].text == "step 100"


def test_coverage_at_step_zero_sits_at_the_bottom_of_its_scale():
    trace = mc.coverage(_snap()).data[0]
    assert trace.zmin == 0 and trace.zmax == 1


def test_image_gan_d_loss_and_d_real_differ_in_colour():
    from lab.experiments.image_gan import figures
    hist = dict(step=[0, 1], loss_d=[1, 1], loss_g=[1, 1], d_real=[0.5, 0.6], d_fake=[0.5, 0.4],
                fd=[float("nan")] * 2)
    fig = figures.curves(dict(history=hist, probabilistic=True, fd_label="FD", fd_empty="no FD yet"))
    colours = {t.name: t.line.color for t in fig.data if t.name}
    assert colours["D loss"] != colours["D(x): real"]


def test_2d_discriminator_panels_have_a_colour_bar_per_scale_and_axis_titles():
    from lab.experiments.discriminator import figures
    from lab.experiments.discriminator.config import DiscriminatorConfig
    from lab.experiments.discriminator.run import DiscriminatorRun
    snaps = {c: DiscriminatorRun(DiscriminatorConfig(dim=2, steps=0, constraint=c)).snapshot() for c in ("none", "gp")}
    fig = figures.figure_2d(snaps)
    bars = [t.colorbar.title.text for t in fig.data if t.type == "contour" and t.showscale]
    assert len(bars) == len(set(bars)) >= 1 and "D(x)" in bars
    assert fig.layout.xaxis.title.text and fig.layout.yaxis.title.text
