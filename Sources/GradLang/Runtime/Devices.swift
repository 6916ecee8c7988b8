import GradCore

/// gradsh computes on the CPU only. Tutorials ask which accelerator there is and move
/// tensors and models to a device; on the CPU these are answers and no-ops, as they are in
/// PyTorch on a machine without CUDA, and a move to an accelerator is PyTorch's error.
enum Devices {
    /// `device(type='cpu')`, `device(type='cuda', index=0)`.
    static func device(_ spec: String) throws -> Value {
        let parts = spec.split(separator: ":", maxSplits: 1).map(String.init)
        guard let type = parts.first, ["cpu", "cuda", "mps", "meta", "xpu"].contains(type) else {
            throw GradError.runtime("Expected one of cpu, cuda, mps, meta, xpu device type at start of device string: \(spec)")
        }
        if parts.count == 2 {
            guard let index = Int(parts[1]), index >= 0 else { throw GradError.runtime("Invalid device string: '\(spec)'") }
            return .opaque(typeName: "device", repr: "device(type='\(type)', index=\(index))")
        }
        return .opaque(typeName: "device", repr: "device(type='\(type)')")
    }

    /// `str(device)`: `cpu`, `cuda:0`.
    static func text(ofRepr repr: String) -> String {
        let type = repr.split(separator: "'").dropFirst().first.map(String.init) ?? "cpu"
        guard let index = repr.range(of: "index=") else { return type }
        return type + ":" + repr[index.upperBound...].dropLast()
    }

    /// The device type a `.to(...)` argument names, or nil when it is not a device.
    static func type(of value: Value) -> String? {
        switch value {
        case .str(let s): return String(s.split(separator: ":").first ?? "")
        case .opaque("device", let repr):
            return repr.split(separator: "'").dropFirst().first.map(String.init)
        default: return nil
        }
    }

    /// Checks that `value` is a device gradsh can use (the CPU).
    static func check(_ value: Value) throws {
        guard let type = type(of: value) else { return }
        switch type {
        case "cpu": return
        case "cuda": throw GradError("AssertionError", "Torch not compiled with CUDA enabled")
        default: throw GradError.runtime("gradsh computes on the CPU only; '\(type)' is not available here")
        }
    }

    static func register(_ add: (String, @escaping Builtins.Body) -> Void) {
        add("device") { args, _ in
            let b = try args.bind(["type", "index"], required: 1)
            if case .opaque("device", _) = b[0]! { return b[0]! }
            let spec = try b[0]!.asString("device")
            if let index = b[1] { return try device(spec + ":" + String(try index.asInt("index"))) }
            return try device(spec)
        }
        add("cuda.is_available") { args, _ in try args.expectCount(0); return .bool(false) }
        add("cuda.device_count") { args, _ in try args.expectCount(0); return .int(0) }
        add("mps.is_available") { args, _ in try args.expectCount(0); return .bool(false) }
        add("accelerator.is_available") { args, _ in try args.expectCount(0); return .bool(false) }
        add("set_default_device") { args, _ in
            try args.expectCount(1)
            try check(args.positional[0])
            return .none
        }
        add("equal") { args, _ in
            try args.expectCount(2)
            return .bool(try equal(try args.positional[0].asTensor("input"), try args.positional[1].asTensor("other")))
        }
    }

    /// `torch.equal`: same shape and the same values (NaN equals nothing).
    static func equal(_ a: Tensor, _ b: Tensor) throws -> Bool {
        guard a.shape == b.shape else { return false }
        return try a.eq(b).scalars().allSatisfy { $0.boolValue }
    }

    /// `x.to(...)`, `x.cpu()`, `x.equal(y)` on tensors: devices are checked, a dtype converts.
    static func addTensorMethods(to table: inout [String: Methods.TensorMethod]) {
        let convert = table["to"]
        table["to"] = { t, name, args, interp in
            var rest = args
            var dtypeArgs: [Value] = []
            for v in args.positional {
                if Devices.type(of: v) != nil { try check(v) } else { dtypeArgs.append(v) }
            }
            if let d = rest.takeKeyword("device") { try check(d) }
            _ = rest.takeKeyword("non_blocking")
            _ = rest.takeKeyword("copy")
            if let dtype = rest.takeKeyword("dtype") { dtypeArgs.append(dtype) }
            try rest.rejectKeywords()
            guard !dtypeArgs.isEmpty, let convert else { return .tensor(t) }
            return try convert(t, name, CallArguments(dtypeArgs, function: "to"), interp)
        }
        table["cpu"] = { t, _, args, _ in
            try args.expectCount(0)
            return .tensor(t)
        }
        table["equal"] = { t, _, args, _ in
            try args.expectCount(1)
            return .bool(try equal(t, try args.positional[0].asTensor("other")))
        }
    }
}
