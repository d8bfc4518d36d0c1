"""The PyTorch side of `npm run bench`.

A long-lived worker: reads one JSON request per line on stdin, runs it, and
writes one JSON line on stdout. Each workload mirrors Model Lab's model layer
for layer (src/trainer/model.ts, src/trainer/transformer.ts) and starts from the
exact initial weights and batch order that the Model Lab side used, which
scripts/bench/bench.ts writes to a folder; so the final losses of the two sides
should agree to a few digits, and a fast but wrong engine shows.

Requests: {"cmd": "matmul" | "mlp" | "transformer" | "cnn", "dir": ..., ...}; see run().
A training request with "warmup": true trains only the first batch (the harness discards
it: a fresh process's first step pays for allocations and thread start-up). The harness runs
one worker per thread count (OMP_NUM_THREADS set for it) and sends that count as "threads".
"""

import glob
import json
import math
import os
import sys
import time

import numpy as np
import torch
import torch.nn.functional as F


def read(path, dtype, shape):
    return torch.from_numpy(np.fromfile(path, dtype=dtype).reshape(shape).copy())


def load_weights(d):
    """The initial weights: {layer name: [tensor, ...]} in Model Lab's order."""
    manifest = json.load(open(os.path.join(d, "weights.json")))
    blob = np.fromfile(os.path.join(d, "weights.f32"), dtype=np.float32)
    out, offset = {}, 0
    for layer in manifest:
        ts = []
        for shape in layer["shapes"]:
            n = int(np.prod(shape)) if shape else 1
            ts.append(torch.from_numpy(blob[offset : offset + n].reshape(shape).copy()).requires_grad_(True))
            offset += n
        out[layer["name"]] = ts
    return out


def adam(params, lr):
    # tf.train.adam(lr) as Model Lab builds it: β = (0.9, 0.999), ε = 1e-7 (same update formula as torch's Adam).
    return torch.optim.Adam(params, lr=lr, betas=(0.9, 0.999), eps=1e-7)


def schedule(req, order):
    """The batch orders a request trains on and their epochs: all, or the first batch for a warm-up."""
    if req.get("warmup"):
        return order[:1, : req["batchSize"]], 1
    return order, req["epochs"]


def train_epochs(opt, loss_of, x, y, order, epochs, bs):
    """Epoch e on the rows order[e] of x and y in batches of bs, one optimizer step per batch on
    loss_of(x batch, y batch); returns wall and CPU seconds, the steps and the rows trained on."""
    steps = items = 0
    t, cpu = time.perf_counter(), time.process_time()
    for e in range(epochs):
        xe, ye = x[order[e]], y[order[e]]
        for s in range(0, len(xe), bs):
            opt.zero_grad(set_to_none=True)
            loss = loss_of(xe[s : s + bs], ye[s : s + bs])
            loss.backward()
            opt.step()
            steps += 1
            items += len(ye[s : s + bs])
    return time.perf_counter() - t, time.process_time() - cpu, steps, items


def matmul(req):
    """The plain 2-D product's GFLOP/s, a @ b in a loop after ten untimed ones."""
    m, k, n = req["m"], req["k"], req["n"]
    a, b = torch.randn(m, k), torch.randn(k, n)
    for _ in range(10):
        a @ b
    reps = req.get("reps", 200)
    t = time.perf_counter()
    for _ in range(reps):
        a @ b
    dt = time.perf_counter() - t
    return {"gflops": 2 * m * k * n * reps / dt / 1e9}


def mlp(req):
    d = req["dir"]
    rows, features = req["rows"], req["features"]
    x = read(os.path.join(d, "x.f32"), np.float32, (rows, features))
    y = read(os.path.join(d, "y.f32"), np.float32, (rows, 1))
    order = read(os.path.join(d, "order.i32"), np.int32, (req["epochs"], rows)).long()
    w = load_weights(d)
    layers = [w[name] for name in req["layers"]]
    params = [t for layer in layers for t in layer]

    def forward(inp):
        h = inp
        for i, (kernel, bias) in enumerate(layers):
            h = torch.addmm(bias, h, kernel)
            if i < len(layers) - 1:
                h = torch.relu(h)
        return h

    order, epochs = schedule(req, order)
    seconds, cpu, steps, samples = train_epochs(adam(params, req["lr"]), lambda xb, yb: F.mse_loss(forward(xb), yb), x, y, order, epochs, req["batchSize"])
    with torch.no_grad():
        final = F.mse_loss(forward(x), y).item()
    return {"seconds": seconds, "cpuSeconds": cpu, "samples": samples, "steps": steps, "finalLoss": final}


def layer_norm(x, gamma, beta):
    # Model Lab's LayerNorm: biased variance, ε = 1e-5 — the same as torch's.
    return F.layer_norm(x, (x.shape[-1],), gamma, beta, 1e-5)


def sinusoid(length, d):
    pos = torch.arange(length, dtype=torch.float64)[:, None]
    i = torch.arange(d)[None, :]
    angle = pos / torch.pow(10000.0, (2 * (i // 2)).double() / d)
    return torch.where(i % 2 == 0, torch.sin(angle), torch.cos(angle)).float()


class Transformer:
    """buildTransformer (src/trainer/transformer.ts) in PyTorch, on Model Lab's weights."""

    def __init__(self, w, cfg):
        self.cfg = cfg
        self.w = w
        self.decoder = cfg["decoder"]
        self.heads = cfg["heads"]
        self.d = cfg["dModel"]
        emb = w["embedding"]
        self.tokens = emb[0]
        self.positions = emb[1] if len(emb) > 1 else None
        self.sinusoid = None if self.positions is not None else sinusoid(cfg["maxLength"], self.d)
        self.params = [t for ts in w.values() for t in ts]

    def __call__(self, ids):
        b, t = ids.shape
        d, h = self.d, self.heads
        dk = d // h
        mask = (ids != 0).float()
        x = self.tokens[ids] * math.sqrt(d)
        x = x + (self.positions[:t] if self.positions is not None else self.sinusoid[:t])
        key_bias = ((1 - mask) * -1e9)[:, None, None, :]
        causal = torch.triu(torch.full((t, t), -1e9), diagonal=1) if self.decoder else None
        for i in range(1, self.cfg["layers"] + 1):
            g, be = self.w[f"block{i}_attention_norm"]
            hh = layer_norm(x, g, be)
            qk, qb, kk, kb, vk, vb, ok, ob = self.w[f"block{i}_attention"]

            def heads(kernel, bias):
                return (hh @ kernel + bias).reshape(b, t, h, dk).transpose(1, 2)

            q, k, v = heads(qk, qb), heads(kk, kb), heads(vk, vb)
            scores = q @ k.transpose(-1, -2) * (1 / math.sqrt(dk)) + key_bias
            if causal is not None:
                scores = scores + causal
            att = torch.softmax(scores, -1)
            ctx = (att @ v).transpose(1, 2).reshape(b, t, d)
            x = x + (ctx @ ok + ob)
            g, be = self.w[f"block{i}_feed_forward_norm"]
            hh = layer_norm(x, g, be)
            w1, b1, w2, b2 = self.w[f"block{i}_feed_forward"]
            x = x + (torch.relu(hh @ w1 + b1) @ w2 + b2)
        g, be = self.w["final_norm"]
        x = layer_norm(x, g, be)
        if self.decoder:
            k, bb = self.w["next_token_logits"]
            return x @ k + bb
        pooled = (x * mask[:, :, None]).sum(1) / mask.sum(1, keepdim=True).clamp(min=1)
        k, bb = self.w["classifier"]
        return torch.softmax(pooled @ k + bb, -1)


def classification_loss(probs, labels):
    # src/trainer/textTraining.ts: mean of −log(clip(p[label], 1e-7, 1)).
    picked = probs.gather(1, labels[:, None])[:, 0]
    return -torch.log(picked.clamp(1e-7, 1)).mean()


def language_model_loss(logits, targets, weights):
    nll = -(torch.log_softmax(logits, -1).gather(2, targets[:, :, None])[:, :, 0])
    return (nll * weights).sum() / weights.sum().clamp(min=1)


def transformer(req):
    d = req["dir"]
    n, t = req["rows"], req["length"]
    ids = read(os.path.join(d, "ids.i32"), np.int32, (n, t)).long()
    order = read(os.path.join(d, "order.i32"), np.int32, (req["epochs"], n)).long()
    model = Transformer(load_weights(d), req["model"])
    if model.decoder:
        targets = read(os.path.join(d, "targets.i32"), np.int32, (n, t)).long()
        weights = read(os.path.join(d, "weights_mask.f32"), np.float32, (n, t))
        loss_of = lambda rows: language_model_loss(model(ids[rows]), targets[rows], weights[rows])
    else:
        labels = read(os.path.join(d, "labels.i32"), np.int32, (n,)).long()
        loss_of = lambda rows: classification_loss(model(ids[rows]), labels[rows])
    opt = adam(model.params, req["lr"])
    bs = req["batchSize"]
    order, epochs = schedule(req, order)
    tokens = 0
    tstart, cpu = time.perf_counter(), time.process_time()
    for e in range(epochs):
        for s in range(0, len(order[e]), bs):
            rows = order[e][s : s + bs]
            opt.zero_grad(set_to_none=True)
            loss = loss_of(rows)
            loss.backward()
            opt.step()
            tokens += len(rows) * t
    seconds, cpu = time.perf_counter() - tstart, time.process_time() - cpu
    with torch.no_grad():
        final = loss_of(torch.arange(n)).item()
    return {"seconds": seconds, "cpuSeconds": cpu, "tokens": tokens, "finalLoss": final}


def cnn(req):
    """workloads.ts's buildCnn in PyTorch (NCHW), on Model Lab's weights: conv 32 3x3 relu, maxpool 2,
    conv 64 3x3 relu, maxpool 2, flatten (in NHWC order, as tfjs-layers flattens), dense 128 relu,
    dense 10 softmax; tfjs-layers' categorical cross-entropy (probabilities renormalised, clipped to
    [1e-7, 1 - 1e-7])."""
    d = req["dir"]
    n = req["rows"]
    x = read(os.path.join(d, "x.f32"), np.float32, (n, 28, 28, 1)).permute(0, 3, 1, 2).contiguous()
    labels = read(os.path.join(d, "labels.i32"), np.int32, (n,)).long()
    order = read(os.path.join(d, "order.i32"), np.int32, (req["epochs"], n)).long()
    w = load_weights(d)
    leaf = lambda t: t.detach().contiguous().requires_grad_(True)
    # tfjs conv kernels are [kh, kw, in, out]; torch's are [out, in, kh, kw].
    k1, b1 = leaf(w["conv1"][0].permute(3, 2, 0, 1)), leaf(w["conv1"][1])
    k2, b2 = leaf(w["conv2"][0].permute(3, 2, 0, 1)), leaf(w["conv2"][1])
    d1, c1 = leaf(w["dense1"][0]), leaf(w["dense1"][1])
    d2, c2 = leaf(w["dense2"][0]), leaf(w["dense2"][1])
    params = [k1, b1, k2, b2, d1, c1, d2, c2]

    def forward(inp):
        h = F.max_pool2d(torch.relu(F.conv2d(inp, k1, b1)), 2)
        h = F.max_pool2d(torch.relu(F.conv2d(h, k2, b2)), 2)
        h = h.permute(0, 2, 3, 1).reshape(h.shape[0], -1)
        h = torch.relu(torch.addmm(c1, h, d1))
        return torch.softmax(torch.addmm(c2, h, d2), -1)

    def loss_of(p, y):
        p = (p / p.sum(-1, keepdim=True)).clamp(1e-7, 1 - 1e-7)
        return -torch.log(p.gather(1, y[:, None])[:, 0]).mean()

    order, epochs = schedule(req, order)
    seconds, cpu, _, images = train_epochs(adam(params, req["lr"]), lambda xb, yb: loss_of(forward(xb), yb), x, labels, order, epochs, req["batchSize"])
    with torch.no_grad():
        final = sum(loss_of(forward(x[s : s + 512]), labels[s : s + 512]).item() * len(labels[s : s + 512]) for s in range(0, n, 512)) / n
    return {"seconds": seconds, "cpuSeconds": cpu, "samples": images, "finalLoss": final}


def run(req):
    torch.set_num_threads(req.get("threads", 1))
    cmd = req["cmd"]
    if cmd == "matmul":
        return matmul(req)
    if cmd == "mlp":
        return mlp(req)
    if cmd == "transformer":
        return transformer(req)
    if cmd == "cnn":
        return cnn(req)
    raise ValueError(f"unknown command {cmd!r}")


def main():
    # Debian's torch calls the generic libblas.so.3, which the alternatives system points at a BLAS.
    blas = "generic"
    for path in glob.glob("/etc/alternatives/libblas.so.3*"):
        blas = os.path.realpath(path)
    print(json.dumps({"ready": True, "torch": torch.__version__, "blas": blas}), flush=True)
    for line in sys.stdin:
        line = line.strip()
        if not line:
            continue
        try:
            out = run(json.loads(line))
        except Exception as e:  # reported to the harness, which prints it
            out = {"error": f"{type(e).__name__}: {e}"}
        print(json.dumps(out), flush=True)


if __name__ == "__main__":
    main()
