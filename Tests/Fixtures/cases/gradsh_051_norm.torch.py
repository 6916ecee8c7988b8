# title: norm: the 2-norm by default, p-norms, along a dim with keepdim, LinalgVectorNormBackward0 and its gradients (zero where the norm is zero), and PyTorch's error for integer tensors
torch.manual_seed(0)
x = torch.randn(3, 4, requires_grad=True); show(3, "x", x)
n = x.norm(); show(4, "n", n)
printed(5, f"{n.grad_fn.name()} {torch.norm(x, dim=1)} {str(x.norm(p=1))} {x.norm(3, dim=0, keepdim=True)}")
n.backward()
show(7, None, x.grad)
x.grad = None
x.norm(1, dim=1).sum().backward()
show(10, None, x.grad)
x.grad = None
x.norm(3).backward()
show(13, None, x.grad)
z = torch.zeros(3, requires_grad=True); show(14, "z", z)
z.norm().backward()
show(16, None, z.grad)
fails(17, lambda: torch.arange(3).norm())
