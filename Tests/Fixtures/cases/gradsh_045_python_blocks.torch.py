# title: Python's block syntax: with (one and several modes), def/for/if/elif/else, break/continue, loop else, while, imports, f-strings
x = torch.tensor([1.0], requires_grad=True); show(1, "x", x)
fails(3, lambda: compile("\nwith torch.no_grad():\ny = x * 2\n", "<case>", "exec"),
      match="expected an indented block after 'with' statement on line 2")
with torch.no_grad():
    z = x * 2; show(4, "z", z)
with torch.no_grad():
    w = x * 2; show(6, "w", w)
printed(7, str(w.requires_grad))
with torch.set_grad_enabled(False), torch.enable_grad():
    v = x * 3; show(9, "v", v)
def f(n):
    total = 0
    for i in range(n):
        if i == 1:
            continue
        elif i > 3:
            break
        total += i
    else:
        total = -1
    return total
printed(21, f"{f(3)} {f(10)}")
n = 0; show(22, "n", n)
while n < 3:
    n += 1
printed(25, str(n))
import torch.nn as nn
from torch import optim
printed(28, f"{x.sum().item():.3f}|{n:>4d}|{'ab'!r:^8}|{1234567.891:,.2f}")
if n > 5: printed(29, "big")
elif n > 2: printed(29, "mid")  # a print reports the line of its top-level statement
else: printed(31, "small")
def missing():
    import numpy_is_not_here
fails(32, missing, match="No module named")
