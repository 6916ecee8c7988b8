# title: a view's requires_grad follows its base; in-place through it is then a view-of-leaf error
a = torch.ones(2, 3); show(1, 'a', a)
b = a[:]; show(2, 'b', b)
a.requires_grad = True
show(4, None, b.requires_grad)
show(5, None, b.is_leaf)
show(6, None, b._is_view())
show(7, None, b._base is a)
fails(8, lambda: b.add_(5))
show(9, None, b)
c = b * 2; show(10, 'c', c)
show(11, None, c.requires_grad)
