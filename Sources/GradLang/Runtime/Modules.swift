/// What `import` finds: the parts of PyTorch that gradsh has built in, under the module
/// names PyTorch code imports them from. Every name is reachable without an import too;
/// importing binds it exactly as Python would, so pasted code runs unchanged.
enum Modules {
    /// Module path to the namespace that holds its members.
    static let known: [String: String] = [
        "torch": "torch",
        "torch.nn": "nn",
        "torch.nn.functional": "F",
        "torch.nn.init": "init",
        "torch.optim": "optim",
        "torch.autograd": "autograd",
        "torch.utils": "utils",
        "torch.utils.data": "data",
        // Python's math module: bound only by `import math`, as in Python.
        "math": "math",
    ]

    /// The value an import binds to `binding.name`.
    static func importValue(_ binding: ImportBinding) throws -> Value {
        guard let namespace = known[binding.module] else {
            let top = String(binding.module.split(separator: ".")[0])
            let missing = known[top] != nil ? binding.module : top
            throw GradError("ModuleNotFoundError", "No module named '\(missing)'",
                            hint: "gradsh has torch (torch.nn, torch.nn.functional, torch.optim, torch.autograd, torch.utils.data) and math; other modules are not available")
        }
        guard let member = binding.member else {
            // `import torch.nn` binds `torch`; `import torch.nn as nn` binds the module itself.
            return .namespace(binding.aliased ? namespace : known[String(binding.module.split(separator: ".")[0])] ?? namespace)
        }
        if let sub = known[binding.module + "." + member] { return .namespace(sub) }
        do {
            return try Builtins.namespaceMember(namespace, member)
        } catch {
            throw GradError("ImportError", "cannot import name '\(member)' from '\(binding.module)'")
        }
    }
}
