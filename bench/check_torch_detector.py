# The target detector (detector.h) against a PyTorch rebuild of SSM-PC's TargetDetector from the spec
# (ssm-pc.md §7; torchvision's ResNet18 layout and names, written out here so torchvision is not
# needed): one training-mode forward (BatchNorm on batch statistics, dropout 0) with
# TargetDetectionLoss, its backward, and the BatchNorm running statistics after the step.
# Loaded by check_torch.py (case, randn, torch, F, np defined there).
import torch.nn as nn
from torch.nn.utils import stateless as _stateless


class _BasicBlock(nn.Module):
    def __init__(self, cin, cout, stride):
        super().__init__()
        self.conv1 = nn.Conv2d(cin, cout, 3, stride, 1, bias=False)
        self.bn1 = nn.BatchNorm2d(cout)
        self.relu = nn.ReLU(inplace=False)
        self.conv2 = nn.Conv2d(cout, cout, 3, 1, 1, bias=False)
        self.bn2 = nn.BatchNorm2d(cout)
        self.downsample = None
        if stride != 1 or cin != cout:
            self.downsample = nn.Sequential(nn.Conv2d(cin, cout, 1, stride, bias=False), nn.BatchNorm2d(cout))

    def forward(self, x):
        out = self.relu(self.bn1(self.conv1(x)))
        out = self.bn2(self.conv2(out))
        return self.relu(out + (x if self.downsample is None else self.downsample(x)))


class _TargetDetector(nn.Module):
    def __init__(self, w=64, blocks=2, K=6, hidden=64):
        super().__init__()
        self.K = K

        def layer(cin, cout, stride):
            return nn.Sequential(*[_BasicBlock(cin if j == 0 else cout, cout, stride if j == 0 else 1)
                                   for j in range(blocks)])
        fe = nn.Module()
        fe.backbone = nn.Sequential(nn.Conv2d(3, w, 7, 2, 3, bias=False), nn.BatchNorm2d(w), nn.ReLU(),
                                    nn.MaxPool2d(3, 2, 1), layer(w, w, 1), layer(w, 2 * w, 2), layer(2 * w, 4 * w, 2))
        fe.spatial_conv = nn.Sequential(nn.Conv2d(4 * w, 2 * w, 1), nn.BatchNorm2d(2 * w), nn.ReLU(),
                                        nn.Conv2d(2 * w, w, 3, padding=1), nn.BatchNorm2d(w), nn.ReLU())
        self.feature_extractor = fe
        pp = nn.Module()
        pp.shared_attention = nn.Sequential(nn.Conv2d(w, w // 2, 1), nn.BatchNorm2d(w // 2), nn.ReLU(),
                                            nn.Conv2d(w // 2, K, 1))
        pp.position_decoder = nn.Sequential(nn.Linear(w + 2, hidden), nn.LayerNorm(hidden), nn.ReLU(),
                                            nn.Dropout(0.0), nn.Linear(hidden, 2))
        self.position_predictor = pp
        self.visibility_predictor = nn.Sequential(nn.Linear(w + 2, hidden), nn.LayerNorm(hidden), nn.ReLU(),
                                                  nn.Dropout(0.0), nn.Linear(hidden, K), nn.Sigmoid())

    def forward(self, image, angle):
        S = self.feature_extractor.spatial_conv(self.feature_extractor.backbone(image))
        B, C, H, W = S.shape
        vis = self.visibility_predictor(torch.cat([S.mean(dim=(2, 3)), angle], dim=1))
        att = torch.softmax(self.position_predictor.shared_attention(S).view(B, self.K, -1), dim=2)
        pos = []
        for k in range(self.K):
            pooled = (S * att[:, k:k + 1].view(B, 1, H, W)).view(B, C, -1).mean(dim=2)
            pos.append(self.position_predictor.position_decoder(torch.cat([pooled, angle], dim=1)))
        pos = torch.stack(pos, dim=1) * vis.unsqueeze(-1)
        return vis, pos, att


def _detection_loss(vis, pos, att, t_vis, t_pos):
    """TargetDetectionLoss (visibility 1, position 2, attention 0.5)."""
    l_vis = F.binary_cross_entropy(vis, t_vis)
    m = t_vis > 0.5
    p, t = pos[m], t_pos[m]
    l_pos = F.smooth_l1_loss(p, t) + 0.2 * (1 - (F.normalize(p, dim=1) * F.normalize(t, dim=1)).sum(1)).mean()
    pen = (att * (1 - t_vis).unsqueeze(-1)).sum(2).mean()
    ent = -(att * torch.log(att + 1e-10)).sum(2).mean()
    return l_vis + 2.0 * l_pos + 0.5 * (pen + 0.1 * ent)


def _detector_case(label, w, blocks, K, hidden, B, seed):
    torch.manual_seed(seed)
    net = _TargetDetector(w, blocks, K, hidden)
    # visible range of values: random BN statistics and affine parameters, not the fresh 0/1
    sd = {}
    for name, v in net.state_dict().items():
        if name.endswith("num_batches_tracked"):
            continue
        if name.endswith("running_var"):
            v = torch.rand_like(v) + 0.5
        elif name.endswith("running_mean"):
            v = randn(*v.shape, sd=0.2)
        elif ".bn" in name or "downsample.1" in name or name.endswith(("backbone.1.weight", "backbone.1.bias")):
            v = (1.0 + randn(*v.shape, sd=0.2)) if name.endswith("weight") else randn(*v.shape, sd=0.2)
        sd[name] = v.float().clone()
    angles = torch.rand(B) * 6.283 - 3.1416
    vis = (torch.rand(B, K) < 0.4).float()
    vis[0, 0] = 1.0
    inputs = {"image": randn(B, 3, 64, 64), "angle": torch.stack([angles.cos(), angles.sin()], 1),
              "visible": vis, "position": randn(B, K, 2, sd=0.5)}
    inputs.update(sd)
    params = [n for n in sd if "running_" not in n]

    def ref(t):
        model = _TargetDetector(w, blocks, K, hidden).double().train()
        state = {n: (t[n] if n in params else t[n].detach().clone()) for n in sd}
        v, p, a = _stateless.functional_call(model, state, (t["image"], t["angle"]))
        out = {"loss": _detection_loss(v, p, a, t["visible"], t["position"]), "visibility": v, "positions": p,
               "attention": a}
        for n in sd:
            if "running_" in n:
                out["running." + n] = state[n]
        return out
    case("detector", label, inputs, ref, {"width": w, "blocks": blocks, "objects": K, "hidden": hidden},
         grads=params, loss=True)


_detector_case("w8 blocks2 K3 hidden6 B4", 8, 2, 3, 6, 4, 11)
_detector_case("SSM-PC's size (w64, K6, hidden 64) B3", 64, 2, 6, 64, 3, 12)
