import XCTest
import Foundation
@testable import GradCore

/// The fast loops (row sums, row maxima, softmax over contiguous rows, broadcast inner
/// loops) against plain reference arithmetic in Double, over shapes and layouts that send
/// each operation down every path: contiguous, last-dim, middle-dim, transposed, sliced,
/// broadcast along rows and along columns, rows of length 1 to 37, and NaN.
final class KernelPathTests: XCTestCase {
    private var state: UInt64 = 0x9E37_79B9_7F4A_7C15
    private func random() -> Float {
        state = state &* 6_364_136_223_846_793_005 &+ 1_442_695_040_888_963_407
        return Float(Int64(bitPattern: state >> 11) % 2000) / 500 - 2
    }
    private func randomTensor(_ shape: [Int]) throws -> Tensor {
        try Tensor(floats: (0..<shape.reduce(1, *)).map { _ in random() }, shape: shape)
    }
    private func assertClose(_ a: [Double], _ b: [Double], _ what: String, file: StaticString = #filePath, line: UInt = #line) {
        XCTAssertEqual(a.count, b.count, what, file: file, line: line)
        for (x, y) in zip(a, b) where !(x.isNaN && y.isNaN) {
            XCTAssertEqual(x, y, accuracy: 1e-5 * Swift.max(1, Swift.abs(y)), what, file: file, line: line)
        }
    }

    /// Reference: the elements of `t` at each multi-index, computed from shape alone.
    private func indices(_ shape: [Int]) -> [[Int]] {
        var out: [[Int]] = [[]]
        for n in shape { out = out.flatMap { prefix in (0..<n).map { prefix + [$0] } } }
        return out
    }

    func testSumsAlongEveryDimMatchReference() throws {
        for shape in [[1], [7], [37], [3, 9], [9, 3], [2, 5, 17], [4, 1, 6], [0, 3], [3, 0], [2, 0, 3]] {
            let t = try randomTensor(shape)
            let values = try t.doubles()
            XCTAssertEqual(Double(try t.sum().doubles()[0]), values.reduce(0, +), accuracy: 1e-4, "\(shape)")
            for d in 0..<shape.count {
                var expected = [Double](repeating: 0, count: shape.reduce(1, *) / Swift.max(shape[d], 1))
                var reduced = shape
                reduced.remove(at: d)
                let strides = Shape.contiguousStrides(reduced)
                for (flat, index) in indices(shape).enumerated() {
                    var r = index
                    r.remove(at: d)
                    expected[zip(r, strides).map(*).reduce(0, +)] += values[flat]
                }
                if shape.reduce(1, *) == 0 { expected = [Double](repeating: 0, count: reduced.reduce(1, *)) }
                assertClose(try t.sum(dims: [d]).doubles(), expected, "sum \(shape) dim \(d)")
                assertClose(try t.t_ifMatrix().sum(dims: [0]).doubles(), try t.t_ifMatrix().contiguous().sum(dims: [0]).doubles(), "layout \(shape)")
            }
        }
    }

    /// Summing over broadcast dims (stride 0), as the gradient of a broadcast operand does,
    /// gives exactly what summing a materialised copy gives, in every dtype.
    func testSumsOverBroadcastDimsMatchMaterialisedCopies() throws {
        let sources: [Tensor] = [try randomTensor([1, 5]), try Tensor(int64s: [3, -7, 11, 0, 2], shape: [1, 5]),
                                 try Tensor(floats: [1, 0, 1, 1, 0], shape: [1, 5]).gt(Tensor(floats: [0.5], shape: []))]
        for source in sources {
            let expanded = try source.expand([7, 5])
            let copy = try expanded.contiguous()
            for dims in [[0], [0, 1]] {
                XCTAssertEqual(try expanded.sum(dims: dims).doubles(), try copy.sum(dims: dims).doubles(), "\(source.dtype) \(dims)")
            }
            XCTAssertEqual(try expanded.sum().doubles(), try copy.sum().doubles(), "\(source.dtype)")
            let scalar = try source.reshape([5]).slice(dim: 0, start: 1, end: 2).reshape([]).expand([4, 6])
            XCTAssertEqual(try scalar.sum().doubles(), try scalar.contiguous().sum().doubles(), "\(source.dtype) from one element")
        }
    }

    /// Integer and boolean sums and products along the last dimension, whose rows are folded
    /// in four partials: lengths that are and are not multiples of four.
    func testIntegerAndBooleanRowFolds() throws {
        for n in [1, 3, 4, 5, 8, 13] {
            let values = (0..<(3 * n)).map { Int64(($0 * 7919) % 23) - 11 }
            let t = try Tensor(int64s: values, shape: [3, n])
            let rows = (0..<3).map { Array(values[($0 * n)..<(($0 + 1) * n)]) }
            XCTAssertEqual(try t.sum(dims: [1]).doubles(), rows.map { Double($0.reduce(0, +)) }, "int sum n=\(n)")
            XCTAssertEqual(try t.prod(dim: 1).doubles(), rows.map { Double($0.reduce(1, *)) }, "int prod n=\(n)")
            XCTAssertEqual(try t.sum().doubles(), [Double(values.reduce(0, +))])
            let positive = try t.gt(Tensor(int64s: [0], shape: []))
            XCTAssertEqual(try positive.sum(dims: [1]).doubles(), rows.map { Double($0.filter { $0 > 0 }.count) }, "bool sum n=\(n)")
            let floats = try t.converted(to: .float32).mul(Tensor(floats: [0.25], shape: []))
            assertClose(try floats.prod(dim: 1).doubles(), rows.map { $0.map { Double($0) * 0.25 }.reduce(1, *) }, "float prod n=\(n)")
        }
    }

    /// Tensors with no elements reduce to zeros (sum) or ones (prod) of the right shape, in
    /// every dtype, and normalise to empty results.
    func testEmptyTensorsReduce() throws {
        for dtype in [DType.float32, .int64, .bool] {
            let t = try Tensor.zeros([3, 0], dtype: dtype)
            XCTAssertEqual(try t.sum().doubles(), [0], "\(dtype)")
            XCTAssertEqual(try t.sum(dims: [1]).doubles(), [0, 0, 0], "\(dtype)")
            XCTAssertEqual(try t.sum(dims: [0]).shape, [0], "\(dtype)")
            XCTAssertEqual(try Tensor.zeros([2, 0, 3], dtype: dtype).sum(dims: [1]).doubles(), [Double](repeating: 0, count: 6))
            if dtype != .bool { XCTAssertEqual(try t.prod(dim: 1).doubles(), [1, 1, 1], "\(dtype)") }
        }
        XCTAssertEqual(try Tensor.zeros([3, 0]).softmax(dim: 1).shape, [3, 0])
        XCTAssertEqual(try Tensor.zeros([0, 4]).logSoftmax(dim: 1).shape, [0, 4])
        XCTAssertTrue(try Tensor.zeros([3, 0]).mean().doubles()[0].isNaN)
    }

    /// max/min along rows give the first extreme (or the first NaN) and its index, as
    /// PyTorch does, at lengths around the four-way split and with ties and signed zeros.
    func testRowExtremaAndTheirFirstIndex() throws {
        for n in [1, 2, 4, 5, 9, 16] {
            var values = (0..<(4 * n)).map { Float(($0 * 37) % 7) - 3 }
            values[n / 2] = .nan
            if n > 2 { values[n + 1] = -0.0; values[n + 2] = 0.0 }
            let t = try Tensor(floats: values, shape: [4, n])
            for isMax in [true, false] {
                let (v, i) = isMax ? try t.max(dim: 1) : try t.min(dim: 1)
                for r in 0..<4 {
                    let row = Array(values[(r * n)..<((r + 1) * n)])
                    var best = 0
                    if let nan = row.firstIndex(where: \.isNaN) { best = nan } else {
                        for k in 1..<n where isMax ? row[k] > row[best] : row[k] < row[best] { best = k }
                    }
                    XCTAssertEqual(try i.doubles()[r], Double(best), "n=\(n) row \(r) max=\(isMax)")
                    let got = try v.floats()[r]
                    XCTAssertTrue(got.isNaN ? row[best].isNaN : got.bitPattern == row[best].bitPattern, "n=\(n) row \(r)")
                }
            }
        }
    }

    /// In-place arithmetic writes straight into the tensor's memory when it can: results are
    /// bit for bit the out-of-place ones, the version moves by one, and operands that share
    /// the memory (x.add_(x.t())) or other dtypes take the general path with the same answer.
    func testInPlaceUpdatesMatchOutOfPlace() throws {
        let base = try randomTensor([5, 6])
        let operands: [(String, Tensor)] = [("same shape", try randomTensor([5, 6])), ("row", try randomTensor([6])),
                                            ("column", try randomTensor([5, 1])), ("scalar", try Tensor(floats: [0.75], shape: [])),
                                            ("transposed", try randomTensor([6, 5]).t())]
        for (name, b) in operands {
            let ops: [(String, (Tensor) throws -> Tensor, Tensor)] = [
                ("add_", { try $0.addInPlace(b) }, try base.add(b)),
                ("add_ alpha", { try $0.addInPlace(b, alpha: .float(-0.5)) }, try base.add(b.mul(Tensor(floats: [-0.5], shape: [])))),
                ("sub_", { try $0.subInPlace(b) }, try base.sub(b)),
                ("mul_", { try $0.mulInPlace(b) }, try base.mul(b)),
                ("div_", { try $0.divInPlace(b) }, try base.div(b)),
            ]
            for (op, apply, expected) in ops {
                let x = try base.clone()
                let before = try x.version()
                _ = try apply(x)
                XCTAssertEqual(try x.floats().map(\.bitPattern), try expected.floats().map(\.bitPattern), "\(op) \(name)")
                XCTAssertEqual(try x.version(), before + 1, "\(op) \(name)")
            }
        }
        let square = try randomTensor([4, 4])
        let expected = try square.add(square.t()).floats()
        XCTAssertEqual(try square.addInPlace(square.t()).floats(), expected, "an operand sharing the memory")
        let ints = try Tensor(int64s: [1, 2, 3], shape: [3])
        XCTAssertEqual(try ints.addInPlace(Tensor(int64s: [10], shape: [])).doubles(), [11, 12, 13])
        XCTAssertThrowsError(try ints.addInPlace(Tensor(floats: [0.5], shape: [])), "float into int64 is refused, as in PyTorch")
    }

    /// The one-pass backward rules (tanh, sigmoid, relu, softmax, log_softmax) give what the
    /// composed, differentiable rules give when a graph of the gradient is built, for every
    /// dim, with contiguous and broadcast incoming gradients.
    func testFusedBackwardRulesMatchComposedOnes() throws {
        let ops: [(String, (Tensor) throws -> Tensor)] = [
            ("tanh", { try $0.tanh() }), ("sigmoid", { try $0.sigmoid() }), ("relu", { try $0.relu() }),
            ("softmax 1", { try $0.softmax(dim: 1) }), ("softmax 0", { try $0.softmax(dim: 0) }),
            ("log_softmax 1", { try $0.logSoftmax(dim: 1) }), ("log_softmax 0", { try $0.logSoftmax(dim: 0) }),
        ]
        for (name, op) in ops {
            for weighted in [false, true] {
                let x = try randomTensor([4, 7])
                try x.setRequiresGrad(true)
                let weights = try randomTensor([4, 7])
                func loss() throws -> Tensor { weighted ? try op(x).mul(weights).sum() : try op(x).sum() }
                let fused = try AutogradEngine.grad(outputs: [loss()], inputs: [x])[0]!
                let composed = try AutogradEngine.grad(outputs: [loss()], inputs: [x], createGraph: true)[0]!
                assertClose(try fused.doubles(), try composed.doubles(), "\(name) weighted=\(weighted)")
            }
        }
    }

    /// A 0-d tensor accepts dim 0 in reductions, as in PyTorch: the results and gradients
    /// are about its one element (the fuzzer found sum(0) and mean(0) trapping).
    func testZeroDimTensorsReduceAlongDimZero() throws {
        let x = try Tensor(floats: [3], shape: [])
        try x.setRequiresGrad(true)
        for keepdim in [false, true] {
            let reductions: [(String, Tensor)] = [("sum", try x.sum(dims: [0], keepdim: keepdim)),
                                                  ("mean", try x.mean(dims: [-1], keepdim: keepdim)),
                                                  ("max", try x.max(dim: 0, keepdim: keepdim).values)]
            for (name, r) in reductions {
                XCTAssertEqual(r.shape, [], name)
                XCTAssertEqual(try r.doubles(), [3], name)
                XCTAssertEqual(try AutogradEngine.grad(outputs: [r], inputs: [x])[0]?.doubles(), [1], name)
            }
        }
        XCTAssertEqual(try x.softmax(dim: 0).doubles(), [1])
        XCTAssertEqual(try x.logSoftmax(dim: 0).doubles(), [0])
    }

    func testSoftmaxFamilyAlongEveryDimMatchesReference() throws {
        for shape in [[1], [5], [37], [3, 9], [9, 3], [2, 4, 5]] {
            let t = try randomTensor(shape)
            for d in 0..<shape.count {
                let values = try t.doubles()
                let all = indices(shape)
                var expectedSoft = [Double](repeating: 0, count: values.count)
                var expectedLog = [Double](repeating: 0, count: values.count)
                for (flat, index) in all.enumerated() {
                    let group = all.enumerated().filter { j in j.element.enumerated().allSatisfy { $0.offset == d || $0.element == index[$0.offset] } }
                    let m = group.map { values[$0.offset] }.max()!
                    let total = group.map { Foundation.exp(values[$0.offset] - m) }.reduce(0, +)
                    expectedSoft[flat] = Foundation.exp(values[flat] - m) / total
                    expectedLog[flat] = values[flat] - m - Foundation.log(total)
                }
                assertClose(try t.softmax(dim: d).doubles(), expectedSoft, "softmax \(shape) dim \(d)")
                assertClose(try t.logSoftmax(dim: d).doubles(), expectedLog, "log_softmax \(shape) dim \(d)")
            }
        }
        let withNaN = try Tensor(floats: [1, .nan, 2, 3, 4, 5], shape: [2, 3])
        let soft = try withNaN.softmax(dim: 1).doubles()
        XCTAssertTrue(soft[0..<3].allSatisfy(\.isNaN), "a NaN makes its whole row NaN, as in PyTorch")
        XCTAssertFalse(soft[3..<6].contains { $0.isNaN })
        let big = try Tensor(floats: [1000, 0, -1000], shape: [3])
        XCTAssertEqual(try big.softmax(dim: 0).doubles(), [1, 0, 0])
        XCTAssertEqual(try big.logSoftmax(dim: 0).doubles(), [0, -1000, -2000])
    }

    func testBroadcastInnerLoopsMatchReference() throws {
        let a = try randomTensor([4, 6])
        let row = try randomTensor([6]), column = try randomTensor([4, 1])
        let av = try a.doubles(), rv = try row.doubles(), cv = try column.doubles()
        let three = try Tensor(floats: [3], shape: [])
        let strided = try a.slice(dim: 1, start: 0, end: 6, step: 2)
        var cases: [(String, Tensor, [Double])] = []
        cases.append(("a + row", try a.add(row), (0..<24).map { av[$0] + rv[$0 % 6] }))
        cases.append(("row * a", try row.mul(a), (0..<24).map { rv[$0 % 6] * av[$0] }))
        cases.append(("a - column", try a.sub(column), (0..<24).map { av[$0] - cv[$0 / 6] }))
        cases.append(("column / a", try column.div(a), (0..<24).map { cv[$0 / 6] / av[$0] }))
        cases.append(("a.t() + a.t()", try a.t().add(a.t()), (0..<24).map { (i: Int) -> Double in 2 * av[(i % 4) * 6 + i / 4] }))
        cases.append(("a[:, ::2] * 3", try strided.mul(three), (0..<12).map { (i: Int) -> Double in 3 * av[(i / 3) * 6 + (i % 3) * 2] }))
        for (name, result, expected) in cases {
            assertClose(try result.doubles(), expected, name)
        }
    }
}

private extension Tensor {
    func t_ifMatrix() throws -> Tensor { rank == 2 ? try t() : self }
}
