import XCTest
@testable import GradCore

/// The memory layouts every differentiable op must handle: each turns a leaf into the
/// op's input through views, so the check also covers the views' backward rules.
enum Layout: CaseIterable {
    case contiguous, transposed, offsetSlice, expanded

    /// The leaf's shape for an input of `shape` in this layout.
    func leafShape(for shape: [Int]) -> [Int] {
        switch self {
        case .contiguous: return shape
        case .transposed: return shape.count >= 2 ? shape.reversed() : shape
        case .offsetSlice: return shape.isEmpty ? shape : [shape[0] + 2] + shape.dropFirst()
        case .expanded: return shape.isEmpty ? shape : [1] + shape.dropFirst()
        }
    }

    func view(_ leaf: Tensor, as shape: [Int]) throws -> Tensor {
        switch self {
        case .contiguous: return leaf
        case .transposed: return shape.count >= 2 ? try leaf.permute(Array((0..<shape.count).reversed())) : leaf
        case .offsetSlice: return shape.isEmpty ? leaf : try leaf.slice(dim: 0, start: 1, end: shape[0] + 1)
        case .expanded: return shape.isEmpty ? leaf : try leaf.expand(shape)
        }
    }
}

/// Compares backward's gradients with central differences computed in Double.
func gradcheck(_ label: String, _ shapes: [[Int]], layouts: [Layout] = Layout.allCases,
               values: (Int) -> Double = { _ in Double.random(in: 0.2...1.5) * (Bool.random() ? 1 : -1) },
               tolerance: Double = 2e-2,
               file: StaticString = #filePath, line: UInt = #line,
               _ f: ([Tensor]) throws -> Tensor) {
    for layout in layouts {
        do {
            var counter = 0
            let leaves: [Tensor] = try shapes.map { shape in
                let ls = layout.leafShape(for: shape)
                let n = ls.reduce(1, *)
                let vals = (0..<n).map { _ -> Scalar in counter += 1; return .float(values(counter)) }
                return try Tensor(scalars: vals, shape: ls, dtype: .float32, requiresGrad: true)
            }
            func evaluate() throws -> Tensor {
                try f(zip(leaves, shapes).map { try layout.view($0, as: $1) })
            }
            let out = try evaluate()
            let weights = try Tensor(scalars: (0..<out.numel).map { .float(Double($0 % 5) * 0.25 + 0.5) }, shape: out.shape)
            func loss() throws -> Double {
                let o = try GradModeState.withGradMode(.noGrad) { try evaluate() }
                return zip(try o.doubles(), try weights.doubles()).reduce(0) { $0 + $1.0 * $1.1 }
            }
            try out.mul(weights).sum().backward()
            for (k, leaf) in leaves.enumerated() {
                let analytic = try leaf.grad?.doubles() ?? [Double](repeating: 0, count: leaf.numel)
                let p = leaf.storage.pointer(Float.self)
                for i in 0..<leaf.numel {
                    let original = p[i]
                    let eps: Float = 1e-2
                    p[i] = original + eps
                    let plus = try loss()
                    p[i] = original - eps
                    let minus = try loss()
                    p[i] = original
                    let numeric = (plus - minus) / (2 * Double(eps))
                    let err = Swift.abs(numeric - analytic[i])
                    if err > tolerance * Swift.max(1, Swift.abs(numeric)) {
                        XCTFail("\(label) [\(layout)] input \(k) element \(i): analytic \(analytic[i]), numeric \(numeric)", file: file, line: line)
                        return
                    }
                }
            }
        } catch {
            XCTFail("\(label) [\(layout)] threw \(error)", file: file, line: line)
        }
    }
}

final class GradientCheckTests: XCTestCase {
    func testArithmetic() {
        gradcheck("add", [[2, 3], [2, 3]]) { try $0[0].add($0[1]) }
        gradcheck("add broadcast", [[2, 3], [3]]) { try $0[0].add($0[1]) }
        gradcheck("sub", [[2, 3], [2, 1]]) { try $0[0].sub($0[1]) }
        gradcheck("rsub", [[2, 3]]) { try $0[0].rsub(.float(1)) }
        gradcheck("mul", [[2, 3], [2, 3]]) { try $0[0].mul($0[1]) }
        gradcheck("mul scalar", [[3, 2]]) { try $0[0].mul(Tensor.wrapping(.float(3))) }
        gradcheck("div", [[2, 3], [2, 3]]) { try $0[0].div($0[1]) }
        gradcheck("pow scalar", [[2, 3]]) { try $0[0].pow(Tensor.wrapping(.int(3))) }
        gradcheck("pow tensor", [[2, 3], [2, 3]], values: { _ in Double.random(in: 0.5...1.5) }) { try $0[0].pow($0[1]) }
        gradcheck("neg", [[2, 3]]) { try $0[0].neg() }
        let spread: (Int) -> Double = { Double($0) * 0.173 - 2 }
        gradcheck("maximum", [[2, 3], [2, 3]], values: spread) { try $0[0].maximum($0[1]) }
        gradcheck("minimum", [[2, 3], [3]], values: spread) { try $0[0].minimum($0[1]) }
        gradcheck("where", [[2, 3], [2, 3]]) { try Tensor.where($0[0].gt(Tensor.wrapping(.float(0))), $0[0], $0[1]) }
        gradcheck("clamp", [[3, 2]], values: spread) { try $0[0].clamp(min: .float(-0.95), max: .float(0.9)) }
    }

    func testUnary() {
        let positive: (Int) -> Double = { _ in Double.random(in: 0.3...2) }
        gradcheck("exp", [[2, 3]]) { try $0[0].exp() }
        gradcheck("log", [[2, 3]], values: positive) { try $0[0].log() }
        gradcheck("sqrt", [[2, 3]], values: positive) { try $0[0].sqrt() }
        gradcheck("abs", [[2, 3]]) { try $0[0].abs() }
        gradcheck("sin", [[2, 3]]) { try $0[0].sin() }
        gradcheck("cos", [[2, 3]]) { try $0[0].cos() }
        gradcheck("tanh", [[2, 3]]) { try $0[0].tanh() }
        gradcheck("sigmoid", [[2, 3]]) { try $0[0].sigmoid() }
        gradcheck("relu", [[2, 3]]) { try $0[0].relu() }
        gradcheck("clone", [[2, 3]]) { try $0[0].clone() }
    }

    func testReductions() {
        gradcheck("sum", [[2, 3]]) { try $0[0].sum() }
        gradcheck("sum dim", [[2, 3]]) { try $0[0].sum(dims: [1]) }
        gradcheck("sum dim keepdim", [[2, 3, 2]]) { try $0[0].sum(dims: [0, 2], keepdim: true) }
        gradcheck("mean", [[2, 3]]) { try $0[0].mean() }
        gradcheck("mean dim", [[2, 3]]) { try $0[0].mean(dims: [0]) }
        gradcheck("prod", [[2, 3]]) { try $0[0].prod() }
        gradcheck("prod dim", [[2, 3]]) { try $0[0].prod(dim: 1) }
        var i = 0
        let distinct: (Int) -> Double = { _ in i += 1; return Double(i) * 0.37 - 1.1 }
        gradcheck("max", [[2, 3]], layouts: [.contiguous, .transposed, .offsetSlice], values: distinct) { try $0[0].max() }
        gradcheck("min", [[2, 3]], layouts: [.contiguous, .transposed, .offsetSlice], values: distinct) { try $0[0].min() }
        gradcheck("max dim", [[2, 3]], layouts: [.contiguous, .transposed, .offsetSlice], values: distinct) { try $0[0].max(dim: 1).values }
        gradcheck("min dim keepdim", [[2, 3]], layouts: [.contiguous, .transposed, .offsetSlice], values: distinct) { try $0[0].min(dim: 0, keepdim: true).values }
    }

    func testLinearAlgebra() {
        gradcheck("mm", [[2, 3], [3, 4]]) { try $0[0].mm($0[1]) }
        gradcheck("matmul 1d", [[3], [3]]) { try $0[0].matmul($0[1]) }
        gradcheck("matmul mv", [[2, 3], [3]]) { try $0[0].matmul($0[1]) }
        gradcheck("matmul vm", [[3], [3, 2]]) { try $0[0].matmul($0[1]) }
        gradcheck("matmul batched", [[2, 2, 3], [3, 2]]) { try $0[0].matmul($0[1]) }
        gradcheck("addmm", [[4], [2, 3], [3, 4]]) { try Tensor.addmm($0[0], $0[1], $0[2]) }
        gradcheck("linear", [[2, 3], [4, 3], [4]]) { try Tensor.linear($0[0], weight: $0[1], bias: $0[2]) }
    }

    func testShapeOps() {
        gradcheck("view", [[2, 3]], layouts: [.contiguous, .offsetSlice]) { try $0[0].view([3, 2]) }
        gradcheck("reshape", [[2, 3]]) { try $0[0].reshape([6]) }
        gradcheck("t", [[2, 3]]) { try $0[0].t() }
        gradcheck("transpose", [[2, 3, 2]]) { try $0[0].transpose(0, 2) }
        gradcheck("permute", [[2, 3, 2]]) { try $0[0].permute([1, 2, 0]) }
        gradcheck("unsqueeze", [[2, 3]]) { try $0[0].unsqueeze(1) }
        gradcheck("squeeze", [[2, 1, 3]]) { try $0[0].squeeze() }
        gradcheck("squeeze dim", [[2, 1, 3]]) { try $0[0].squeeze(dim: 1) }
        gradcheck("flatten", [[2, 3]]) { try $0[0].flatten() }
        gradcheck("expand", [[2, 1]]) { try $0[0].expand([2, 4]) }
        gradcheck("select", [[3, 2]]) { try $0[0].select(dim: 0, index: -1) }
        gradcheck("slice", [[4, 3]]) { try $0[0].slice(dim: 1, start: 0, end: nil, step: 2) }
        gradcheck("cat", [[2, 3], [1, 3]]) { try Tensor.cat([$0[0], $0[1]]) }
        gradcheck("cat dim 1", [[2, 3], [2, 2]]) { try Tensor.cat([$0[0], $0[1]], dim: 1) }
        gradcheck("stack", [[2, 3], [2, 3]]) { try Tensor.stack([$0[0], $0[1]], dim: 1) }
        gradcheck("contiguous", [[2, 3]]) { try $0[0].contiguous() }
    }

    func testIndexing() throws {
        let mask = try Tensor(scalars: [true, false, true, true, false, true].map(Scalar.bool), shape: [2, 3])
        gradcheck("mask index", [[2, 3]]) { try $0[0].index([.tensor(mask)]) }
        let idx = try Tensor(int64s: [2, 0, 2], shape: [3])
        gradcheck("int tensor index", [[3, 2]]) { try $0[0].index([.tensor(idx)]) }
        let rows = try Tensor(int64s: [0, 1, 2], shape: [3]), cols = try Tensor(int64s: [1, 0, 1], shape: [3])
        gradcheck("pair index", [[3, 2]]) { try $0[0].index([.tensor(rows), .tensor(cols)]) }
        gradcheck("mixed index", [[3, 4]]) { try $0[0].index([.slice(start: 1, end: nil, step: nil), .newAxis, .tensor(idx)]) }
        gradcheck("ellipsis index", [[2, 3]]) { try $0[0].index([.ellipsis, .int(1)]) }
    }

    func testNeuralNetFunctions() throws {
        gradcheck("softmax", [[2, 3]]) { try $0[0].softmax(dim: 1) }
        gradcheck("softmax dim 0", [[2, 3]]) { try $0[0].softmax(dim: 0) }
        gradcheck("log_softmax", [[2, 3]]) { try $0[0].logSoftmax(dim: 1) }
        gradcheck("mse_loss", [[2, 3], [2, 3]]) { try Tensor.mseLoss($0[0], $0[1]) }
        gradcheck("mse_loss sum", [[2, 3], [2, 3]]) { try Tensor.mseLoss($0[0], $0[1], reduction: "sum") }
        let labels = try Tensor(int64s: [2, 0], shape: [2])
        gradcheck("nll_loss", [[2, 3]]) { try Tensor.nllLoss($0[0], labels) }
        gradcheck("cross_entropy", [[2, 3]]) { try Tensor.crossEntropy($0[0], labels) }
        gradcheck("cross_entropy none", [[2, 3]]) { try Tensor.crossEntropy($0[0], labels, reduction: "none") }
    }

    func testInPlaceOnNonLeaves() {
        gradcheck("mul_ on non-leaf", [[2, 3], [2, 3]]) { let y = try $0[0].mul(Tensor.wrapping(.float(1))); return try y.mulInPlace($0[1]) }
        gradcheck("add_ on non-leaf", [[2, 3], [3]]) { let y = try $0[0].mul(Tensor.wrapping(.float(2))); return try y.addInPlace($0[1]) }
        gradcheck("relu_ on non-leaf", [[2, 3]]) { let y = try $0[0].mul($0[0]); return try y.reluInPlace() }
        gradcheck("copy_ through a view", [[2, 3], [3]]) { x in
            let y = try x[0].mul(Tensor.wrapping(.float(2)))
            _ = try y.select(dim: 0, index: 1).copyInPlace(x[1])
            return y
        }
        gradcheck("mul_ through a slice", [[3, 2]]) { x in
            let y = try x[0].mul(x[0])
            _ = try y.slice(dim: 0, start: 1, end: nil).mulInPlace(Tensor.wrapping(.float(3)))
            return y
        }
        gradcheck("index_put_", [[3, 2], [2]]) { x in
            let y = try x[0].mul(Tensor.wrapping(.float(1)))
            try y.indexAssign([.tensor(Tensor(int64s: [0, 2], shape: [2]))], x[1].unsqueeze(1))
            return y
        }
    }

    func testSecondDerivatives() throws {
        let x = try Tensor(scalars: [.float(0.5), .float(-1.2), .float(2)], shape: [3], requiresGrad: true)
        let y = try x.pow(Tensor.wrapping(.int(3))).sum()
        let (g) = try AutogradEngine.grad(outputs: [y], inputs: [x], createGraph: true)
        XCTAssertEqual(try g[0]!.doubles(), try x.doubles().map { 3 * $0 * $0 }, accuracy: 1e-4)
        XCTAssertNotNil(try g[0]!.gradFn)
        let h = try AutogradEngine.grad(outputs: [g[0]!.sum()], inputs: [x])
        XCTAssertEqual(try h[0]!.doubles(), try x.doubles().map { 6 * $0 }, accuracy: 1e-4)

        let z = try Tensor(scalars: [.float(0.3), .float(0.7)], shape: [2], requiresGrad: true)
        for (name, f, second) in [
            ("exp", { (t: Tensor) in try t.exp() }, { (v: Double) in Foundation.exp(v) }),
            ("tanh", { (t: Tensor) in try t.tanh() }, { (v: Double) in -2 * Foundation.tanh(v) * (1 - Foundation.tanh(v) * Foundation.tanh(v)) }),
            ("sin", { (t: Tensor) in try t.sin() }, { (v: Double) in -Foundation.sin(v) }),
        ] {
            let g1 = try AutogradEngine.grad(outputs: [f(z).sum()], inputs: [z], createGraph: true)[0]!
            let g2 = try AutogradEngine.grad(outputs: [g1.sum()], inputs: [z])[0]!
            XCTAssertEqual(try g2.doubles(), try z.doubles().map(second), accuracy: 1e-4, name)
        }
    }
}

func XCTAssertEqual(_ a: [Double], _ b: [Double], accuracy: Double, _ message: String = "",
                    file: StaticString = #filePath, line: UInt = #line) {
    XCTAssertEqual(a.count, b.count, message, file: file, line: line)
    for (x, y) in zip(a, b) where Swift.abs(x - y) > accuracy * Swift.max(1, Swift.abs(y)) {
        XCTFail("\(message): \(a) != \(b)", file: file, line: line)
        return
    }
}
