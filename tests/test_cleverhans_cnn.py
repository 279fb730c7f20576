"""The CleverHans-style CNN of Richardson & Weiss (Appendix B.3): where the strides fall, the
shapes for several depths and widths, and parameter counts counted by hand."""
import pytest
import torch
from torch import nn

from companion.models import CleverHansCNN, build, count_parameters, stride_layers

torch.set_num_threads(1)


def conv_layers(model):
    return [m for m in model.features if isinstance(m, nn.Conv2d)]


@pytest.mark.parametrize("depth, n_strides, expected", [
    (4, 2, (1, 3)), (2, 2, (0, 1)), (6, 2, (2, 5)), (8, 2, (3, 7)), (5, 2, (1, 4)),
    (9, 3, (2, 5, 8)), (3, 1, (2,)), (1, 1, (0,)), (4, 0, ())])
def test_strides_fall_at_the_ends_of_equal_blocks(depth, n_strides, expected):
    assert stride_layers(depth, n_strides) == expected
    convs = conv_layers(CleverHansCNN(depth=depth, width=2, n_strides=n_strides,
                                      input_size=16))
    assert tuple(i for i, c in enumerate(convs) if c.stride == (2, 2)) == expected
    assert all(c.kernel_size == (3, 3) and c.padding == (1, 1) for c in convs)


@pytest.mark.parametrize("depth", [2, 3, 4, 8])
@pytest.mark.parametrize("width", [1, 4, 16])
@pytest.mark.parametrize("cin, side, k", [(1, 28, 2), (3, 64, 2), (1, 28, 10)])
def test_shapes(depth, width, cin, side, k):
    torch.manual_seed(0)
    m = CleverHansCNN(cin, side, k, depth=depth, width=width).eval()
    out = m(torch.rand(2, cin, side, side))
    assert out.shape == (2, k) and torch.isfinite(out).all()
    convs = conv_layers(m)
    assert len(convs) == depth
    # the width doubles at each of the two strided layers: the last has 4 * width channels
    assert convs[-1].out_channels == 4 * width
    # 28 -> 14 -> 7 and 64 -> 32 -> 16 (3x3, padding 1, stride 2: ceil(n / 2))
    after = {28: 7, 64: 16}[side]
    assert m.out_side == after
    assert m.classifier[1].in_features == 4 * width * after * after
    # the activations are leaky ReLUs with TensorFlow's default slope
    acts = [a for a in m.features if isinstance(a, nn.LeakyReLU)]
    assert len(acts) == depth and all(a.negative_slope == 0.2 for a in acts)


def test_parameter_count_by_hand():
    # depth 3, width 2, strides at layers 0 and 2 (blocks [0] and [1, 2]), 1 x 8 x 8 input, 3
    # classes: conv 1->4 s2 (8 -> 4), conv 4->4, conv 4->8 s2 (4 -> 2), fc 8*2*2 -> 3
    assert stride_layers(3, 2) == (0, 2)
    m = CleverHansCNN(1, 8, 3, depth=3, width=2)
    by_hand = (4 * 1 * 9 + 4) + (4 * 4 * 9 + 4) + (8 * 4 * 9 + 8) + (32 * 3 + 3)
    assert by_hand == 40 + 148 + 296 + 99 == 583
    assert count_parameters(m) == 583
    # the default network on MNIST: 32, 64 (s2), 64, 128 (s2) channels, 7 x 7 x 128 -> 2
    d = CleverHansCNN(1, 28, 2)
    assert count_parameters(d) == ((32 * 9 + 32) + (64 * 32 * 9 + 64) + (64 * 64 * 9 + 64)
                                   + (128 * 64 * 9 + 128) + (128 * 49 * 2 + 2))


def test_the_output_size_is_exact_for_odd_sides():
    # 3x3 / stride 2 / padding 1 maps n to ceil(n / 2): 13 -> 7 -> 4
    m = CleverHansCNN(1, 13, 2, depth=2, width=1)
    x = torch.rand(1, 1, 13, 13)
    assert m.features(x).shape == (1, 4, 4, 4) and m.out_side == 4


def test_registered_for_build():
    m = build("cleverhans_cnn", in_channels=1, input_size=28, num_classes=2, depth=6, width=4)
    assert isinstance(m, CleverHansCNN) and m.depth == 6 and m.strided == (2, 5)


@pytest.mark.parametrize("kwargs, needle", [
    (dict(depth=0), "depth must be an integer >= 1"), (dict(depth=2.5), "depth"),
    (dict(depth=2, n_strides=3), r"n_strides must be an integer in 0\.\.depth"),
    (dict(n_strides=-1), "n_strides"), (dict(width=0), "width must be an integer >= 1"),
    (dict(width=1.5), "width"), (dict(num_classes=1), "num_classes")])
def test_bad_arguments_are_rejected(kwargs, needle):
    with pytest.raises(ValueError, match=needle):
        CleverHansCNN(**kwargs)
