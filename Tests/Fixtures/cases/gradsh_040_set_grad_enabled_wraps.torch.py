# title: set_grad_enabled(b)(f) wraps f in the mode and puts back the mode the call changed
x = torch.ones(2, requires_grad=True); show(1, 'x', x)
f = lambda t: t * 2
g = torch.set_grad_enabled(False)(f); show(3, 'g', g)
show(4, None, torch.is_grad_enabled())
show(5, None, g(x).requires_grad)
show(6, None, torch.is_grad_enabled())
with torch.no_grad():
    h = torch.set_grad_enabled(True)(f); show(7, 'h', h); e = torch.is_grad_enabled(); show(7, 'e', e); r = h(x).requires_grad; show(7, 'r', r)
show(8, None, torch.is_grad_enabled())
