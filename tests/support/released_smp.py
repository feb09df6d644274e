"""Small files in the layout of DeepMind's released SMP pickles (smp.md §9), for the tests that
convert them with scripts/smp-data-to-npz as a user does: cli_released.sh and
tests/python/test_bench.py. The caller draws the trajectories (their content is what each test
checks); the parameters, visual inputs and HD statistics are random of the released shapes."""
import os
import pickle

import numpy as np

P = "integrator/multi_integrator_nets/"


def write(d, rs, traj, slots, hidden, embedding):
    """Writes trajectories.pickle (traj: pos, hd, world_distances, predicted_outputs,
    log_ps_given_y), parameters.pickle (RNN-1's prediction and correction LSTMs of `hidden`
    units, a memory of `slots` slots with `embedding`-wide visual contexts), visual_inputs.pickle
    and hd_stats.pickle into the new folder d, drawing from the numpy RandomState rs."""
    S, H, D, f = slots, hidden, embedding, np.float32
    params = {P + "prediction_rnn_0/w_gates": (rs.randn(2 + H, 4 * H) * 0.3).astype(f),
              P + "prediction_rnn_0/b_gates": (rs.randn(4 * H) * 0.1).astype(f),
              P + "correction_rnn_0/w_gates": (rs.randn(2 * H, 4 * H) * 0.3).astype(f),
              P + "correction_rnn_0/b_gates": (rs.randn(4 * H) * 0.1).astype(f),
              "integrator/memory_map_0/column_context_2": rs.randn(S, D).astype(f),
              "integrator/memory_map_0/column_context_3": rs.rand(S, H).astype(f),
              "integrator/memory_map_0/column_context_3_written": rs.rand(S, H).astype(f),
              P + "mmap_0_context_2_query_beta": f(0.3)}
    vis = {"images": rs.randint(0, 256, (S, 64, 64, 3)).astype(np.uint8), "embeddings": rs.randn(S, D).astype(f)}
    hds = {"rnn0_rv_angles": rs.uniform(-np.pi, np.pi, H).astype(f),
           "rnn0_rv_lengths": rs.uniform(0.3, 0.9, H).astype(f)}
    os.makedirs(d)
    for name, obj in [("trajectories", traj), ("parameters", params), ("visual_inputs", vis), ("hd_stats", hds)]:
        with open(os.path.join(d, name + ".pickle"), "wb") as fh:
            pickle.dump(obj, fh, protocol=4)
