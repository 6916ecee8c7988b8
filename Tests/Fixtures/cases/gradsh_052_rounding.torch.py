# title: rounding: floor, ceil, round (halves to even) and trunc as functions and methods, their zero gradients, integer tensors unchanged, and Python's round refusing a tensor as PyTorch's does
x = torch.tensor([-1.5, -0.5, 0.5, 1.5, 2.5, 2.7, -2.7], requires_grad=True); show(2, "x", x)
printed(3, f"{torch.floor(x)} {torch.ceil(x)} {torch.round(x)} {torch.trunc(x)} {x.round().grad_fn.name()}")
x.round().sum().backward()
show(5, None, x.grad)
show(6, None, torch.tensor([3, -2]).floor())
show(7, None, x.detach().floor_())
fails(8, lambda: round(torch.tensor(2.5)))
