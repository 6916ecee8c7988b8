# title: create_graph=True differentiates through CopySlices and AsStridedBackward0
x = torch.tensor([1.0, 2.0, 3.0], requires_grad=True); show(1, 'x', x)
y = x * 1; show(2, 'y', y)
v = y[0:2]; show(3, 'v', v)
show(4, None, v.mul_(x[0:2]))
z = (y * y).sum() + (v * v * v).sum(); show(5, 'z', z)
g = torch.autograd.grad(z, x, create_graph=True)[0]; show(6, 'g', g)
g.sum().backward()
show(8, None, x.grad.tolist())
a = torch.tensor([0.5, -1.0, 2.0], requires_grad=True); show(9, 'a', a)
b = a.clone(); show(10, 'b', b)
b[1] = a[2] * a[0]
h = torch.autograd.grad((b ** 3).sum(), a, create_graph=True)[0]; show(12, 'h', h)
show(13, None, torch.autograd.grad(h.sum(), a)[0].tolist())
