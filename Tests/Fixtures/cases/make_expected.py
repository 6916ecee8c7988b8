"""Regenerates NAME.expected.jsonl for gradsh's own conformance cases by running each
NAME.torch.py with real PyTorch. Run by hand (needs torch); the tests never do.

A .torch.py calls show(line, target, value) for each displayed result, printed(line, text)
for each print, and fails(line, thunk) for a statement that must raise."""
import glob
import json
import math
import sys

import torch

events = []


def encode(v):
    if isinstance(v, torch.Tensor):
        def data(x):
            if isinstance(x, list):
                return [data(i) for i in x]
            if isinstance(x, float) and (math.isnan(x) or math.isinf(x)):
                return "nan" if math.isnan(x) else ("inf" if x > 0 else "-inf")
            return x
        return {"type": "tensor", "dtype": str(v.dtype).replace("torch.", ""), "shape": list(v.shape),
                "requires_grad": v.requires_grad, "is_leaf": v.is_leaf,
                "grad_fn": type(v.grad_fn).__name__ if v.grad_fn is not None else None,
                "is_inference": v.is_inference(), "version": None if v.is_inference() else v._version,
                "data": data(v.tolist())}
    if v is None:
        return {"type": "none"}
    if isinstance(v, bool):
        return {"type": "bool", "value": v}
    if isinstance(v, int):
        return {"type": "int", "value": v}
    if isinstance(v, float):
        if math.isnan(v) or math.isinf(v):
            return {"type": "float", "value": "nan" if math.isnan(v) else ("inf" if v > 0 else "-inf")}
        return {"type": "float", "value": v}
    if isinstance(v, str):
        return {"type": "str", "value": v}
    if isinstance(v, (tuple, list, torch.Size)):
        return {"type": "list" if isinstance(v, list) else "tuple", "items": [encode(i) for i in v]}
    return {"type": "object", "repr": repr(v)}


def show(line, target, value):
    events.append({"line": line, "target": target, "value": encode(value)})


def printed(line, text):
    events.append({"line": line, "print": text})


def fails(line, thunk, match=None):
    try:
        thunk()
    except Exception as e:  # noqa: BLE001 - every exception type is the point
        event = {"line": line, "error": {"type": type(e).__name__, "message": str(e).split("\n")[0]}}
        if match:
            event["error"]["match"] = match
        events.append(event)
    else:
        raise SystemExit(f"line {line} did not fail")


for path in sorted(glob.glob("*.torch.py") if len(sys.argv) < 2 else sys.argv[1:]):
    events.clear()
    torch.manual_seed(0)
    exec(open(path).read(), {"torch": torch, "show": show, "printed": printed, "fails": fails})
    with open(path.replace(".torch.py", ".expected.jsonl"), "w") as out:
        for e in events:
            out.write(json.dumps(e) + "\n")
