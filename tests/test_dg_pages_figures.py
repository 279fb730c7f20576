"""The figures of the Dai & Gifford pages: page width, labelled axes, distinguishable curves."""
from __future__ import annotations

import matplotlib
import matplotlib.pyplot as plt
import numpy as np
import pytest

from companion import plotting
from companion.chapters.dai_gifford import experiments as ex
from companion.chapters.dai_gifford import figures
from companion.discrete import isoperimetry
from companion.discrete.image_spaces import ImageSpace
from companion.discrete.verification import verify


def _check(fig):
    fig.canvas.draw()      # renders every label: mathtext the figure cannot typeset fails here
    w, _ = fig.get_size_inches()
    assert w <= plotting.MAX_WIDTH + 1e-9
    for ax in fig.axes:
        assert ax.get_xlabel() or ax.get_title() or not ax.has_data() or ax.images
    lines = [ln for ax in fig.axes for ln in ax.get_lines() if ln.get_label()[:1] != "_"]
    seen = set()
    for ln in lines:       # no two labelled curves share colour, style and marker
        key = (ln.axes, matplotlib.colors.to_hex(ln.get_color()), str(ln.get_linestyle()),
               ln.get_marker())
        assert key not in seen, ln.get_label()
        seen.add(key)
    plt.close(fig)


def test_curve_styles_cycle_and_avoid_the_bound_colour():
    bound = plotting.ROLES["bound"]["color"].lower()
    kws = [figures.curve(i) for i in range(6)]
    assert all(k["color"].lower() != bound for k in kws)
    assert len({(k["color"], str(k["linestyle"]), k["marker"]) for k in kws}) == 6
    assert "marker" not in figures.curve(0, marker=False)


def test_theorem1_figures():
    space = ImageSpace(2, h=3)
    labellings, _ = ex.theorem1_classifiers(space, 0, 1)
    checks = [verify(space, lab, name) for name, lab in labellings.items()]
    fig = figures.theorem1_exhaustive(checks)
    ax = fig.axes[0]
    lines = {ln.get_label(): ln for ln in ax.get_lines()}
    assert lines["Theorem 1 bound"].get_color() == plotting.ROLES["bound"]["color"]
    a, h = lines["Algorithm 1"], lines["Hamming ball"]
    assert a.get_linestyle() != h.get_linestyle() and a.get_linewidth() < h.get_linewidth()
    assert a.get_zorder() >= h.get_zorder()
    _check(fig)
    _check(figures.harper_growth(ex.expansion_curves(N=8, radius=2, steps=3), N=8))


def test_theorem2_and_3_figures():
    cs = np.linspace(0.05, 0.25, 8)
    _check(figures.theorem2_l1({1: ex.l1_robust_curves([16, 32], cs, 1),
                                2: ex.l1_robust_curves([16, 32], cs, 2)}, cs))
    mc = ex.mc_robust_curves([16], cs, 30, np.random.default_rng(0))
    _check(figures.theorem2_mc(mc, cs, 30))
    grid = np.array([100, 1000, 10000])
    _check(figures.corollary1(grid, ex.corollary1_curves(grid)))
    _check(figures.lemma18(ex.known_set_interiors(np.linspace(0, 1, 21))))
    fp = ex.find_perturbation_experiment(4, [1, 2], cs, 10, np.random.default_rng(0))
    _check(figures.find_perturbation(fp, cs, bs_shown=(1, 2), n=4))
    _check(figures.bit_depth(ex.bit_depth_robustness(8, [1, 2], 20, np.random.default_rng(0))))
    _check(figures.table1_crossover([1, 5, 8], ex.theorem3_crossover([1, 5, 8], points=200)))


def test_paper_and_line_drawing_figures():
    ns = np.array([10, 100, 1000])
    _check(figures.paper_table1(ns, isoperimetry.table1_upper, isoperimetry.table1_lower))
    ratios, _ = ex.eq2_ratios(np.array([10, 100, 1000, 10000]), fit=3)
    _check(figures.paper_eq2([10, 100, 1000, 10000], ratios))
    fb = ex.figure1b(np.random.default_rng(0))
    _check(figures.paper_figure1(fb))
    _check(figures.drawing_shares(ex.drawing_shares([64, 128])))
    img = np.zeros((64, 64, 3))
    fig = figures.figure2([(img, f"({k})") for k in "abcdef"])
    assert len(fig.axes) == 6 and fig.dpi == pytest.approx(90)
    _check(fig)


def test_wrapped_layers():
    pos, centres, spans = figures.wrapped_layers(9, per_row=32)
    assert pos.shape == (512, 2) and len(centres) == len(spans) == 10
    # every row holds at most 32 vertices and the layers do not share rows
    ys, counts = np.unique(pos[:, 1], return_counts=True)
    assert counts.max() <= 32 and len(ys) == 1 + 1 + 2 + 3 + 4 + 4 + 3 + 2 + 1 + 1
    assert all(hi < lo2 for (_, hi), (lo2, _) in zip(spans, spans[1:]))
