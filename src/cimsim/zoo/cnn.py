"""Convolutional networks for the zoo.

Factories return ``(model, args, kwargs)``; :func:`cimsim.zoo.build` wraps them.
torch is imported inside the factories.
"""

from __future__ import annotations

from ..workload.trace import require_torch
from .registry import register


def _cnn_classes(torch):
    from torch import nn  # (torch is loaded: the caller's require_torch)

    class Bottleneck(nn.Module):
        def __init__(self, cin, mid, stride):
            super().__init__()
            cout = mid * 4
            self.conv1 = nn.Conv2d(cin, mid, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(mid)
            self.conv2 = nn.Conv2d(mid, mid, 3, stride, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(mid)
            self.conv3 = nn.Conv2d(mid, cout, 1, bias=False)
            self.bn3 = nn.BatchNorm2d(cout)
            self.relu = nn.ReLU(inplace=True)
            self.down = None
            if stride != 1 or cin != cout:
                self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            y = self.relu(self.bn1(self.conv1(x)))
            y = self.relu(self.bn2(self.conv2(y)))
            y = self.bn3(self.conv3(y))
            return self.relu(y + (x if self.down is None else self.down(x)))

    class ResNet(nn.Module):
        """ResNet-50-style: stem conv 7x7/2 + max pool, bottleneck stages, global average pool."""

        def __init__(self, width, blocks, classes):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, width, 7, 2, 3, bias=False), nn.BatchNorm2d(width),
                                      nn.ReLU(inplace=True), nn.MaxPool2d(3, 2, 1))
            layers, cin = [], width
            for i, n in enumerate(blocks):
                mid = width * 2 ** i
                for j in range(n):
                    layers.append(Bottleneck(cin, mid, 2 if j == 0 and i > 0 else 1))
                    cin = mid * 4
            self.layers = nn.Sequential(*layers)
            self.pool = nn.AdaptiveAvgPool2d(1)
            self.fc = nn.Linear(cin, classes)

        def forward(self, x):
            return self.fc(torch.flatten(self.pool(self.layers(self.stem(x))), 1))

    class SqueezeExcite(nn.Module):
        def __init__(self, ch, reduced):
            super().__init__()
            self.fc1 = nn.Conv2d(ch, reduced, 1)
            self.fc2 = nn.Conv2d(reduced, ch, 1)

        def forward(self, x):
            s = nn.functional.adaptive_avg_pool2d(x, 1)
            return x * torch.sigmoid(self.fc2(torch.relu(self.fc1(s))))

    class InvertedResidual(nn.Module):
        def __init__(self, cin, cout, expand, stride, se):
            super().__init__()
            mid = cin * expand
            self.use_res = stride == 1 and cin == cout
            self.block = nn.Sequential(
                nn.Conv2d(cin, mid, 1, bias=False), nn.BatchNorm2d(mid), nn.Hardswish(),
                nn.Conv2d(mid, mid, 3, stride, 1, groups=mid, bias=False), nn.BatchNorm2d(mid), nn.Hardswish(),
                *( [SqueezeExcite(mid, max(8, mid // 4))] if se else []),
                nn.Conv2d(mid, cout, 1, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            y = self.block(x)
            return x + y if self.use_res else y

    class MobileNet(nn.Module):
        """MobileNetV3-style: depthwise-separable inverted residuals with squeeze-excite."""

        def __init__(self, width, classes):
            super().__init__()
            self.stem = nn.Sequential(nn.Conv2d(3, width, 3, 2, 1, bias=False), nn.BatchNorm2d(width),
                                      nn.Hardswish())
            cfg = [(width, 1, 1, False), (width * 2, 4, 2, False), (width * 2, 3, 1, True),
                   (width * 4, 6, 2, True)]
            blocks, cin = [], width
            for cout, e, s, se in cfg:
                blocks.append(InvertedResidual(cin, cout, e, s, se))
                cin = cout
            self.blocks = nn.Sequential(*blocks)
            self.head = nn.Sequential(nn.AdaptiveAvgPool2d(1), nn.Flatten(), nn.Linear(cin, classes))

        def forward(self, x):
            return self.head(self.blocks(self.stem(x)))

    return ResNet, MobileNet


@register("resnet", "cnn", "ResNet-style: bottlenecks, BatchNorm, max pool, adaptive avg pool")
def resnet(width=8, blocks=(1, 1), classes=10, image=32, batch=1):
    torch = require_torch()
    torch.manual_seed(0)
    model = _cnn_classes(torch)[0](width, list(blocks), classes).eval()
    return model, (torch.randn(batch, 3, image, image),), {}


@register("mobilenet", "cnn", "MobileNet-style: depthwise separable, squeeze-excite, hardswish")
def mobilenet(width=8, classes=10, image=32, batch=1):
    torch = require_torch()
    torch.manual_seed(0)
    model = _cnn_classes(torch)[1](width, classes).eval()
    return model, (torch.randn(batch, 3, image, image),), {}




#: VGG-8 for CIFAR-10 as NeuroSim's DNN+NeuroSim benchmarks it (3x3 'same' convolutions, max pools,
#: two fully connected layers): 615,917,568 MACs per 32x32 image. Layer list from NeuroSim V1.4's
#: documentation of its VGG-8 benchmark; written here, not copied.
VGG8_LAYERS = (128, 128, "M", 256, 256, "M", 512, 512, "M")


@register("vgg8", "cnn", "VGG-8 (CIFAR-10; NeuroSim's benchmark): 6 conv 3x3, 3 max pools, fc 1024, fc 10")
def vgg8(image=32, classes=10, hidden=1024, batch=1):
    torch = require_torch()
    nn = torch.nn
    torch.manual_seed(0)
    layers, cin, side = [], 3, image
    for v in VGG8_LAYERS:
        if v == "M":
            layers.append(nn.MaxPool2d(2, 2))
            side //= 2
        else:
            layers += [nn.Conv2d(cin, v, 3, padding=1, bias=False), nn.ReLU()]
            cin = v
    model = nn.Sequential(*layers, nn.Flatten(), nn.Linear(cin * side * side, hidden, bias=False), nn.ReLU(),
                          nn.Linear(hidden, classes, bias=False)).eval()
    return model, (torch.randn(batch, 3, image, image),), {}


def _resnet18_class(torch):
    from torch import nn  # (torch is loaded: the caller's require_torch)

    class BasicBlock(nn.Module):
        """Two 3x3 convolutions with BatchNorm; a 1x1 strided projection when the shape changes."""

        def __init__(self, cin, cout, stride):
            super().__init__()
            self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
            self.bn1 = nn.BatchNorm2d(cout)
            self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
            self.bn2 = nn.BatchNorm2d(cout)
            self.down = None
            if stride != 1 or cin != cout:
                self.down = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

        def forward(self, x):
            y = torch.relu(self.bn1(self.conv1(x)))
            y = self.bn2(self.conv2(y))
            return torch.relu(y + (x if self.down is None else self.down(x)))

    class ResNet18(nn.Module):
        """ResNet-18 (He et al., CVPR 2016): 4 stages of 2 basic blocks, 64-512 channels. ``cifar``:
        a 3x3 stem and no max pool (the usual CIFAR-10 variant); else the 7x7/2 stem and 3x3/2 max pool."""

        def __init__(self, classes, cifar):
            super().__init__()
            if cifar:
                stem = [nn.Conv2d(3, 64, 3, 1, 1, bias=False), nn.BatchNorm2d(64), nn.ReLU()]
            else:
                stem = [nn.Conv2d(3, 64, 7, 2, 3, bias=False), nn.BatchNorm2d(64), nn.ReLU(),
                        nn.MaxPool2d(3, 2, 1)]
            self.stem = nn.Sequential(*stem)
            blocks, cin = [], 64
            for i, cout in enumerate((64, 128, 256, 512)):
                for j in range(2):
                    blocks.append(BasicBlock(cin, cout, 2 if j == 0 and i > 0 else 1))
                    cin = cout
            self.blocks = nn.Sequential(*blocks)
            self.fc = nn.Linear(512, classes)

        def forward(self, x):
            y = self.blocks(self.stem(x))
            return self.fc(torch.flatten(nn.functional.adaptive_avg_pool2d(y, 1), 1))

    return ResNet18


@register("resnet18", "cnn", "ResNet-18: basic blocks, BatchNorm; CIFAR-10 stem at 32x32 (cifar=False: "
                             "ImageNet stem, e.g. image=224, classes=1000)")
def resnet18(image=32, classes=10, cifar=True, batch=1):
    torch = require_torch()
    torch.manual_seed(0)
    model = _resnet18_class(torch)(classes, bool(cifar)).eval()
    return model, (torch.randn(batch, 3, image, image),), {}
