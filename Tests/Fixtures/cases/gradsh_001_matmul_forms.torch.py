a = torch.tensor([1.0, 2.0, 3.0], requires_grad=True); show(1, "a", a)
b = torch.tensor([4.0, 5.0, 6.0], requires_grad=True); show(2, "b", b)
d = a @ b; show(3, "d", d)
M = torch.tensor([[1.0, 0.0, 2.0], [0.0, 1.0, -1.0]], requires_grad=True); show(4, "M", M)
v = M @ a; show(5, "v", v)
# PyTorch reports _version 1 for a vector @ matrix result (an in-place squeeze_ inside
# its kernel), so the case shows the values and the node name instead.
u = torch.tensor([1.0, -1.0]) @ M
B = torch.arange(12.0).view(2, 2, 3); show(7, "B", B)
c = B @ a; show(8, "c", c)
(d + v.sum() + u.sum() + c.sum()).backward()
show(10, None, a.grad.tolist())
show(11, None, b.grad)
show(12, None, M.grad.tolist())
show(13, None, u.tolist())
show(14, None, u.grad_fn.name())
