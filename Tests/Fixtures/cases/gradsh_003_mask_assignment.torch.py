x = torch.tensor([1.0, -2.0, 3.0, -4.0]); show(1, "x", x)
x[x < 0] = 0.0
show(3, None, x._version)
x[torch.tensor([0, 2])] = torch.tensor([10.0, 30.0])
show(5, None, x)
show(6, None, x._version)
y = torch.tensor([1.0, 2.0, 3.0], requires_grad=True) * 2; show(7, "y", y)
y[torch.tensor([True, False, True])] = 0.0
show(9, None, y.sum())
