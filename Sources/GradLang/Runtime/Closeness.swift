import Foundation
import GradCore

/// `allclose`, `isclose` and `torch.testing.assert_close`: how an exercise (or a test)
/// says two results are the same, with PyTorch's tolerances and its report of where they
/// differ most.
enum Closeness {
    /// Elementwise |a - b| <= atol + rtol * |b| over the broadcast shape, in float64.
    struct Comparison {
        let shape: [Int]
        let close: [Bool]
        let absolute: [Double]
        let relative: [Double]
    }

    static func compare(_ a: Tensor, _ b: Tensor, rtol: Double, atol: Double, equalNaN: Bool) throws -> Comparison {
        let shape = try Shape.broadcast(a.shape, b.shape)
        let x = try a.expand(shape).doubles(), y = try b.expand(shape).doubles()
        var close: [Bool] = [], absolute: [Double] = [], relative: [Double] = []
        close.reserveCapacity(x.count)
        // The differences PyTorch reports are computed in the tensors' own precision.
        let single = a.dtype == .float32 || b.dtype == .float32
        for (p, q) in zip(x, y) {
            let d = single ? Double(Swift.abs(Float(p) - Float(q))) : Swift.abs(p - q)
            absolute.append(p == q ? 0 : d)
            relative.append(p == q ? 0 : single ? Double(Float(d) / Swift.abs(Float(q))) : d / Swift.abs(q))
            if p.isNaN || q.isNaN { close.append(equalNaN && p.isNaN && q.isNaN); continue }
            close.append(p == q || d <= atol + rtol * Swift.abs(q))
        }
        return Comparison(shape: shape, close: close, absolute: absolute, relative: relative)
    }

    /// PyTorch's rule: `allclose` needs one dtype ("Long did not match Float").
    static func checkSameDtype(_ a: Tensor, _ b: Tensor) throws {
        guard a.dtype == b.dtype else { throw GradError.runtime("\(a.dtype.scalarTypeName) did not match \(b.dtype.scalarTypeName)") }
    }

    static func tolerances(_ b: [Value?], from start: Int) throws -> (rtol: Double, atol: Double, equalNaN: Bool) {
        (try b[start].map { try $0.asDouble("rtol") } ?? 1e-5,
         try b[start + 1].map { try $0.asDouble("atol") } ?? 1e-8,
         try b[start + 2].map { try $0.asBool("equal_nan") } ?? false)
    }

    static func allclose(_ a: Tensor, _ bound: [Value?]) throws -> Value {
        let other = try bound[0]!.asTensor("other")
        try checkSameDtype(a, other)
        let (rtol, atol, equalNaN) = try tolerances(bound, from: 1)
        return .bool(try compare(a, other, rtol: rtol, atol: atol, equalNaN: equalNaN).close.allSatisfy { $0 })
    }

    static func isclose(_ a: Tensor, _ bound: [Value?]) throws -> Value {
        let other = try bound[0]!.asTensor("other")
        try checkSameDtype(a, other)
        let (rtol, atol, equalNaN) = try tolerances(bound, from: 1)
        let c = try compare(a, other, rtol: rtol, atol: atol, equalNaN: equalNaN)
        return .tensor(try Tensor(scalars: c.close.map { .bool($0) }, shape: c.shape, dtype: .bool))
    }

    static func register(_ add: (String, @escaping Builtins.Body) -> Void) {
        add("allclose") { args, _ in
            let b = try args.bind(["input", "other", "rtol", "atol", "equal_nan"], required: 2)
            return try allclose(try b[0]!.asTensor("input"), Array(b.dropFirst()))
        }
        add("isclose") { args, _ in
            let b = try args.bind(["input", "other", "rtol", "atol", "equal_nan"], required: 2)
            return try isclose(try b[0]!.asTensor("input"), Array(b.dropFirst()))
        }
        add("testing.assert_close") { args, _ in
            let b = try args.bind(["actual", "expected", "rtol", "atol", "equal_nan", "check_dtype", "msg"], required: 2)
            try assertClose(b[0]!, b[1]!, rtol: try b[2].flatMap { $0.isNone ? nil : try $0.asDouble("rtol") },
                            atol: try b[3].flatMap { $0.isNone ? nil : try $0.asDouble("atol") },
                            equalNaN: try b[4].map { try $0.asBool("equal_nan") } ?? false,
                            checkDtype: try b[5].map { try $0.asBool("check_dtype") } ?? true,
                            message: try b[6].flatMap { $0.isNone ? nil : try $0.asString("msg") })
            return .none
        }
    }

    static func addTensorMethods(to table: inout [String: Methods.TensorMethod]) {
        table["allclose"] = { t, _, args, _ in
            try allclose(t, try args.bind(["other", "rtol", "atol", "equal_nan"], required: 1))
        }
        table["isclose"] = { t, _, args, _ in
            try isclose(t, try args.bind(["other", "rtol", "atol", "equal_nan"], required: 1))
        }
    }

    /// `torch.testing.assert_close`: PyTorch's default tolerances by dtype, and its report.
    static func assertClose(_ actual: Value, _ expected: Value, rtol: Double?, atol: Double?, equalNaN: Bool,
                            checkDtype: Bool, message: String?) throws {
        if (rtol == nil) != (atol == nil) {
            throw GradError.value("Both 'rtol' and 'atol' must be either specified or omitted, but got no \(rtol == nil ? "rtol" : "atol").")
        }
        func fail(_ text: String) -> GradError { GradError("AssertionError", message ?? text) }
        switch (actual, expected) {
        case (.tensor(let a), .tensor(let e)):
            guard a.shape == e.shape else {
                throw fail("The values for attribute 'shape' do not match: \(sizeRepr(a.shape)) != \(sizeRepr(e.shape)).")
            }
            if checkDtype && a.dtype != e.dtype {
                throw fail("The values for attribute 'dtype' do not match: torch.\(a.dtype.name) != torch.\(e.dtype.name).")
            }
            let (r, t) = (rtol ?? defaultRtol(a.dtype), atol ?? defaultAtol(a.dtype))
            let c = try compare(a, e, rtol: r, atol: t, equalNaN: equalNaN)
            let mismatched = c.close.filter { !$0 }.count
            guard mismatched > 0 else { return }
            if a.shape.isEmpty {
                throw fail(scalarReport(try a.item().doubleValue, try e.item().doubleValue, rtol: r, atol: t))
            }
            let percent = String(format: "%.1f", 100 * Double(mismatched) / Double(c.close.count))
            let (absAt, absMax) = greatest(c.absolute), (relAt, relMax) = greatest(c.relative)
            throw fail("""
            Tensor-likes are not close!

            Mismatched elements: \(mismatched) / \(c.close.count) (\(percent)%)
            Greatest absolute difference: \(Repr.pythonFloat(absMax)) at index \(index(absAt, c.shape)) (up to \(Repr.pythonFloat(t)) allowed)
            Greatest relative difference: \(Repr.pythonFloat(relMax)) at index \(index(relAt, c.shape)) (up to \(Repr.pythonFloat(r)) allowed)
            """)
        case (.int, _), (.float, _), (.bool, _):
            let x = try actual.asDouble("actual"), y = try expected.asDouble("expected")
            let (r, t) = (rtol ?? 1e-7, atol ?? 1e-7)
            if x == y || Swift.abs(x - y) <= t + r * Swift.abs(y) || (equalNaN && x.isNaN && y.isNaN) { return }
            throw fail(scalarReport(x, y, rtol: r, atol: t))
        default:
            throw GradError.type("assert_close compares tensors and numbers, not \(actual.typeName) and \(expected.typeName)")
        }
    }

    /// Numbers (and 0-dim tensors) are reported as Python numbers, in double precision.
    private static func scalarReport(_ x: Double, _ y: Double, rtol: Double, atol: Double) -> String {
        """
        Scalars are not close!

        Expected \(Repr.pythonFloat(y)) but got \(Repr.pythonFloat(x)).
        Absolute difference: \(Repr.pythonFloat(Swift.abs(x - y))) (up to \(Repr.pythonFloat(atol)) allowed)
        Relative difference: \(Repr.pythonFloat(Swift.abs(x - y) / Swift.abs(y))) (up to \(Repr.pythonFloat(rtol)) allowed)
        """
    }

    /// The largest value and its flat position; a NaN wins, as PyTorch reports it.
    private static func greatest(_ values: [Double]) -> (Int, Double) {
        if let nan = values.firstIndex(where: { $0.isNaN }) { return (nan, .nan) }
        var at = 0
        for (i, v) in values.enumerated() where v > values[at] { at = i }
        return (at, values.isEmpty ? 0 : values[at])
    }

    /// `(1,)`, `(1, 1)`: a flat position as PyTorch prints an index.
    private static func index(_ flat: Int, _ shape: [Int]) -> String {
        var rest = flat
        var parts: [Int] = []
        for size in shape.reversed() {
            parts.append(size == 0 ? 0 : rest % size)
            rest = size == 0 ? 0 : rest / size
        }
        let items = parts.reversed().map(String.init)
        return items.count == 1 ? "(\(items[0]),)" : "(" + items.joined(separator: ", ") + ")"
    }

    private static func sizeRepr(_ shape: [Int]) -> String {
        "torch.Size([" + shape.map(String.init).joined(separator: ", ") + "])"
    }

    /// PyTorch's defaults: float32 (1.3e-6, 1e-5); integers and bools must be equal.
    private static func defaultRtol(_ d: DType) -> Double { d.isFloatingPoint ? 1.3e-6 : 0 }
    private static func defaultAtol(_ d: DType) -> Double { d.isFloatingPoint ? 1e-5 : 0 }
}
