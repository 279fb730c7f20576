"""Models: output shapes for 28x28 and 32x32 inputs, and parameter counts against closed forms
and published values."""
import pytest
import torch

from companion.models import (LeNet5, ResNet, SmallCNN, build, count_parameters, resnet18,
                              resnet50, resnet101, resnet_small)

torch.set_num_threads(1)


def lenet_params(cin, side, k, w):
    """Closed-form parameter count of Madry et al.'s LeNet5 scaled by ``w``."""
    c1, c2, h = round(32 * w), round(64 * w), round(1024 * w)
    s = side // 4
    return (c1 * cin * 25 + c1) + (c2 * c1 * 25 + c2) + (c2 * s * s * h + h) + (h * k + k)


@pytest.mark.parametrize("cin,side,k", [(1, 28, 10), (3, 32, 10), (1, 32, 5)])
@pytest.mark.parametrize("name", ["lenet5", "small_cnn", "resnet_small"])
def test_forward_shapes(name, cin, side, k):
    torch.manual_seed(0)
    kwargs = {"width": 0.25} if name == "lenet5" else ({"width": 4} if name == "small_cnn" else {"base_width": 4})
    m = build(name, in_channels=cin, input_size=side, num_classes=k, **kwargs).eval()
    out = m(torch.rand(3, cin, side, side))
    assert out.shape == (3, k)
    assert torch.isfinite(out).all()


@pytest.mark.parametrize("w", [1.0, 0.5, 0.25])
@pytest.mark.parametrize("cin,side", [(1, 28), (3, 32)])
def test_lenet_parameter_count(w, cin, side):
    assert count_parameters(LeNet5(cin, side, 10, width=w)) == lenet_params(cin, side, 10, w)


def test_lenet_is_madrys_network():
    # Madry et al.'s MNIST model has 3,274,634 parameters (conv 32/64 5x5, fc 1024, fc 10).
    assert count_parameters(LeNet5()) == 3_274_634


def test_resnet_parameter_counts_match_published_cifar_resnets():
    # Published parameter counts of the CIFAR-10 ResNets (3x3 stem): 11.17M, 23.52M, 42.51M.
    assert count_parameters(resnet18()) == 11_173_962
    assert count_parameters(resnet50()) == 23_520_842
    assert count_parameters(resnet101()) == 42_512_970


def test_resnet18_forward_on_28x28_grey():
    m = resnet18(in_channels=1, input_size=28, base_width=8).eval()
    assert m(torch.rand(2, 1, 28, 28)).shape == (2, 10)


def test_small_cnn_parameter_count():
    w = 8
    expected = (w * 9 + w) + (w * w * 9 + w) + (2 * w * w * 9 + 2 * w) + (4 * w * w * 9 + 2 * w) \
        + (2 * w * 7 * 7 * 10 + 10)
    assert count_parameters(SmallCNN(1, 28, 10, width=w)) == expected


def test_group_norm_and_no_norm_variants():
    for norm in ("group", "none"):
        m = ResNet(1, 28, 10, layers=(1, 1), base_width=8, norm=norm).eval()
        assert m(torch.rand(2, 1, 28, 28)).shape == (2, 10)


@pytest.mark.parametrize("bad", [dict(in_channels=0), dict(input_size=2), dict(num_classes=1)])
def test_bad_geometry_is_rejected(bad):
    kwargs = dict(in_channels=1, input_size=28, num_classes=10) | bad
    with pytest.raises(ValueError, match=next(iter(bad))):
        LeNet5(**kwargs)


def test_unknown_name():
    with pytest.raises(ValueError, match="unknown model"):
        build("vgg")
    assert isinstance(build("resnet_small"), ResNet) and isinstance(resnet_small(), ResNet)
    assert isinstance(resnet101(), ResNet)
