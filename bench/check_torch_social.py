# Cases of the social place-cell network (social.h) for check_torch.py, which
# exec()s this file with case, randn, torch, F and np defined.
#
# The reference is our own PyTorch rebuild of SSM-PC's SocialGridCellNetwork
# from ssm-pc.md §9.1 (ego token appended to the self stream, zeros to the
# peer's; one LSTM shared by both streams, started from each agent's
# place/HD code through shared h0/c0 Linear layers; joint = h_self + h_peer;
# ReLU bottleneck; four read-outs and the distance head) and of the inferred
# loss (soft-target cross-entropy of each read-out, mean over batch and time,
# + w_distance * MSE of the distance). Evaluation mode: no dropout.


def social_lstm(x, h, c, w_ih, w_hh, b_ih, b_hh):
    ys = []
    for step in range(x.shape[1]):
        g = x[:, step] @ w_ih.T + b_ih + h @ w_hh.T + b_hh
        i, f, gg, o = g.chunk(4, dim=1)
        c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(gg)
        h = torch.sigmoid(o) * torch.tanh(c)
        ys.append(h)
    return torch.stack(ys, dim=1)  # [B, T, H]


def social_reference(cfg):
    def ref(t):
        B, T, _ = t["self_vel"].shape
        ego = t["ego_token"].reshape(1, 1, -1).expand(B, T, -1)
        xs = torch.cat([t["self_vel"], ego], dim=-1)
        xp = torch.cat([t["peer_vel"], torch.zeros_like(ego)], dim=-1)
        lstm = [t["path_integrator_lstm." + k] for k in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")]

        def stream(x, place, hd):
            r0 = torch.cat([place, hd], dim=-1)
            h0 = F.linear(r0, t["h0_generator.weight"], t["h0_generator.bias"])
            c0 = F.linear(r0, t["c0_generator.weight"], t["c0_generator.bias"])
            return social_lstm(x, h0, c0, *lstm)

        joint = stream(xs, t["self_init_place"], t["self_init_hd"]) + stream(xp, t["peer_init_place"],
                                                                            t["peer_init_hd"])
        z = F.relu(F.linear(joint, t["joint_bottleneck_layer.0.weight"], t["joint_bottleneck_layer.0.bias"]))

        def head(name):
            return F.linear(z, t[name + ".weight"], t[name + ".bias"])

        def xent(logits, q):
            return -(q * F.log_softmax(logits, dim=-1)).sum(-1).mean()

        sp, sh, pp, ph = (head(n) for n in ("self_place_predictor", "self_hd_predictor", "peer_place_predictor",
                                           "peer_hd_predictor"))
        d = F.linear(F.relu(F.linear(z, t["relational_head.0.weight"], t["relational_head.0.bias"])),
                     t["relational_head.2.weight"], t["relational_head.2.bias"]).squeeze(-1)
        loss = (xent(sp, t["self_place"]) + xent(sh, t["self_hd"]) + xent(pp, t["peer_place"]) +
                xent(ph, t["peer_hd"]) + cfg["w_distance"] * ((d - t["distance"]) ** 2).mean())
        return {"loss": loss.reshape(1), "bottleneck": z, "self_place_logits": sp, "peer_place_logits": pp,
                "predicted_distance": d}
    return ref


def social_inputs(B, T, E, H, Nb, Np, Nh, Rh):
    def soft(*shape):
        return torch.softmax(randn(*shape, sd=2.0), dim=-1).float()

    def lin(name, out, inp):
        return {name + ".weight": randn(out, inp, sd=1.0 / inp ** 0.5), name + ".bias": randn(out, sd=0.1)}

    d = {"ego_token": randn(1, 1, E)}
    d.update({"path_integrator_lstm.weight_ih_l0": randn(4 * H, 3 + E, sd=0.4),
              "path_integrator_lstm.weight_hh_l0": randn(4 * H, H, sd=0.3),
              "path_integrator_lstm.bias_ih_l0": randn(4 * H, sd=0.1),
              "path_integrator_lstm.bias_hh_l0": randn(4 * H, sd=0.1)})
    for name, out, inp in (("h0_generator", H, Np + Nh), ("c0_generator", H, Np + Nh),
                           ("joint_bottleneck_layer.0", Nb, H), ("self_place_predictor", Np, Nb),
                           ("self_hd_predictor", Nh, Nb), ("peer_place_predictor", Np, Nb),
                           ("peer_hd_predictor", Nh, Nb), ("relational_head.0", Rh, Nb), ("relational_head.2", 1, Rh)):
        d.update(lin(name, out, inp))
    d.update({"self_vel": randn(B, T, 3, sd=0.3), "peer_vel": randn(B, T, 3, sd=0.3),
              "self_init_place": soft(B, Np), "peer_init_place": soft(B, Np),
              "self_init_hd": soft(B, Nh), "peer_init_hd": soft(B, Nh),
              "self_place": soft(B, T, Np), "peer_place": soft(B, T, Np),
              "self_hd": soft(B, T, Nh), "peer_hd": soft(B, T, Nh),
              "distance": (torch.rand(B, T) * 10).float()})
    return d


def social_case(label, B, T, E, H, Nb, Np, Nh, Rh, w_distance):
    cfg = {"ego_size": E, "hidden": H, "bottleneck": Nb, "n_place": Np, "n_hd": Nh, "relational_hidden": Rh,
           "w_distance": w_distance}
    inputs = social_inputs(B, T, E, H, Nb, Np, Nh, Rh)
    params = [k for k in inputs if "." in k or k == "ego_token"]
    case("social", label, inputs, social_reference(cfg), cfg, grads=params, loss=True)


social_case("tiny B3 T5", 3, 5, 4, 6, 8, 7, 3, 5, 0.5)
# SSM-PC's own sizes (326,301 parameters), a short batch.
social_case("ssmpc sizes B4 T12", 4, 12, 4, 128, 256, 256, 12, 64, 0.1)


# ------------------------------------------------------------------ the link
# Our PyTorch rebuild of the link (link.h, docs/social.md; our design, §11):
# sender ReLU layer over [state ; its copy of the receiver's memory (detached)],
# code and gate probabilities; relaxed messages (m = p, g = pi); the receiver's
# memory LSTM over [g (2m - 1) ; g] per sender, started from the sender's
# initial code; decoder over [ctx ; memory]; who-attention and the pooled
# read-out; loss = NLL + w_pool NLL_pool + beta sum pi KL(p || 1/2) + lambda sum pi.
# With fixed_bits the sender is skipped and every message is sent.

def link_reference(cfg, fixed=None):
    def ref(t):
        ctx, init, target = t["ctx"], t["init"], t["target"]
        T, B, C = ctx.shape
        NB = init.shape[0]
        N = NB // B
        lin = lambda x, name, bias=True: F.linear(x, t[name + ".weight"], t.get(name + ".bias") if bias else None)
        h = lin(init, "memory_h0")
        c = lin(init, "memory_c0")
        lstm = [t["memory." + k] for k in ("weight_ih_l0", "weight_hh_l0", "bias_ih_l0", "bias_hh_l0")]
        rate = torch.zeros((), dtype=torch.float64)
        gate = torch.zeros((), dtype=torch.float64)
        hs = []
        for step in range(T):
            if fixed is None:
                e = F.relu(lin(torch.cat([t["state"][step], h.detach()], dim=1), "sender.0"))
                p = torch.sigmoid(lin(e, "sender.code"))
                pi = torch.sigmoid(lin(e, "sender.gate")).squeeze(1)
                m, g = p, pi
                kl = (p * torch.log(p) + (1 - p) * torch.log(1 - p) + math.log(2)).sum(1)
                rate = rate + (pi * kl).sum()
                gate = gate + pi.sum()
            else:
                m = fixed[step].double()
                g = torch.ones(NB, dtype=torch.float64)
            u = torch.cat([g[:, None] * (2 * m - 1), g[:, None]], dim=1)
            if "message.weight" in t:
                u = lin(u, "message")
            z = u @ lstm[0].T + lstm[2] + h @ lstm[1].T + lstm[3]
            i, f, gg, o = z.chunk(4, dim=1)
            c = torch.sigmoid(f) * c + torch.sigmoid(i) * torch.tanh(gg)
            h = torch.sigmoid(o) * torch.tanh(c)
            hs.append(h)
        mem = torch.stack(hs)                                  # [T, NB, M]
        ctx_rows = ctx.repeat(1, N, 1)                         # row (n, b) reads ctx[t, b]
        din = torch.cat([ctx_rows, mem], dim=2)
        d1 = F.relu(lin(din, "decoder.0"))
        pred = lin(d1, "decoder.2")
        nll = -(target * F.log_softmax(pred, dim=-1)).sum() / (N * B * T)
        out = {"pred": pred}
        loss = nll
        if cfg["who"]:
            score = lin(torch.tanh(lin(din, "who.0")), "who.2", bias=False).squeeze(-1)   # [T, NB]
            alpha = torch.softmax(score.reshape(T, N, B), dim=1)                          # over senders
            pd = (alpha[..., None] * d1.reshape(T, N, B, -1)).sum(1)
            pooled = lin(pd, "pool")
            out["pooled"] = pooled
            loss = loss + cfg["w_pool"] * (-(t["target_pool"] * F.log_softmax(pooled, dim=-1)).sum() / (B * T))
        if fixed is None:
            loss = loss + cfg["beta"] * rate / (N * B * T) + cfg["lambda"] * gate / (N * B * T)
        out["loss"] = loss.reshape(1)
        return out
    return ref


def link_case(label, T, B, N, S, C, Bits, E, M, I, D, O, A, who, fixed_bits, P=0):
    cfg = {"state_dim": S, "ctx_dim": C, "bits": Bits, "senders": N, "sender_hidden": E, "memory": M, "init_dim": I,
           "message_dim": P,
           "decoder_hidden": D, "out_dim": O, "who": who, "who_hidden": A, "gate": 1, "w_pool": 0.7, "beta": 0.3,
           "lambda": 0.2}
    d = {}

    def lin(name, out, inp, bias=True):
        d[name + ".weight"] = randn(out, inp, sd=1.0 / inp ** 0.5)
        if bias:
            d[name + ".bias"] = randn(out, sd=0.2)
    lin("sender.0", E, S + M)
    lin("sender.code", Bits, E)
    lin("sender.gate", 1, E)
    if P:
        lin("message", P, Bits + 1)
    d["memory.weight_ih_l0"] = randn(4 * M, P or Bits + 1, sd=0.4)
    d["memory.weight_hh_l0"] = randn(4 * M, M, sd=0.3)
    d["memory.bias_ih_l0"] = randn(4 * M, sd=0.1)
    d["memory.bias_hh_l0"] = randn(4 * M, sd=0.1)
    lin("memory_h0", M, I)
    lin("memory_c0", M, I)
    lin("decoder.0", D, C + M)
    lin("decoder.2", O, D)
    if who:
        lin("who.0", A, C + M)
        lin("who.2", 1, A, bias=False)
        lin("pool", O, D)
    NB = N * B
    fixed = (torch.rand(T, NB, Bits) > 0.5).float() if fixed_bits else None
    d.update({"ctx": randn(T, B, C), "init": torch.softmax(randn(NB, I, sd=2.0), dim=-1).float(),
              "target": torch.softmax(randn(T, NB, O, sd=2.0), dim=-1).float()})
    if who:
        d["target_pool"] = torch.softmax(randn(T, B, O, sd=2.0), dim=-1).float()
    if fixed is None:
        d["state"] = randn(T, NB, S)
    else:
        d["fixed_bits"] = fixed
    grads = [k for k in d if "." in k] + (["state"] if fixed is None else []) + ["ctx"]
    case("link", label, d, link_reference(cfg, fixed), cfg, grads=grads, loss=True)


link_case("relaxed, 2 senders, who, gate", 4, 3, 2, 5, 4, 3, 6, 5, 4, 7, 6, 3, 1, False)
link_case("fixed bits (broadcast's path)", 4, 3, 2, 5, 4, 3, 6, 5, 4, 7, 6, 3, 1, True)
link_case("relaxed, message read-in 4", 4, 3, 2, 5, 4, 3, 6, 5, 4, 7, 6, 3, 1, False, P=4)
link_case("relaxed, SSM-PC sizes, 1 sender, read-in 7", 6, 2, 1, 131, 128, 16, 64, 128, 268, 256, 256, 32, 0, False, P=7)
