#!/usr/bin/python3
"""Phase-1 training speed in python3-torch, mirroring bench/phase1_speed.cc (the rdc library):
same models, augmentations, multi-crop, memory bank, spherical k-means and training loop.
Prints one JSON line with images/s of the second (timed) epoch of `--steps` steps.

  /usr/bin/python3 bench/phase1_speed.py --pretext deepcluster-v2|acai --threads 2 --steps 20
"""
import argparse, gzip, json, math, time

import numpy as np
import torch
import torch.nn as nn
import torch.nn.functional as F


def read_idx_images(path, n):
    with gzip.open(path, "rb") as f:
        buf = f.read()
    count, h, w = int.from_bytes(buf[4:8], "big"), int.from_bytes(buf[8:12], "big"), int.from_bytes(buf[12:16], "big")
    x = np.frombuffer(buf, dtype=np.uint8, offset=16).reshape(count, 1, h, w)[:n]
    return torch.from_numpy(x.astype(np.float32) / 255.0)


# ------------------------------------------------------------------ models (as src/rdc/encoder)
class ConvBnRelu(nn.Module):
    def __init__(self, i, o, s):
        super().__init__()
        self.conv = nn.Conv2d(i, o, 3, stride=s, padding=1, bias=False)
        self.bn = nn.BatchNorm2d(o)

    def forward(self, x):
        return F.relu(self.bn(self.conv(x)))


class ConvEncoder(nn.Module):
    def __init__(self, c, w=32):
        super().__init__()
        ch = [c, w, 2 * w, 4 * w, 8 * w]
        self.blocks = nn.ModuleList([ConvBnRelu(ch[i], ch[i + 1], 1 if i == 0 else 2) for i in range(4)])
        self.out_dim = 8 * w

    def forward(self, x):
        for b in self.blocks:
            x = b(x)
        return x.mean((2, 3))


class Mlp(nn.Module):
    def __init__(self, sizes):
        super().__init__()
        self.fc = nn.ModuleList([nn.Linear(a, b) for a, b in zip(sizes[:-2], sizes[1:-1])])
        self.out = nn.Linear(sizes[-2], sizes[-1])

    def forward(self, x):
        h = x.reshape(x.shape[0], -1)
        for l in self.fc:
            h = F.relu(l(h))
        return self.out(h)


# ------------------------------------------------------------------ augmentation (as src/rdc/augment)
class Augmenter:
    def __init__(self, strength, shape, seed):
        self.g = torch.Generator().manual_seed(seed)
        self.shape = shape
        strong = strength == "strong"
        self.smin, self.smax = (0.25, 1.0) if strong else (1.0, 1.0)
        self.small_min, self.small_max = (0.08, 0.4) if strong else (1.0, 1.0)
        self.flip = 0.5 if strong else 0.0
        self.shift = 0.0 if strong else 0.1
        self.rot = 0.0 if strong else 10.0
        self.blur_p = 0.5 if strong else 0.0
        self.rmax = 4.0 / 3.0
        self.small = [max(8, min(s, round(0.57 * s))) for s in shape[1:]]

    def uniform(self, shape):
        return torch.rand(shape, generator=self.g)

    def geometric(self, x, out_hw, smin, smax):
        b = x.shape[0]
        if smin >= 1 and self.flip <= 0 and self.shift <= 0 and self.rot <= 0 and list(out_hw) == list(x.shape[2:]):
            return x
        u = torch.rand((b, 12), generator=self.g, dtype=torch.float64)
        area = smin + (smax - smin) * u[:, 0]
        rot = (u[:, 8] * 2 - 1) * (self.rot * math.pi / 180)
        cosr, sinr = torch.cos(rot), torch.sin(rot)
        lrm = math.log(self.rmax)
        lo, hi = torch.log(area).clamp_min(-lrm), (-torch.log(area)).clamp_max(lrm)
        r = torch.exp(lo + (hi - lo) * u[:, 1])
        cw, ch = torch.sqrt(area * r).clamp_max(1), torch.sqrt(area / r).clamp_max(1)
        cx = (u[:, 2] * 2 - 1) * (1 - cw) + (u[:, 9] * 2 - 1) * 2 * self.shift
        cy = (u[:, 3] * 2 - 1) * (1 - ch) + (u[:, 10] * 2 - 1) * 2 * self.shift
        fx = torch.where(u[:, 5] < self.flip, -torch.ones_like(rot), torch.ones_like(rot))
        theta = torch.stack([torch.stack([cw * cosr * fx, -cw * sinr, cx], 1),
                             torch.stack([ch * sinr * fx, ch * cosr, cy], 1)], 1).to(x.dtype)
        grid = F.affine_grid(theta, [b, x.shape[1], *out_hw], align_corners=False)
        return F.grid_sample(x, grid, mode="bilinear", padding_mode="border", align_corners=False)

    def blur(self, x):
        b, c, h, w = x.shape
        k = max(3, round(0.1 * min(h, w)) | 1)
        u = torch.rand((b, 2), generator=self.g, dtype=torch.float64)
        on = u[:, 0] < self.blur_p
        sigma = 0.1 + 1.9 * u[:, 1]
        t = torch.arange(k, dtype=torch.float64) - k // 2
        kern = torch.exp(-(t * t).view(1, k) / (2 * (sigma * sigma).view(b, 1)))
        kern = kern / kern.sum(1, keepdim=True)
        delta = torch.zeros(1, k, dtype=torch.float64)
        delta[0, k // 2] = 1
        kern = torch.where(on.view(b, 1), kern, delta).repeat_interleave(c, 0).to(x.dtype)
        p = k // 2
        y = F.pad(x.reshape(1, b * c, h, w), (p, p, p, p), mode="reflect")
        y = F.conv2d(y, kern.view(b * c, 1, k, 1), groups=b * c)
        y = F.conv2d(y, kern.view(b * c, 1, 1, k), groups=b * c)
        return y.view(b, c, h, w)

    def view(self, x, small=False):
        out = self.small if small else list(x.shape[2:])
        y = self.geometric(x, out, *(self.small_min, self.small_max) if small else (self.smin, self.smax))
        if self.blur_p > 0:  # 1-channel data: no colour operations
            y = self.blur(y)
        return y


# ------------------------------------------------------------------ pretexts (as src/rdc/pretext)
def spherical_kmeans(x, p, iters, seed):
    g = torch.Generator().manual_seed(seed)
    c = x[torch.randperm(x.shape[0], generator=g)[:p]].clone()
    chunk = max(1, (1 << 24) // p)

    def assign():
        return torch.cat([(x[i:i + chunk] @ c.t()).argmax(1) for i in range(0, x.shape[0], chunk)])

    for _ in range(iters):
        a = assign()
        sums = torch.zeros_like(c).index_add_(0, a, x)
        counts = torch.bincount(a, minlength=p)
        c = torch.where((counts > 0).unsqueeze(1), F.normalize(sums, dim=1), c)
    return c, assign()


class DeepClusterV2(nn.Module):
    def __init__(self, n, shape, m=128, heads=3, hidden=512, small_crops=2, seed=1):
        super().__init__()
        self.backbone = ConvEncoder(shape[0])
        self.head = nn.Sequential(nn.Linear(self.backbone.out_dim, hidden), nn.BatchNorm1d(hidden), nn.ReLU(),
                                  nn.Linear(hidden, m))
        self.n, self.m, self.heads, self.small_crops = n, m, heads, small_crops
        self.p = max(min(1000, n // 20), min(n, 2))
        self.register_buffer("prototypes", torch.zeros(heads, self.p, m))
        self.register_buffer("bank", torch.zeros(2, n, m))
        self.register_buffer("assignments", torch.full((heads, n), -1, dtype=torch.long))
        self.filled = False
        self.aug = Augmenter("strong", shape, seed)

    def project(self, x):
        return F.normalize(self.head(self.backbone(x)), dim=1)

    def begin_epoch(self, all_x, epoch):
        with torch.no_grad():
            if not self.filled:
                self.train(True)
                for i in range(0, self.n, 512):
                    xb = all_x[i:i + 512]
                    for v in range(2):
                        self.bank[v, i:i + 512] = self.project(self.aug.view(xb))
                self.filled = True
            for h in range(self.heads):
                c, a = spherical_kmeans(self.bank[h % 2], self.p, 10, 1000 * epoch + h)
                self.prototypes[h] = c
                self.assignments[h] = a

    def instance_loss(self, x, idx):
        b = x.shape[0]
        crops = [self.aug.view(x), self.aug.view(x)] + [self.aug.view(x, True) for _ in range(self.small_crops)]
        e_large = self.project(torch.cat(crops[:2]))
        e = torch.cat([e_large, self.project(torch.cat(crops[2:]))]) if self.small_crops else e_large
        with torch.no_grad():
            self.bank[0].index_copy_(0, idx, e_large[:b].detach())
            self.bank[1].index_copy_(0, idx, e_large[b:].detach())
            e0 = e_large[:b].detach().double()  # per-batch spread statistic, as the C++ code
            _ = e0.std(0, unbiased=False).mean() / e0.pow(2).mean().sqrt().clamp_min(1e-30)
        loss = 0
        for h in range(self.heads):
            scores = e @ self.prototypes[h].t() / 0.1
            loss = loss + F.cross_entropy(scores, self.assignments[h][idx].repeat(2 + self.small_crops))
        return loss / self.heads

    def optimizer(self, lr=0.05):
        return torch.optim.SGD(list(self.backbone.parameters()) + list(self.head.parameters()), lr=lr, momentum=0.9,
                               weight_decay=1e-6), lr, 1.0, "cosine"


class Acai(nn.Module):
    def __init__(self, n, shape, m=10, lam=0.5, seed=1):
        super().__init__()
        d = int(np.prod(shape))
        self.shape = shape
        self.enc = Mlp([d, 500, 500, 2000, m])
        self.dec = Mlp([m, 2000, 500, 500, d])
        self.critic_net = Mlp([d, 500, 500, 2000, m])
        self.lam = lam
        self.copt = torch.optim.Adam(self.critic_net.parameters(), lr=1e-4)
        self.aug = Augmenter("weak", shape, seed)

    def critic(self, x):
        return self.critic_net(x).mean(1)

    def begin_epoch(self, all_x, epoch):
        pass

    def instance_loss(self, x, idx):
        b = x.shape[0]
        u = self.aug.uniform((2, b))
        xa = self.aug.view(x)
        z = self.enc(xa)
        xr = self.dec(z).view_as(xa)
        recon = F.mse_loss(xr, xa)
        alpha = (0.5 * u[0]).view(b, 1)
        x_mix = self.dec(alpha * z + (1 - alpha) * z.flip(0)).view_as(xa)
        gamma = (0.5 - (u[1] - 0.5).abs()).view(b, 1, 1, 1)
        real_mix = gamma * xa + (1 - gamma) * xr.detach()
        loss_c = F.mse_loss(self.critic(x_mix.detach()), alpha.view(b)) + self.critic(real_mix).pow(2).mean()
        self.copt.zero_grad()
        loss_c.backward()
        self.copt.step()
        _ = loss_c.item()
        loss = recon + self.lam * self.critic(x_mix).pow(2).mean()
        with torch.no_grad():
            zd = z.detach().double()
            _ = zd.std(0, unbiased=False).mean() / zd.pow(2).mean().sqrt().clamp_min(1e-30)
        return loss

    def optimizer(self, lr=1e-4):
        return torch.optim.Adam(list(self.enc.parameters()) + list(self.dec.parameters()), lr=lr), lr, 0.0, "constant"


# ------------------------------------------------------------------ training loop (as src/rdc/train/trainer.cc)
def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--pretext", default="deepcluster-v2")
    ap.add_argument("--threads", type=int, default=2)
    ap.add_argument("--steps", type=int, default=20)
    ap.add_argument("--batch", type=int, default=256)
    ap.add_argument("--n", type=int, default=4096)
    ap.add_argument("--data", default="/usr/share/datasets/fashion-mnist/train-images-idx3-ubyte.gz")
    a = ap.parse_args()
    torch.set_num_threads(a.threads)
    torch.manual_seed(1)
    x = read_idx_images(a.data, a.n)
    n = x.shape[0]
    model = DeepClusterV2(n, list(x.shape[1:])) if a.pretext == "deepcluster-v2" else Acai(n, list(x.shape[1:]))
    opt, base_lr, warmup, schedule = model.optimizer()
    nb = (n + a.batch - 1) // a.batch
    steps, epochs = min(nb, a.steps), 2
    total = epochs * steps
    for epoch in range(epochs):
        model.begin_epoch(x, epoch)
        model.train(True)
        perm = torch.randperm(n, generator=torch.Generator().manual_seed(epoch))
        seen, loss_sum = 0, 0.0
        for s in range(steps):
            idx = perm[s * n // nb:(s + 1) * n // nb]
            xb = x.index_select(0, idx)
            gs, warm = epoch * steps + s, warmup * steps
            if warm > 0 and gs < warm:
                lr = base_lr * (gs + 1) / warm
            elif schedule == "constant":
                lr = base_lr
            else:
                t = min(1.0, max(0.0, (gs - warm) / max(1.0, total - warm)))
                lr = base_lr * 1e-3 + (base_lr - base_lr * 1e-3) * 0.5 * (1 + math.cos(math.pi * t))
            for g in opt.param_groups:
                g["lr"] = lr
            opt.zero_grad()
            loss = model.instance_loss(xb, idx)
            lv = loss.item()
            if not math.isfinite(lv):
                raise SystemExit("NaN loss")
            loss.backward()
            opt.step()
            loss_sum += lv * xb.shape[0]
            # Timed: steps 2..S of the second epoch (as the C++ bench), wall and process CPU time.
            if s == 0:
                w0, c0 = time.perf_counter(), time.process_time()
            else:
                seen += xb.shape[0]
            w1, c1 = time.perf_counter(), time.process_time()
    print(json.dumps({"impl": "python", "pretext": a.pretext, "encoder": "conv" if a.pretext != "acai" else "mlp",
                      "threads": a.threads, "batch": a.batch, "steps": steps,
                      "images_per_s": round(seen / (w1 - w0), 1), "images_per_cpu_s": round(seen / (c1 - c0), 1),
                      "loss": round(loss_sum / (steps * a.batch), 4)}))


if __name__ == "__main__":
    main()
