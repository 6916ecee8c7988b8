import Foundation

/// Python's `math` module, the part tutorials use: constants, the elementary functions
/// on Python numbers (a one-element tensor counts as its number, as `float(t)` does),
/// and the tests `isnan`, `isinf`, `isfinite`, `isclose`.
enum MathModule {
    static let constants: [String: Double] = [
        "pi": Double.pi, "e": M_E, "tau": 2 * Double.pi, "inf": Double.infinity, "nan": Double.nan,
    ]

    /// `math.NAME`: a constant or a function; anything else is Python's AttributeError.
    static func member(_ name: String) throws -> Value {
        if let c = constants[name] { return .float(c) }
        if let f = functions[name] { return .builtin(f) }
        throw GradError("AttributeError", "module 'math' has no attribute '\(name)'")
    }

    static var names: [String] { (Array(constants.keys) + Array(functions.keys)).sorted() }

    static let functions: [String: Builtin] = {
        var t: [String: Builtin] = [:]
        func add(_ name: String, _ body: @escaping Builtins.Body) { t[name] = Builtin(name: name, call: body) }
        /// A function of one real number, with Python's "math domain error" outside its domain.
        func real(_ name: String, domain: @escaping @Sendable (Double) -> Bool = { _ in true }, _ f: @escaping @Sendable (Double) -> Double) {
            add(name) { args, _ in
                try args.expectCount(1)
                let x = try args.positional[0].asDouble("math.\(name)() argument")
                guard x.isNaN || domain(x) else { throw GradError.value("math domain error") }
                let y = f(x)
                if y.isInfinite && x.isFinite { throw GradError("OverflowError", "math range error") }
                return .float(y)
            }
        }
        real("sqrt", domain: { $0 >= 0 }, Foundation.sqrt)
        real("exp", Foundation.exp)
        real("log2", domain: { $0 > 0 }, Foundation.log2)
        real("log10", domain: { $0 > 0 }, Foundation.log10)
        real("sin", domain: { $0.isFinite }, Foundation.sin)
        real("cos", domain: { $0.isFinite }, Foundation.cos)
        real("tan", domain: { $0.isFinite }, Foundation.tan)
        real("asin", domain: { Swift.abs($0) <= 1 }, Foundation.asin)
        real("acos", domain: { Swift.abs($0) <= 1 }, Foundation.acos)
        real("atan", Foundation.atan)
        real("sinh", Foundation.sinh)
        real("cosh", Foundation.cosh)
        real("tanh", Foundation.tanh)
        real("fabs", Swift.abs)
        real("degrees") { $0 * 180 / Double.pi }
        real("radians") { $0 * Double.pi / 180 }
        add("log") { args, _ in
            let b = try args.bind(["x", "base"], required: 1)
            let x = try b[0]!.asDouble("math.log() argument")
            guard x > 0 || x.isNaN else { throw GradError.value("math domain error") }
            guard let baseValue = b[1] else { return .float(Foundation.log(x)) }
            let base = try baseValue.asDouble("math.log() base")
            guard base > 0, base != 1 else { throw GradError.value(base == 1 ? "float division by zero" : "math domain error") }
            return .float(Foundation.log(x) / Foundation.log(base))
        }
        add("pow") { args, _ in
            try args.expectCount(2)
            let x = try args.positional[0].asDouble("math.pow() argument"), y = try args.positional[1].asDouble("math.pow() argument")
            if x == 0 && y < 0 { throw GradError.value("math domain error") }
            if x < 0 && y != y.rounded() { throw GradError.value("math domain error") }
            return .float(Foundation.pow(x, y))
        }
        add("atan2") { args, _ in
            try args.expectCount(2)
            return .float(Foundation.atan2(try args.positional[0].asDouble("math.atan2() argument"), try args.positional[1].asDouble("math.atan2() argument")))
        }
        add("hypot") { args, _ in
            try args.rejectKeywords()
            return .float(Foundation.sqrt(try args.positional.reduce(0) { s, v in let x = try v.asDouble("math.hypot() argument"); return s + x * x }))
        }
        /// floor, ceil and trunc give ints, as in Python 3.
        func integral(_ name: String, _ rule: FloatingPointRoundingRule) {
            add(name) { args, _ in
                try args.expectCount(1)
                if case .int(let i) = args.positional[0] { return .int(i) }
                let x = try args.positional[0].asDouble("math.\(name)() argument")
                if x.isNaN { throw GradError.value("cannot convert float NaN to integer") }
                if x.isInfinite { throw GradError("OverflowError", "cannot convert float infinity to integer") }
                let r = x.rounded(rule)
                guard r > -9.3e18, r < 9.2e18 else { throw GradError("OverflowError", "the result is too large for gradsh's 64-bit integers") }
                return .int(Int64(r))
            }
        }
        integral("floor", .down)
        integral("ceil", .up)
        integral("trunc", .towardZero)
        add("isnan") { args, _ in
            try args.expectCount(1)
            return .bool(try args.positional[0].asDouble("math.isnan() argument").isNaN)
        }
        add("isinf") { args, _ in
            try args.expectCount(1)
            return .bool(try args.positional[0].asDouble("math.isinf() argument").isInfinite)
        }
        add("isfinite") { args, _ in
            try args.expectCount(1)
            return .bool(try args.positional[0].asDouble("math.isfinite() argument").isFinite)
        }
        add("isclose") { args, _ in
            let b = try args.bind(["a", "b", "rel_tol", "abs_tol"], required: 2)
            let x = try b[0]!.asDouble("math.isclose() argument"), y = try b[1]!.asDouble("math.isclose() argument")
            let rel = try b[2]?.asDouble("rel_tol") ?? 1e-9, abs = try b[3]?.asDouble("abs_tol") ?? 0
            guard rel >= 0, abs >= 0 else { throw GradError.value("tolerances must be non-negative") }
            if x == y { return .bool(true) }
            if x.isInfinite || y.isInfinite { return .bool(false) }
            let d = Swift.abs(x - y)
            return .bool(d <= Swift.max(rel * Swift.max(Swift.abs(x), Swift.abs(y)), abs))
        }
        return t
    }()
}
