# title: classes: an nn.Module subclass (registration order, named_parameters, forward, eval), a torch.autograd.Function subclass (its node, saved tensors), a plain class
nn = torch.nn
class Affine(nn.Module):
    def __init__(self, n):
        super().__init__()
        self.w = nn.Parameter(torch.ones(n) * 2)
        self.b = nn.Parameter(torch.zeros(n))
        self.inner = nn.Linear(n, 1)
        self.note = "affine"
    def forward(self, x):
        return x * self.w + self.b
m = Affine(3); show(10, "m", m)
printed(11, str([n for n, p in m.named_parameters()]))
y = m(torch.tensor([1.0, 2.0, 3.0])); show(12, "y", y)
y.sum().backward()
printed(14, f"{m.w.grad} {m.b.grad} {m.note} {m.training} {m.w.is_leaf}")
show(15, None, m.eval())
class Cube(torch.autograd.Function):
    @staticmethod
    def forward(ctx, x):
        ctx.save_for_backward(x)
        return x ** 3
    @staticmethod
    def backward(ctx, g):
        x, = ctx.saved_tensors
        return g * 3 * x ** 2
x = torch.tensor([1.0, 2.0], requires_grad=True); show(25, "x", x)
z = Cube.apply(x); show(26, "z", z)
z.sum().backward()
printed(28, str(x.grad))
class Point:
    scale = 10
    def __init__(self, a):
        self.a = a
    def norm2(self):
        return self.a * self.a * Point.scale
printed(35, f"{Point(3).norm2()} {isinstance(m, nn.Module)} {isinstance(Point(1), Point)}")
with torch.no_grad():
    show(37, None, x.mul_(2))
z2 = Cube.apply(x); show(38, "z2", z2)
show(39, None, x.data.add_(1))
def assign():
    m.w = torch.ones(3)
fails(40, assign, match="cannot assign")
