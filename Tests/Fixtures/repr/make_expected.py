"""Regenerates expected.jsonl from real PyTorch: the repr of each expression in
expressions.txt. Run by hand when adding expressions (needs torch); the tests never do."""
import builtins
import json

import torch

# gradsh's builtins are torch's names, with Python's own float/int/bool functions.
names = {n: getattr(torch, n) for n in dir(torch)}
names.update(torch=torch, float=builtins.float, int=builtins.int, bool=builtins.bool)

with open("expressions.txt") as f, open("expected.jsonl", "w") as out:
    for line in f:
        expr = line.strip()
        if expr:
            out.write(json.dumps({"expr": expr, "repr": repr(eval(expr, names))}) + "\n")
