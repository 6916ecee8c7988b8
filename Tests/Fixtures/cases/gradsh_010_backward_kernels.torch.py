F = torch.nn.functional
x = torch.tensor([[1.0, 2.0, 0.5], [0.1, -1.0, 3.0]], requires_grad=True); show(1, "x", x)
t = torch.tensor([2, 0]); show(2, "t", t)
l = F.cross_entropy(x, t, reduction="none"); show(3, "l", l)
# The gradient of the gradient, without displaying the intermediate (its grad_fn is
# PyTorch's LogSoftmaxBackwardDataBackward0).
h = torch.autograd.grad(torch.autograd.grad((l * torch.tensor([1.0, 2.0])).sum(), x, create_graph=True)[0].pow(2).sum(), x)[0]; show(4, "h", h)
show(5, None, h)
torch.softmax(x, 1).backward(torch.tensor([[1.0, 0.0, 2.0], [0.5, 0.5, -1.0]]))
show(7, None, x.grad)
r = torch.tensor([float("nan"), -1.0, 0.0, 2.0], requires_grad=True); show(8, "r", r)
r.relu().sum().backward()
show(10, None, r.grad)
s = torch.tensor([0.5, -2.0, 30.0, -30.0], requires_grad=True); show(11, "s", s)
(s.sigmoid() * s.tanh()).sum().backward()
# s is reached by two paths; PyTorch adds the second gradient in place (_version 1).
show(13, None, s.grad.tolist())
w = torch.zeros(3, requires_grad=True); show(14, "w", w)
w.grad = torch.ones(3)
(w * torch.tensor([1.0, 2.0, 3.0])).sum().backward()
show(17, None, w.grad)
