#!/usr/bin/env python3
"""Runs gradsh's benchmark workloads side by side with the same programs in PyTorch.

usage: benchmarks/run.py [--gradsh PATH] [--runs N] [--quick]

Each workload runs as a whole process, gradsh and PyTorch alternately, --runs times; the
table shows medians net of each system's own start-up time (measured in the same round,
just before), the ratio gradsh / PyTorch, and peak memory (maximum resident set) from the
OS. Then deep_forward's graph memory four ways, a leak check, a line for each of the
project's performance targets saying whether it is met, and a scaling table. PyTorch is
used when it can be imported; otherwise gradsh is reported alone. Python standard library
only.
"""
import argparse
import functools
import os
import platform
import re
import statistics
import subprocess
import sys
import time

HERE = os.path.dirname(os.path.abspath(__file__))
WORK = os.path.join(HERE, "workloads")

# (name, mode, gradsh script, PyTorch script and argument)
WORKLOADS = [
    ("small_ops", "grad", "small_ops.grad", ["small_ops.py", "grad"]),
    ("small_ops", "no_grad", "small_ops_no_grad.grad", ["small_ops.py", "no_grad"]),
    ("small_ops", "inference", "small_ops_inference.grad", ["small_ops.py", "inference"]),
    ("mlp_train", "grad", "mlp_train.grad", ["mlp_train.py"]),
    ("mlp_train", "class", "mlp_train_class.grad", ["mlp_train_class.py"]),
    ("mlp_eval", "grad", "mlp_eval.grad", ["mlp_eval.py", "grad"]),
    ("mlp_eval", "no_grad", "mlp_eval_no_grad.grad", ["mlp_eval.py", "no_grad"]),
    ("mlp_eval", "inference", "mlp_eval_inference.grad", ["mlp_eval.py", "inference"]),
    ("matmul", "no_grad", "matmul.grad", ["matmul.py"]),
    ("deep_forward", "grad", "deep_forward.grad", ["deep_forward.py", "grad"]),
    ("deep_forward", "no_grad", "deep_forward_no_grad.grad", ["deep_forward.py", "no_grad"]),
    ("deep_forward", "inference", "deep_forward_inference.grad", ["deep_forward.py", "inference"]),
]


def measure(argv, env=None):
    """Wall seconds and peak resident memory (MiB) of one whole process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=WORK,
                            env=None if env is None else {**os.environ, **env})
    _, status, usage = os.wait4(proc.pid, 0)
    elapsed = time.perf_counter() - start
    err = proc.stderr.read().decode("utf-8", "replace")
    proc.stderr.close()
    if os.waitstatus_to_exitcode(status) != 0:
        raise SystemExit(f"{' '.join(argv)} failed:\n{err}")
    return elapsed, usage.ru_maxrss / 1024.0


def torch_available():
    try:
        subprocess.run([sys.executable, "-c", "import torch"], check=True, capture_output=True)
        return True
    except subprocess.CalledProcessError:
        return False


def sample(argvs, runs, env=None):
    """Runs each command `runs` times, interleaved; returns (seconds list, MiB list) each."""
    samples = [([], []) for _ in argvs]
    for _ in range(runs):
        for i, argv in enumerate(argvs):
            t, m = measure(argv, env)
            samples[i][0].append(t)
            samples[i][1].append(m)
    return samples


def medians(argvs, runs):
    """(median seconds, median MiB) of each command over `runs` interleaved runs."""
    return [(statistics.median(t), statistics.median(m)) for t, m in sample(argvs, runs)]


def net_samples(pairs, runs):
    """For each (start-up command, workload command) pair: the workload's time minus the
    start-up time measured right before it, for each of `runs` rounds, and the median peak
    memory of the workload. Pairing each sample with a start-up measured moments earlier
    cancels drift in the machine's speed over the whole benchmark."""
    samples = sample([argv for pair in pairs for argv in pair], runs)
    out = []
    for k in range(len(pairs)):
        startup, work = samples[2 * k], samples[2 * k + 1]
        out.append(([w - s for w, s in zip(work[0], startup[0])], statistics.median(work[1])))
    return out


def p_faster(fast, slow):
    """One-sided Mann-Whitney U test: the chance that runs of two equally fast programs would
    put `fast` at least this far ahead of `slow`. Exact, for the handful of runs a benchmark
    makes; the smaller, the clearer the difference."""
    m, n = len(fast), len(slow)
    u = sum(1.0 if f < s else 0.5 if f == s else 0.0 for f in fast for s in slow)

    @functools.lru_cache(maxsize=None)
    def orderings(i, j):
        """How many orderings of i fast and j slow runs have k (fast ahead of slow) pairs, by k."""
        if i == 0 or j == 0:
            return (1,)
        counts = [0] * (i * j + 1)
        for k, c in enumerate(orderings(i - 1, j)):  # the slowest run is a fast one
            counts[k] += c
        for k, c in enumerate(orderings(i, j - 1)):  # the slowest is a slow one: all i fast runs are ahead
            counts[k + i] += c
        return tuple(counts)

    counts = orderings(m, n)
    return sum(c for k, c in enumerate(counts) if k >= u) / sum(counts)


def leak_check(gradsh):
    """Live tensor bytes after 200 and after 2,000 training steps: they must be equal."""
    results = {}
    for steps in (200, 2000):
        script = f"""manual_seed(0)
model = Sequential(Linear(32, 64), ReLU(), Linear(64, 4))
opt = SGD(model.parameters(), lr=0.01, momentum=0.9)
x = randn(16, 32)
y = randint(0, 4, (16,))
for step in range({steps}) <
    opt.zero_grad()
    loss = cross_entropy(model(x), y)
    loss.backward()
    opt.step()
>
:mem
"""
        out = subprocess.run([gradsh, "-c", script], capture_output=True, text=True, check=True).stdout
        results[steps] = re.search(r"live tensor memory: (.*) in (\d+) storages", out).group(0)
    return results


def timed_in_process(gradsh, setup, expr, tsetup, texpr, iters, with_torch):
    """Seconds per op, timed inside each process (start-up does not blur small sizes)."""
    script = f"manual_seed(0)\n{setup}\n:time no_grad < for i in range({iters}) < z = {expr} > >\n"
    out = subprocess.run([gradsh, "--no-color", "-c", script], capture_output=True, text=True, check=True).stdout
    value, unit = re.search(r"time: ([0-9.]+) (µs|ms|s)", out).groups()
    gradsh_seconds = float(value) * {"µs": 1e-6, "ms": 1e-3, "s": 1.0}[unit] / iters
    if not with_torch:
        return gradsh_seconds, None
    program = (f"import time, torch\ntorch.manual_seed(0)\n{tsetup}\nwith torch.no_grad():\n"
               f"    start = time.perf_counter()\n    for i in range({iters}):\n        z = {texpr}\n"
               f"    print(time.perf_counter() - start)\n")
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True).stdout
    return gradsh_seconds, float(out.strip()) / iters


def scaling(gradsh, with_torch):
    """Seconds per op as sizes grow: elementwise add (no_grad) and square matrix products."""
    rows = []
    cases = [("add", n, f"x = randn({n})\ny = randn({n})", "x + y", f"x = torch.randn({n}); y = torch.randn({n})", "x + y")
             for n in (10, 1000, 100000, 10000000)]
    cases += [("matmul", n, f"a = randn({n}, {n})\nb = randn({n}, {n})", "a @ b",
               f"a = torch.randn({n}, {n}); b = torch.randn({n}, {n})", "a @ b") for n in (16, 128, 512, 2048)]
    for op, n, setup, expr, tsetup, texpr in cases:
        work = n ** 3 if op == "matmul" else n
        iters = max(3, min(20000, int(2e8 / max(work, 1))))
        g, t = timed_in_process(gradsh, setup, expr, tsetup, texpr, iters, with_torch)
        rows.append([f"{op} {n}" + ("x" + str(n) if op == "matmul" else ""), iters, g] + ([t] if t is not None else []))
    return rows


def graph_held_bytes(gradsh, with_torch):
    """What deep_forward's graph alone keeps alive, counted from the tensors it saved: gradsh
    from :mem, PyTorch with saved_tensors_hooks (storages not held by parameters or input)."""
    with open(os.path.join(WORK, "deep_forward.grad")) as f:
        script = f.read() + "\n:mem\n"
    out = subprocess.run([gradsh, "--no-color", "-c", script], capture_output=True, text=True, check=True).stdout
    row = next(l for l in out.splitlines() if re.match(r"out +[0-9]", l))
    value, unit = re.findall(r"([0-9.]+) (B|KiB|MiB|GiB)", row)[-1]
    g = to_mib(value, unit)
    if not with_torch:
        return g, None
    program = """import torch
torch.manual_seed(0)
model = torch.nn.Sequential(*[m for _ in range(16) for m in (torch.nn.Linear(512, 512), torch.nn.Tanh())])
x = torch.randn(1024, 512)
saved = {}
def pack(t):
    saved[t.untyped_storage().data_ptr()] = t.untyped_storage().nbytes()
    return t
with torch.autograd.graph.saved_tensors_hooks(pack, lambda t: t):
    out = model(x).sum()
held = {p.untyped_storage().data_ptr() for p in model.parameters()} | {x.untyped_storage().data_ptr()}
print(sum(n for ptr, n in saved.items() if ptr not in held) / 2 ** 20)
"""
    out = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True).stdout
    return g, float(out.strip())


def to_mib(value, unit):
    return float(value) * {"B": 1, "KiB": 1024, "MiB": 2 ** 20, "GiB": 2 ** 30}[unit] / 2 ** 20


def graph_resident_growth(gradsh, with_torch, runs):
    """deep_forward's graph memory in a warmed-up process: how much resident memory grows when
    one forward under grad follows one under no_grad (so the matrix library's buffers, lazy
    initialisation and allocator warm-up are already paid for). Medians over `runs` processes."""
    with open(os.path.join(WORK, "deep_forward_no_grad.grad")) as f:
        script = f.read() + "\n:mem\nout = model(x).sum()\n:mem\n"
    g, t = [], []
    program = """import torch
def resident():
    return next(int(l.split()[1]) for l in open("/proc/self/status") if l.startswith("VmRSS")) / 1024
torch.manual_seed(0)
model = torch.nn.Sequential(*[m for _ in range(16) for m in (torch.nn.Linear(512, 512), torch.nn.Tanh())])
x = torch.randn(1024, 512)
with torch.no_grad():
    out = model(x).sum()
before = resident()
out = model(x).sum()
print(resident() - before)
"""
    for _ in range(runs):
        out = subprocess.run([gradsh, "--no-color", "-c", script], capture_output=True, text=True, check=True).stdout
        found = re.findall(r"process resident memory.*: ([0-9.]+) (B|KiB|MiB|GiB), peak", out)
        if len(found) != 2:
            return None, None
        g.append(to_mib(*found[1]) - to_mib(*found[0]))
        if with_torch:
            t.append(float(subprocess.run([sys.executable, "-c", program], capture_output=True, text=True, check=True).stdout))
    return statistics.median(g), (statistics.median(t) if t else None)


# glibc's own default mmap threshold, fixed: set through the environment it also stops the
# threshold from moving, so every buffer of 128 KiB or more is mapped on its own and handed
# back to the OS when freed. gradsh leaves a threshold set this way alone.
FIXED_THRESHOLD = {"MALLOC_MMAP_THRESHOLD_": "131072"}


def graph_peaks_fixed_threshold(gradsh, with_torch, runs):
    """deep_forward's graph memory as whole processes (peak under grad minus peak under
    no_grad) with both allocators returning every big buffer when it is freed, so resident
    memory follows what is alive rather than what the heap kept after earlier frees."""
    argvs = [[gradsh, "deep_forward.grad"], [gradsh, "deep_forward_no_grad.grad"]]
    if with_torch:
        argvs += [[sys.executable, "deep_forward.py", "grad"], [sys.executable, "deep_forward.py", "no_grad"]]
    peaks = [statistics.median(m) for _, m in sample(argvs, runs, FIXED_THRESHOLD)]
    return peaks[0] - peaks[1], (peaks[2] - peaks[3] if with_torch else None)


def torch_free_heap_after_grad_forward():
    """MiB of PyTorch's heap that is free but still resident right after deep_forward's grad
    forward pass (glibc's mallinfo2): memory its peak counts that nothing holds."""
    program = """import ctypes, torch
class Info(ctypes.Structure):
    _fields_ = [(n, ctypes.c_size_t) for n in "arena ordblks smblks hblks hblkhd usmblks fsmblks uordblks fordblks keepcost".split()]
libc = ctypes.CDLL("libc.so.6")
libc.mallinfo2.restype = Info
torch.manual_seed(0)
model = torch.nn.Sequential(*[m for _ in range(16) for m in (torch.nn.Linear(512, 512), torch.nn.Tanh())])
x = torch.randn(1024, 512)
out = model(x).sum()
print(libc.mallinfo2().fordblks / 2 ** 20)
"""
    done = subprocess.run([sys.executable, "-c", program], capture_output=True, text=True)
    return float(done.stdout.strip()) if done.returncode == 0 else None


def print_targets(times, peaks, startup, graph, graph_fixed, leaks, with_torch, runs):
    """One line for each of the project's performance targets: the figure and whether it is met.
    "Clearly faster" means at least 5% faster in median and beyond run-to-run noise (one-sided
    Mann-Whitney U test, p < 0.01); "no slower" means not slower beyond that noise."""
    rows = []

    def target(text, figure, met):
        rows.append((text, figure, "met" if met else "NOT MET"))

    def net(name, mode, system):
        return max(statistics.median(times[(name, mode, system)]), 0)

    def ratio(a, b):
        # A net time can be 0 when start-up noise swamps a short run (--quick).
        return a / b if b > 0 else float("inf")

    if with_torch:
        target("start-up at most 1/20 of PyTorch's", f"{startup[0] / startup[1]:.3f}", startup[0] / startup[1] <= 1 / 20)
        for mode in ("grad", "no_grad", "inference"):
            r = ratio(net("small_ops", mode, "gradsh"), net("small_ops", mode, "torch"))
            target(f"small_ops ({mode}) at most 0.5 of PyTorch's time", f"{r:.2f}", r <= 0.5)
        for name, mode, limit in (("mlp_train", "grad", 1.0), ("mlp_eval", "no_grad", 1.1), ("matmul", "no_grad", 1.1)):
            r = ratio(net(name, mode, "gradsh"), net(name, mode, "torch"))
            target(f"{name} ({mode}) at most {limit} of PyTorch's time", f"{r:.2f}", r <= limit)
        for label, (g, t) in (("as each system allocates by default", graph),
                              ("big buffers returned to the OS when freed", graph_fixed)):
            target(f"deep_forward graph memory within 10% of PyTorch's ({label})",
                   f"{g:.1f} / {t:.1f} MiB = {g / t:.2f}", abs(g / t - 1) <= 0.10)
        g, t = peaks[("deep_forward", "no_grad", "gradsh")], peaks[("deep_forward", "no_grad", "torch")]
        target("deep_forward peak memory under no_grad no higher than PyTorch's", f"{g:.0f} / {t:.0f} MiB", g <= t)
    for name in ("small_ops", "mlp_eval"):
        fast, slow = times[(name, "no_grad", "gradsh")], times[(name, "grad", "gradsh")]
        gain = 1 - statistics.median(fast) / statistics.median(slow)
        p = p_faster(fast, slow)
        target(f"{name}: no_grad clearly faster than grad", f"{gain:.1%} less time, p = {p:.2g}", gain >= 0.05 and p < 0.01)
    for name in ("small_ops", "mlp_eval", "deep_forward"):
        inference, no_grad = times[(name, "inference", "gradsh")], times[(name, "no_grad", "gradsh")]
        change = statistics.median(inference) / statistics.median(no_grad) - 1
        p = p_faster(no_grad, inference)
        target(f"{name}: inference no slower than no_grad", f"{change:+.1%} time, p = {p:.2g}", p >= 0.01)
    native, tutorial = net("mlp_train", "grad", "gradsh"), net("mlp_train", "class", "gradsh")
    target("mlp_train written as a tutorial (nn.Module subclass, Python blocks, f-strings) within 10% of the native spelling",
           f"{ratio(tutorial, native):.2f}", tutorial <= native * 1.10)
    target("no leaks: the same live tensor memory after 2,000 training steps as after 200",
           leaks[2000], leaks[200] == leaks[2000])

    if runs < 5:
        print(f"(with {runs} run(s) each no difference can be told from noise: use at least 5 for the verdicts)")
    print("| target | figure | |")
    print("|---|---|---|")
    for text, figure, verdict in rows:
        print(f"| {text} | {figure} | {verdict} |")


def fmt(seconds):
    if seconds < 1e-3:
        return f"{seconds * 1e6:.1f} µs"
    if seconds < 1:
        return f"{seconds * 1e3:.1f} ms"
    return f"{seconds:.2f} s"


def main():
    ap = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    ap.add_argument("--gradsh", default=os.path.join(HERE, "..", ".build", "release", "gradsh"))
    ap.add_argument("--runs", type=int, default=9)
    ap.add_argument("--quick", action="store_true", help="one run each, no scaling table")
    args = ap.parse_args()
    gradsh = os.path.abspath(args.gradsh)
    if not os.path.exists(gradsh):
        raise SystemExit(f"no gradsh at {gradsh}: build it with swift build -c release")
    runs = 1 if args.quick else args.runs
    with_torch = torch_available()
    py = sys.executable
    print(f"# gradsh benchmarks, {time.strftime('%Y-%m-%d')}, {platform.machine()} {platform.system()}, "
          f"{os.cpu_count()} cores, {runs} runs each, medians" + ("" if with_torch else " (PyTorch not installed: gradsh alone)"))

    # One unmeasured run of every program first, so no sample pays for a cold page cache.
    for _, _, gscript, targv in WORKLOADS:
        measure([gradsh, gscript])
        if with_torch:
            measure([py] + targv)
    startup = medians([[gradsh, "startup.grad"]] + ([[py, "startup.py"]] if with_torch else []), runs)
    g0 = startup[0][0]
    t0 = startup[1][0] if with_torch else None  # the start-up row; workloads pair their own
    print()
    print("| workload | mode | gradsh | PyTorch | ratio | gradsh peak | PyTorch peak |")
    print("|---|---|---|---|---|---|---|")
    print(f"| startup (whole process) | - | {fmt(g0)} | {fmt(t0) if t0 else '-'} | {g0 / t0:.3f} |" if t0 else f"| startup | - | {fmt(g0)} | - | - |", end="")
    print(f" {startup[0][1]:.0f} MiB | {startup[1][1]:.0f} MiB |" if with_torch else f" {startup[0][1]:.0f} MiB | - |")
    peaks, times = {}, {}
    for name, mode, gscript, targv in WORKLOADS:
        pairs = [([gradsh, "startup.grad"], [gradsh, gscript])]
        if with_torch:
            pairs.append(([py, "startup.py"], [py] + targv))
        res = net_samples(pairs, runs)
        times[(name, mode, "gradsh")], peaks[(name, mode, "gradsh")] = res[0]
        g_net = max(statistics.median(res[0][0]), 0)
        if with_torch:
            times[(name, mode, "torch")], peaks[(name, mode, "torch")] = res[1]
            t_net = max(statistics.median(res[1][0]), 0)
            ratio = g_net / t_net if t_net > 0 else float("nan")
            print(f"| {name} | {mode} | {fmt(g_net)} | {fmt(t_net)} | {ratio:.2f} | {res[0][1]:.0f} MiB | {res[1][1]:.0f} MiB |")
        else:
            print(f"| {name} | {mode} | {fmt(g_net)} | - | - | {res[0][1]:.0f} MiB | - |")

    def ratio_line(label, g, t, digits=0):
        line = f"{label}: gradsh {g:.{digits}f} MiB"
        return line + (f", PyTorch {t:.{digits}f} MiB, ratio {g / t:.2f}" if t else "")

    print()
    g_graph = peaks[("deep_forward", "grad", "gradsh")] - peaks[("deep_forward", "no_grad", "gradsh")]
    t_graph = (peaks[("deep_forward", "grad", "torch")] - peaks[("deep_forward", "no_grad", "torch")]) if with_torch else None
    print(ratio_line("deep_forward graph memory (peak under grad minus peak under no_grad)", g_graph, t_graph))
    if with_torch:
        free = torch_free_heap_after_grad_forward()
        if free is not None:
            print(f"  PyTorch's heap right after its grad forward pass: {free:.1f} MiB free but still resident")
    g_fixed, t_fixed = graph_peaks_fixed_threshold(gradsh, with_torch, runs)
    print(ratio_line("deep_forward graph memory, both allocators returning big buffers when freed "
                     "(MALLOC_MMAP_THRESHOLD_=131072)", g_fixed, t_fixed, digits=1))
    g_held, t_held = graph_held_bytes(gradsh, with_torch)
    print(ratio_line("deep_forward graph memory counted from the saved tensors (held only by the graph)",
                     g_held, t_held, digits=1))
    g_grown, t_grown = graph_resident_growth(gradsh, with_torch, runs)
    if g_grown is not None:
        print(ratio_line("deep_forward graph memory in a warmed-up process (resident growth of a grad forward "
                         "after a no_grad one)", g_grown, t_grown, digits=1))
    leaks = leak_check(gradsh)
    print(f"leak check: after 200 steps {leaks[200]}; after 2,000 steps {leaks[2000]}")

    print()
    print_targets(times, peaks, (g0, t0), (g_graph, t_graph), (g_fixed, t_fixed), leaks, with_torch, runs)

    if not args.quick:
        print()
        print("| op (no_grad) | iterations | gradsh per op | PyTorch per op |")
        print("|---|---|---|---|")
        for row in scaling(gradsh, with_torch):
            print(f"| {row[0]} | {row[1]} | {fmt(row[2])} | {fmt(row[3]) if len(row) > 3 else '-'} |")


if __name__ == "__main__":
    main()
