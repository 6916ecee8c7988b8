# title: edge points: gradients at 0 of x**0, x**x and 0.0**x, NaN in max, checked conversions, bool indices
x = torch.tensor([0.0, 1.0, -1.0, 2.0], requires_grad=True); show(1, 'x', x)
(x ** 0).sum().backward()
show(3, None, x.grad.tolist())
x.grad = None
(x ** x).sum().backward()
show(6, None, x.grad.tolist())
x.grad = None
p = 0.0 ** x; show(8, 'p', p)
p.sum().backward()
show(10, None, x.grad.tolist())
x.grad = None
(x ** 0.5).sum().backward()
show(13, None, x.grad.tolist())
n = torch.tensor([1.0, float('nan'), 3.0], requires_grad=True); show(14, 'n', n)
m = n.max(); show(15, 'm', m)
m.backward()
show(17, None, n.grad.tolist())
show(18, None, torch.maximum(torch.tensor([1.0, float('nan'), 3.0]), torch.tensor([float('nan'), 2.0, 1.0])))
show(19, None, torch.minimum(torch.tensor([1.0, float('nan'), 3.0]), torch.tensor([float('nan'), 2.0, 1.0])))
fails(20, lambda: int(torch.tensor(float('nan'))))
fails(21, lambda: torch.full((2,), 1e30, dtype=torch.long))
fails(22, lambda: torch.zeros(2, dtype=torch.long).fill_(float('nan')))
fails(23, lambda: torch.full((2,), 1e300))
show(24, None, torch.ones(3)[True])
show(25, None, torch.ones(3)[False])
show(26, None, torch.ones(2, 3)[True, 1])
t = torch.ones(3); show(27, 't', t)
def set_flag():
    t.requires_grad = 5
fails(28, set_flag)
show(29, None, "ab".replace("", "-"))
show(30, None, torch.tensor([-9223372036854775807 - 1]) // -1)
show(31, None, torch.tensor([-9223372036854775807 - 1]) % -1)
k = 1; show(32, 'k', k)
def f():
    k = k + 1
fails(34, f)
show(35, None, torch.ones(1).expand(2, -1))
fails(36, lambda: torch.ones(1).expand(-1, 2))
show(37, None, range(10**18)[5])
