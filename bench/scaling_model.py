"""The cost model of docs/scaling.md: data-parallel training steps of every
cogmap model on P ranks joined by a 100 Gb/s network, from each model's
parameter count (the bytes all-reduced per step) and training FLOPs per sample.

    python3 bench/scaling_model.py [--gflops F] [--alpha US] [--gbps BW]

Assumptions (change them with the options):
  * a rank computes at F = 100 GFLOP/s (a multi-core node running cogmap's
    threads; this machine's 2 cores reach 136 GFLOP/s on ssmpc at 2 threads);
  * all-reduce of n floats: 2 (P-1)/P * 4n bytes over BW = 12.5 GB/s (100 Gb/s)
    plus 2 (P-1) message latencies of alpha = 5 us (cm_dist_sum_floats is an
    all-to-all of slices then an all-gather: a ring's volume and message count);
  * no overlap of communication with computation (cogmap reduces after the
    whole backward);
  * a sample is one sequence (path models: T steps) or one frame (vision).
"""
import argparse
import math

# name, parameters (floats all-reduced), training GFLOP per sample, preset batch, source of the FLOPs
MODELS = [
    ("grid ssmpc", 307472, 3.2332 / 32, 32, "cm_pathint_step_flops / batch"),
    ("grid banino", 238608, 1.0104 / 10, 10, "cm_pathint_step_flops / batch"),
    ("grid sorscher-512", 787456, 12.8090 / 200, 200, "cm_pathint_step_flops / batch"),
    ("grid sorscher", 20979712, 454.7936 / 200, 200, "cm_pathint_step_flops / batch"),
    ("smp", 682768, 0.27, 16, "estimate: 31 frames embedded + 30 RNN steps"),
    ("bev", 10032652, 3 * 2.85, 32, "torch profiler forward x 3"),
    ("detector", 2901550, 3 * 0.2326, 32, "torch profiler forward x 3"),
    ("social", 326301, 0.195, 32, "analytic: 2 LSTM streams + read-outs, T = 100"),
    ("link", 260000, 0.16, 32, "estimate: 6 x params x 100 steps"),
    ("coop policy", 10000, 0.006, 64, "estimate: 6 x params x 8 candidates x 12"),
]


def comm_seconds(n, P, bw, alpha):
    if P == 1:
        return 0.0
    return 2 * (P - 1) / P * 4 * n / bw + 2 * (P - 1) * alpha


def main():
    ap = argparse.ArgumentParser()
    ap.add_argument("--gflops", type=float, default=100.0, help="GFLOP/s of one rank")
    ap.add_argument("--alpha", type=float, default=5.0, help="latency per message, microseconds")
    ap.add_argument("--gbps", type=float, default=100.0, help="link bandwidth, Gb/s")
    a = ap.parse_args()
    F, alpha, bw = a.gflops * 1e9, a.alpha * 1e-6, a.gbps * 1e9 / 8
    print("assumptions: %.0f GFLOP/s per rank, %.0f Gb/s, %.0f us per message" % (a.gflops, a.gbps, a.alpha))
    print("%-18s %11s %9s %10s %12s" % ("model", "params", "MB/step", "GFLOP/smp", "FLOP/byte"))
    for name, n, gf, B, _ in MODELS:
        print("%-18s %11d %9.2f %10.4f %12.0f" % (name, n, 4 * n / 1e6, gf, gf * 1e9 * B / (4 * n)))
    print()
    print("fixed global batch (the preset's): efficiency = compute / (compute + all-reduce)")
    print("%-18s %6s" % ("model", "batch") + "".join("%16s" % ("P=%d" % P) for P in (8, 64, 512)))
    for name, n, gf, B, _ in MODELS:
        row = "%-18s %6d" % (name, B)
        for P in (8, 64, 512):
            if P > B:
                row += "%16s" % "batch < P"
                continue
            tc = gf * 1e9 * B / P / F
            tm = comm_seconds(n, P, bw, alpha)
            row += "%16s" % ("%.0f%% %.2gms" % (100 * tc / (tc + tm), 1e3 * (tc + tm)))
        print(row)
    print()
    print("smallest local batch (samples per rank) for 90% efficiency, and the global batch it makes")
    print("%-18s" % "model" + "".join("%20s" % ("P=%d" % P) for P in (8, 64, 512)))
    for name, n, gf, B, _ in MODELS:
        row = "%-18s" % name
        for P in (8, 64, 512):
            tm = comm_seconds(n, P, bw, alpha)
            b = max(1, math.ceil(9 * tm * F / (gf * 1e9)))
            row += "%20s" % ("%d (global %d)" % (b, b * P))
        print(row)


if __name__ == "__main__":
    main()
