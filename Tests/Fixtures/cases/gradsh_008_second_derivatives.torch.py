x = torch.tensor([0.5, -1.0], requires_grad=True); show(1, "x", x)
y = (x.tanh() * x.sigmoid()).sum(); show(2, "y", y)
g = torch.autograd.grad(y, x, create_graph=True); show(3, "g", g)
show(4, None, g[0].requires_grad)
# The second gradient reaches x through several paths; PyTorch accumulates it in place
# (_version 1), so the case shows its values.
h = torch.autograd.grad(g[0].sum(), x)[0].tolist(); show(5, "h", h)
show(6, None, h)
w = torch.tensor([2.0], requires_grad=True); show(7, "w", w)
(l,) = torch.autograd.grad((w ** 3).sum(), w, create_graph=True); show(8, "l", l)
l.backward()
show(10, None, w.grad)
