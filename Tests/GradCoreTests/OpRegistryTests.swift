import XCTest
@testable import GradCore

/// Walks the op registry: every entry is described, records the node it declares, keeps
/// its dtype rule, and its gradient (and its in-place form's) matches central differences
/// over contiguous, transposed, sliced and broadcast inputs.
final class OpRegistryTests: XCTestCase {
    /// The second operand of the examples: a constant shaped like the input, on the grid
    /// 0.6, 0.8, 1.0, 1.2, which the inputs (odd multiples of 0.05) stay 0.05 away from, so
    /// no central difference straddles a kink of maximum, minimum or clamp.
    static func other(_ shape: [Int]) throws -> Tensor {
        let n = shape.reduce(1, *)
        return try Tensor(scalars: (0..<n).map { .float(0.6 + 0.2 * Double($0 % 4)) }, shape: shape)
    }

    /// Input values for one gradient check: odd multiples of 0.05 (see `other`) with
    /// magnitudes drawn from `range` in random order without repeats, so no two elements tie
    /// (a tie is a kink of max and min), with random signs when `signed`.
    static func gridValues(_ range: ClosedRange<Int>, signed: Bool) -> (Int) -> Double {
        let magnitudes = range.shuffled().map { Double(2 * $0 + 1) * 0.05 }
        let signs = range.map { _ in signed && Bool.random() ? -1.0 : 1.0 }
        return { i in magnitudes[i % magnitudes.count] * signs[i % signs.count] }
    }

    /// The example's arguments converted as the language converts them for each kind.
    static func arguments(_ op: Op) throws -> OpArguments {
        let o = try other(op.exampleShape)
        return OpArguments(try zip(op.example, op.parameters).map { example, parameter in
            switch example {
            case .other: return .tensor(o)
            case .otherTransposed: return .tensor(try o.t())
            case .otherRow: return .tensor(try o.select(dim: 0, index: 0))
            case .mask: return .tensor(try o.gt(Tensor.wrapping(.int(1))))
            case .int(let n): return parameter.kind == .tensor || parameter.kind == .scalar ? .scalar(.int(Int64(n))) : .int(n)
            case .number(let d): return .scalar(.float(d))
            case .sizes(let ns): return .ints(ns)
            case .dtype(let d): return .dtype(d)
            }
        })
    }

    /// Ops whose own name is in-place (`zero_`): the test applies them to a fresh copy.
    static func isInPlaceByName(_ op: Op) -> Bool { op.name.hasSuffix("_") }

    static func apply(_ op: Op, _ x: Tensor, inPlace: Bool = false) throws -> Tensor {
        let args = try arguments(op)
        if inPlace { return try op.inPlace(try x.clone(), args) }
        if isInPlaceByName(op) { return try op(try x.clone(), args).tensor() }
        return try op(x, args).tensor()
    }

    func testEveryEntryIsDescribed() {
        XCTAssertEqual(OpRegistry.byName.count, OpRegistry.all.reduce(0) { $0 + $1.names.count }, "every name is unique")
        for op in OpRegistry.all {
            XCTAssertFalse(op.help.isEmpty, "\(op.name) has help")
            XCTAssertFalse(op.help.hasSuffix("."), "\(op.name)'s help is one line without a full stop")
            XCTAssertNotNil(OpRegistry.helpText(op.name))
            if let inPlace = op.inPlaceName { XCTAssertNotNil(OpRegistry.helpText(inPlace)) }
            if let node = op.node {
                XCTAssertNotNil(node.range(of: #"^[A-Z][A-Za-z0-9]*Backwards?[0-9]*$|^NotImplemented$"#, options: .regularExpression),
                                "\(op.name)'s node \(node) is named as PyTorch names nodes")
            }
            XCTAssertGreaterThanOrEqual(op.example.count, op.parameters.filter(\.isRequired).count,
                                        "\(op.name)'s example gives every required argument")
        }
    }

    /// Each op applied to a tensor that requires grad records the node its entry names.
    func testEveryOpRecordsTheNodeItDeclares() throws {
        for op in OpRegistry.all {
            let x = try Tensor(scalars: (0..<op.exampleShape.reduce(1, *)).map { .float(0.3 + Double($0) * 0.1) },
                               shape: op.exampleShape, dtype: .float32, requiresGrad: true)
            let input = Self.isInPlaceByName(op) ? try x.clone() : x
            let result: Tensor
            do {
                guard case .tensor(let r) = try op(input, Self.arguments(op)) else { continue }
                result = r
            } catch {
                XCTFail("\(op.name)(\(op.exampleText)) threw \(error)")
                continue
            }
            // Ops that give back their input unchanged (`contiguous()` of a contiguous tensor,
            // `requires_grad_()`) record nothing.
            if result === input && (op.node == nil || !Self.isInPlaceByName(op)) { continue }
            XCTAssertEqual(try result.gradFn?.name, op.node, "\(op.name)(\(op.exampleText))")
            if op.inPlaceName != nil {
                XCTAssertEqual(try Self.apply(op, x, inPlace: true).gradFn?.name, op.node, "\(op.name)_(\(op.exampleText))")
            }
        }
    }

    /// Integer input gives the dtype the entry declares.
    func testDTypeRules() throws {
        for op in OpRegistry.all where [.floatResult, .sameAsInput, .boolResult, .indexResult].contains(op.dtypeRule) {
            let x = try Tensor(scalars: (0..<op.exampleShape.reduce(1, *)).map { .int(Int64($0 % 3 + 1)) }, shape: op.exampleShape)
            guard let result = try? Self.apply(op, x) else { continue }
            let expected: DType
            switch op.dtypeRule {
            case .floatResult: expected = .float32
            case .boolResult: expected = .bool
            case .indexResult: expected = .int64
            default: expected = .int64
            }
            XCTAssertEqual(result.dtype, expected, "\(op.name) of int64 input")
        }
    }

    func testGradientsOfEveryDifferentiableOp() {
        var checked = 0
        for op in OpRegistry.all where op.node != nil && op.node != "NotImplemented" && op.domain != .none {
            let values: (Int) -> Double
            switch op.domain {
            case .positive: values = Self.gridValues(2...14, signed: false)
            case .unitInterval: values = Self.gridValues(1...8, signed: true)
            default: values = Self.gridValues(2...14, signed: true)
            }
            // view() refuses inputs whose strides do not allow the new shape, as PyTorch's does.
            let layouts = op.name == "view" ? [Layout.contiguous, .offsetSlice] : Layout.allCases
            gradcheck(op.name, [op.exampleShape], layouts: layouts, values: values) { xs in try Self.apply(op, xs[0]) }
            if op.inPlaceName != nil {
                gradcheck(op.name + "_", [op.exampleShape], values: values) { xs in try Self.apply(op, xs[0], inPlace: true) }
            }
            checked += 1
        }
        XCTAssertGreaterThan(checked, 30)
    }
}
