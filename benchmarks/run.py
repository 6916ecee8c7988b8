#!/usr/bin/env python3
"""Runs gradsh's benchmark workloads side by side with the same programs in PyTorch.

usage: benchmarks/run.py [--gradsh PATH] [--runs N] [--quick]

Each workload runs as a whole process, gradsh and PyTorch alternately, --runs times; the
table shows medians net of each system's own start-up time (measured in the same round,
just before), the ratio gradsh / PyTorch, and peak memory (maximum resident set) from the
OS. PyTorch is used when it can be imported; otherwise gradsh is reported alone. Python
standard library only.
"""
import argparse
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
    ("mlp_eval", "grad", "mlp_eval.grad", ["mlp_eval.py", "grad"]),
    ("mlp_eval", "no_grad", "mlp_eval_no_grad.grad", ["mlp_eval.py", "no_grad"]),
    ("mlp_eval", "inference", "mlp_eval_inference.grad", ["mlp_eval.py", "inference"]),
    ("matmul", "no_grad", "matmul.grad", ["matmul.py"]),
    ("deep_forward", "grad", "deep_forward.grad", ["deep_forward.py", "grad"]),
    ("deep_forward", "no_grad", "deep_forward_no_grad.grad", ["deep_forward.py", "no_grad"]),
    ("deep_forward", "inference", "deep_forward_inference.grad", ["deep_forward.py", "inference"]),
]


def measure(argv):
    """Wall seconds and peak resident memory (MiB) of one whole process."""
    start = time.perf_counter()
    proc = subprocess.Popen(argv, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE, cwd=WORK)
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


def sample(argvs, runs):
    """Runs each command `runs` times, interleaved; returns (seconds list, MiB list) each."""
    samples = [([], []) for _ in argvs]
    for _ in range(runs):
        for i, argv in enumerate(argvs):
            t, m = measure(argv)
            samples[i][0].append(t)
            samples[i][1].append(m)
    return samples


def medians(argvs, runs):
    """(median seconds, median MiB) of each command over `runs` interleaved runs."""
    return [(statistics.median(t), statistics.median(m)) for t, m in sample(argvs, runs)]


def net_medians(pairs, runs):
    """For each (start-up command, workload command) pair: the median over `runs` rounds of
    the workload's time minus the start-up time measured right before it, and the median
    peak memory of the workload. Pairing each sample with a start-up measured moments
    earlier cancels drift in the machine's speed over the whole benchmark."""
    samples = sample([argv for pair in pairs for argv in pair], runs)
    out = []
    for k in range(len(pairs)):
        startup, work = samples[2 * k], samples[2 * k + 1]
        out.append((statistics.median(w - s for w, s in zip(work[0], startup[0])), statistics.median(work[1])))
    return out


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

    startup = medians([[gradsh, "startup.grad"]] + ([[py, "startup.py"]] if with_torch else []), runs)
    g0 = startup[0][0]
    t0 = startup[1][0] if with_torch else None  # the start-up row; workloads pair their own
    print()
    print("| workload | mode | gradsh | PyTorch | ratio | gradsh peak | PyTorch peak |")
    print("|---|---|---|---|---|---|---|")
    print(f"| startup (whole process) | - | {fmt(g0)} | {fmt(t0) if t0 else '-'} | {g0 / t0:.3f} |" if t0 else f"| startup | - | {fmt(g0)} | - | - |", end="")
    print(f" {startup[0][1]:.0f} MiB | {startup[1][1]:.0f} MiB |" if with_torch else f" {startup[0][1]:.0f} MiB | - |")
    peaks = {}
    for name, mode, gscript, targv in WORKLOADS:
        pairs = [([gradsh, "startup.grad"], [gradsh, gscript])]
        if with_torch:
            pairs.append(([py, "startup.py"], [py] + targv))
        res = net_medians(pairs, runs)
        g_net = max(res[0][0], 0)
        peaks[(name, mode, "gradsh")] = res[0][1]
        if with_torch:
            t_net = max(res[1][0], 0)
            peaks[(name, mode, "torch")] = res[1][1]
            ratio = g_net / t_net if t_net > 0 else float("nan")
            print(f"| {name} | {mode} | {fmt(g_net)} | {fmt(t_net)} | {ratio:.2f} | {res[0][1]:.0f} MiB | {res[1][1]:.0f} MiB |")
        else:
            print(f"| {name} | {mode} | {fmt(g_net)} | - | - | {res[0][1]:.0f} MiB | - |")

    print()
    g_graph = peaks[("deep_forward", "grad", "gradsh")] - peaks[("deep_forward", "no_grad", "gradsh")]
    line = f"deep_forward graph memory (peak under grad minus peak under no_grad): gradsh {g_graph:.0f} MiB"
    if with_torch:
        t_graph = peaks[("deep_forward", "grad", "torch")] - peaks[("deep_forward", "no_grad", "torch")]
        line += f", PyTorch {t_graph:.0f} MiB, ratio {g_graph / t_graph:.2f}"
    print(line)
    g_held, t_held = graph_held_bytes(gradsh, with_torch)
    line = f"deep_forward graph memory counted from the saved tensors (held only by the graph): gradsh {g_held:.1f} MiB"
    if t_held is not None:
        line += f", PyTorch {t_held:.1f} MiB, ratio {g_held / t_held:.2f}"
    print(line)
    g_grown, t_grown = graph_resident_growth(gradsh, with_torch, runs)
    if g_grown is not None:
        line = f"deep_forward graph memory in a warmed-up process (resident growth of a grad forward after a no_grad one): gradsh {g_grown:.1f} MiB"
        if t_grown is not None:
            line += f", PyTorch {t_grown:.1f} MiB, ratio {g_grown / t_grown:.2f}"
        print(line)
    leaks = leak_check(gradsh)
    print(f"leak check: after 200 steps {leaks[200]}; after 2,000 steps {leaks[2000]}")

    if not args.quick:
        print()
        print("| op (no_grad) | iterations | gradsh per op | PyTorch per op |")
        print("|---|---|---|---|")
        for row in scaling(gradsh, with_torch):
            print(f"| {row[0]} | {row[1]} | {fmt(row[2])} | {fmt(row[3]) if len(row) > 3 else '-'} |")


if __name__ == "__main__":
    main()
