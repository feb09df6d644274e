# Cases of HRL-ICM's networks (policy.h) for check_torch.py, which exec()s
# this file with case, randn, torch, F and np defined.
#
# The references are PyTorch rebuilds from docs/coop.md / policy.h: the
# meta-controller scores every candidate with one MLP on [candidate ; global]
# (nn.Sequential actor: Linear, ReLU, Linear), masks the absent ones
# (-1e9), takes a log-softmax, and the critic maps the global features to a
# value; its loss is PPO's clipped objective
#   mean(-min(r A, clip(r, 1 - eps, 1 + eps) A)) + value_coef mean((v - R)^2) - entropy_coef mean(H)
# with r = exp(logp[a] - old_logp). The ICM (Pathak et al. 2017): phi =
# ReLU(Linear(s)), inverse model Linear-ReLU-Linear on [phi0 ; phi1] with a
# cross-entropy on the action, forward model Linear-ReLU-Linear on
# [phi0 ; one-hot(a)], loss (1 - beta) CE + beta mean(0.5 |f - phi1|^2),
# reward eta/2 |f - phi1|^2 per row.


def coop_lin(name, out, inp):
    return {name + ".weight": randn(out, inp, sd=1.0 / inp ** 0.5), name + ".bias": randn(out, sd=0.1)}


def coop_policy_reference(cfg):
    def ref(t):
        cand, glob, mask = t["cand"], t["global"], t["mask"]
        B, M, _ = cand.shape
        x = torch.cat([cand, glob.unsqueeze(1).expand(B, M, -1)], dim=-1)
        h = F.relu(F.linear(x, t["actor.0.weight"], t["actor.0.bias"]))
        z = F.linear(h, t["actor.2.weight"], t["actor.2.bias"]).squeeze(-1)
        z = torch.where(mask > 0.5, z, torch.full_like(z, -1e9))
        logp = F.log_softmax(z, dim=-1)
        v = F.linear(F.relu(F.linear(glob, t["critic.0.weight"], t["critic.0.bias"])), t["critic.2.weight"],
                     t["critic.2.bias"]).squeeze(-1)
        a = t["action"].long()
        la = logp.gather(1, a.unsqueeze(1)).squeeze(1)
        ratio = torch.exp(la - t["old_logp"])
        A = t["advantage"]
        eps = cfg["clip_eps"]
        pg = -torch.min(ratio * A, torch.clamp(ratio, 1 - eps, 1 + eps) * A).mean()
        vl = ((v - t["ret"]) ** 2).mean()
        p = torch.exp(logp)
        ent = -(torch.where(mask > 0.5, p * logp, torch.zeros_like(p))).sum(-1).mean()
        loss = pg + cfg["value_coef"] * vl - cfg["entropy_coef"] * ent
        return {"loss": loss.reshape(1), "logp": torch.where(mask > 0.5, logp, torch.full_like(logp, -1e9)),
                "value": v}
    return ref


def coop_policy_case(label, B, M, Fd, G, H, seed_offsets):
    cfg = {"cand_dim": Fd, "global_dim": G, "n_cand": M, "hidden": H, "clip_eps": 0.2, "value_coef": 0.5,
           "entropy_coef": 0.05}
    d = {}
    d.update(coop_lin("actor.0", H, Fd + G))
    d.update(coop_lin("actor.2", 1, H))
    d.update(coop_lin("critic.0", H, G))
    d.update(coop_lin("critic.2", 1, H))
    mask = torch.zeros(B, M)
    action = torch.zeros(B)
    for r in range(B):
        k = 1 + r % M
        mask[r, :k] = 1
        action[r] = r % k
    d.update({"cand": randn(B, M, Fd), "global": randn(B, G), "mask": mask.float(), "action": action.float(),
              "advantage": randn(B), "ret": randn(B)})
    # old log-probabilities a fixed offset from the current ones: ratios inside
    # the clip and outside it on both sides, away from its corners
    with torch.no_grad():
        t64 = {k: v.double() for k, v in d.items()}
        t64["old_logp"] = torch.zeros(B, dtype=torch.float64)
        lp = coop_policy_reference(cfg)(t64)["logp"]
        la = lp.gather(1, action.long().unsqueeze(1)).squeeze(1)
    offs = torch.tensor([seed_offsets[r % len(seed_offsets)] for r in range(B)], dtype=torch.float64)
    d["old_logp"] = (la - offs).float()
    params = [k for k in d if "." in k]
    case("coop_policy", label, d, coop_policy_reference(cfg), cfg, grads=params, loss=True)


def coop_icm_reference(cfg):
    def ref(t):
        phi0 = F.relu(F.linear(t["s0"], t["encoder.0.weight"], t["encoder.0.bias"]))
        phi1 = F.relu(F.linear(t["s1"], t["encoder.0.weight"], t["encoder.0.bias"]))
        a = t["action"].long()
        inv = F.linear(F.relu(F.linear(torch.cat([phi0, phi1], -1), t["inverse.0.weight"], t["inverse.0.bias"])),
                       t["inverse.2.weight"], t["inverse.2.bias"])
        onehot = F.one_hot(a, cfg["n_actions"]).double()
        f = F.linear(F.relu(F.linear(torch.cat([phi0, onehot], -1), t["forward.0.weight"], t["forward.0.bias"])),
                     t["forward.2.weight"], t["forward.2.bias"])
        err = ((f - phi1) ** 2).sum(-1)
        loss = (1 - cfg["beta"]) * F.cross_entropy(inv, a) + cfg["beta"] * (0.5 * err).mean()
        return {"loss": loss.reshape(1), "reward": 0.5 * cfg["eta"] * err}
    return ref


def coop_icm_case(label, B, S, A, P, H):
    cfg = {"state_dim": S, "n_actions": A, "feature_dim": P, "hidden": H, "beta": 0.2, "eta": 0.7}
    d = {}
    d.update(coop_lin("encoder.0", P, S))
    d.update(coop_lin("inverse.0", H, 2 * P))
    d.update(coop_lin("inverse.2", A, H))
    d.update(coop_lin("forward.0", H, P + A))
    d.update(coop_lin("forward.2", P, H))
    d.update({"s0": randn(B, S), "s1": randn(B, S), "action": torch.tensor([r % A for r in range(B)]).float()})
    params = [k for k in d if "." in k]
    case("coop_icm", label, d, coop_icm_reference(cfg), cfg, grads=params, loss=True)


coop_policy_case("tiny B6 M4", 6, 4, 3, 2, 5, [0.0, 0.5, -0.5, 0.05, -0.4])
# coop's meta-controller shapes (preset meta), a rollout-sized batch
coop_policy_case("meta B64 M8", 64, 8, 10, 8, 64, [0.0, 0.6, -0.6, 0.1, -0.1, 0.35])
coop_icm_case("tiny B6", 6, 3, 4, 3, 5)
coop_icm_case("meta B64", 64, 8, 8, 16, 32)
