import XCTest
@testable import GradCore

/// Broadcasting, promotion, misuse errors, the allocation guard, the seeded generator and
/// memory introspection.
final class CoreBehaviourTests: XCTestCase {
    private func kindOf(_ body: () throws -> Void) -> TensorError.Kind? {
        do { try body(); return nil } catch let e as TensorError { return e.kind } catch { return nil }
    }

    func testPromotionAndBroadcasting() throws {
        let i = try Tensor(int64s: [1, 2, 3], shape: [3])
        let f = Tensor.wrapping(.float(2.5))
        XCTAssertEqual(try i.mul(f).dtype, .float32)
        XCTAssertEqual(try i.mul(Tensor.wrapping(.int(2))).dtype, .int64)
        XCTAssertEqual(try i.div(Tensor.wrapping(.int(2))).dtype, .float32)
        XCTAssertEqual(try i.floorDivide(Tensor.wrapping(.int(2))).doubles(), [0, 1, 1])
        XCTAssertEqual(try i.neg().remainder(Tensor.wrapping(.int(2))).doubles(), [1, 0, 1], "Python's sign rule")
        XCTAssertEqual(try i.pow(Tensor.wrapping(.int(2))).dtype, .int64)
        let b = try Tensor(scalars: [.bool(true), .bool(false)], shape: [2])
        XCTAssertEqual(try b.mul(Tensor.wrapping(.int(2))).dtype, .int64)
        XCTAssertEqual(try b.sum().dtype, .int64)
        XCTAssertEqual(try b.add(b).dtype, .bool)
        let col = try Tensor(floats: [1, 2], shape: [2, 1]), row = try Tensor(floats: [10, 20, 30], shape: [3])
        XCTAssertEqual(try col.add(row).shape, [2, 3])
        XCTAssertEqual(try col.add(row).doubles(), [11, 21, 31, 12, 22, 32])
        XCTAssertEqual(kindOf { _ = try Tensor(floats: [1, 2], shape: [2]).add(row) }, .runtime)
        XCTAssertEqual(kindOf { _ = try i.floorDivide(Tensor.wrapping(.int(0))) }, .runtime)
        XCTAssertEqual(try Tensor(floats: [1, -1, 0], shape: [3]).div(Tensor.wrapping(.int(0))).doubles().map { $0.isNaN ? 7 : $0 },
                       [.infinity, -.infinity, 7])
    }

    func testMisuseIsAThrownErrorOfPyTorchsKind() throws {
        let x = try Tensor(floats: [1, 2, 3, 4, 5, 6], shape: [2, 3])
        XCTAssertEqual(kindOf { _ = try x.sum(dims: [2]) }, .index)
        XCTAssertEqual(kindOf { _ = try x.select(dim: 0, index: 5) }, .index)
        XCTAssertEqual(kindOf { _ = try x.index([.int(0), .int(0), .int(0)]) }, .index)
        XCTAssertEqual(kindOf { _ = try x.index([.tensor(Tensor(int64s: [7], shape: [1]))]) }, .index)
        XCTAssertEqual(kindOf { _ = try x.mm(x) }, .runtime)
        XCTAssertEqual(kindOf { _ = try x.view([4]) }, .runtime)
        XCTAssertEqual(kindOf { _ = try x.reshape([-1, -1]) }, .runtime)
        XCTAssertEqual(kindOf { _ = try x.expand([3, 3]) }, .runtime)
        XCTAssertEqual(kindOf { _ = try Tensor.cat([x, Tensor.zeros([2])]) }, .runtime)
        XCTAssertEqual(kindOf { _ = try Tensor(int64s: [1], shape: [1]).mean() }, .notImplemented)
        XCTAssertEqual(kindOf { _ = try x.item() }, .runtime)
        XCTAssertEqual(kindOf { _ = try x.addInPlace(Tensor.zeros([3, 3])) }, .runtime)
        XCTAssertEqual(kindOf { _ = try Tensor(int64s: [1], shape: [1]).addInPlace(Tensor.wrapping(.float(0.5))) }, .runtime)
        XCTAssertEqual(kindOf { _ = try x.slice(dim: 0, start: nil, end: nil, step: 0) }, .value)
        XCTAssertEqual(kindOf { _ = try x.t().t().transpose(0, 3) }, .index)
    }

    func testAllocationGuard() throws {
        let saved = MemoryBudget.bytes
        defer { MemoryBudget.bytes = saved }
        MemoryBudget.bytes = 1 << 20
        XCTAssertEqual(kindOf { _ = try Tensor.zeros([1024, 1024]) }, .memory)
        XCTAssertNoThrow(try Tensor.zeros([256, 256]))
        MemoryBudget.bytes = saved
        XCTAssertEqual(kindOf { _ = try Tensor.zeros([Int.max / 2, 4]) }, .runtime, "overflowing shapes are refused")
        XCTAssertEqual(kindOf { _ = try Tensor.zeros([1 << 40]) }, .memory)
        XCTAssertEqual(kindOf { _ = try Tensor.zeros([-1]) }, .runtime)
    }

    /// Big op outputs start on a huge-page boundary (so the kernel can back them with 2 MiB
    /// pages); small ones come from the ordinary heap; both are freed the same way.
    func testBigOutputsAreHugePageAligned() throws {
        let big = try Storage(dtype: .float32, count: 4 << 20, zeroed: false)
        XCTAssertEqual(Int(bitPattern: big.raw) % (2 << 20), 0)
        let x = try Tensor.ones([3 << 20])
        let y = try x.add(x)
        XCTAssertEqual(Int(bitPattern: y.storage.raw) % (2 << 20), 0)
        XCTAssertEqual(y.scalar(atRowMajor: (3 << 20) - 1), .float(2))
        _ = try Storage(dtype: .int64, count: 10, zeroed: false)
    }

    func testSeededGeneratorRepeats() throws {
        DefaultGenerator.seed(42)
        let a = try Tensor.randn([5]).doubles(), b = try Tensor.rand([3]).doubles(), c = try Tensor.randint(0, 10, [4]).doubles()
        DefaultGenerator.seed(42)
        XCTAssertEqual(try Tensor.randn([5]).doubles(), a)
        XCTAssertEqual(try Tensor.rand([3]).doubles(), b)
        XCTAssertEqual(try Tensor.randint(0, 10, [4]).doubles(), c)
        XCTAssertTrue(b.allSatisfy { $0 >= 0 && $0 < 1 })
        XCTAssertTrue(c.allSatisfy { $0 >= 0 && $0 < 10 && $0 == $0.rounded() })
        DefaultGenerator.seed(7)
        XCTAssertEqual(Set(try Tensor.randperm(10).doubles()), Set((0..<10).map(Double.init)))
        let normals = try Tensor.randn([20000]).doubles()
        let mean = normals.reduce(0, +) / Double(normals.count)
        let variance = normals.map { ($0 - mean) * ($0 - mean) }.reduce(0, +) / Double(normals.count)
        XCTAssertEqual(mean, 0, accuracy: 0.03)
        XCTAssertEqual(variance, 1, accuracy: 0.05)
    }

    func testIntrospection() throws {
        let before = Storage.liveBytes
        var x: Tensor? = try Tensor.zeros([1000])
        XCTAssertEqual(Storage.liveBytes - before, 4000)
        try x!.setRequiresGrad(true)
        let y = try x!.exp().mul(Tensor.wrapping(.float(2))).sum()
        let stats = y.graphStats
        XCTAssertEqual(stats.nodeCount, 4, "SumBackward0, MulBackward0, ExpBackward0, AccumulateGrad")
        XCTAssertEqual(stats.savedTensorCount, 2, "exp's result and the scalar 2")
        XCTAssertEqual(stats.savedBytes, 4004)
        try y.backward()
        XCTAssertEqual(y.graphStats.savedTensorCount, 0, "freed by backward")
        x = nil
        _ = x
    }

    func testMatmulLayoutsAgree() throws {
        let a = try Tensor(floats: (0..<12).map(Float.init), shape: [3, 4])
        let b = try Tensor(floats: (0..<20).map { Float($0) * 0.5 }, shape: [4, 5])
        let reference = try a.contiguous().mm(b.contiguous()).doubles()
        XCTAssertEqual(try a.t().contiguous().t().mm(b).doubles(), reference)
        XCTAssertEqual(try a.mm(b.t().contiguous().t()).doubles(), reference)
        let wide = try Tensor(floats: (0..<24).map(Float.init), shape: [3, 8]).slice(dim: 1, start: 0, end: nil, step: 2)
        XCTAssertEqual(try wide.mm(b).doubles(), try wide.contiguous().mm(b).doubles())
        let ints = try Tensor(int64s: [1, 2, 3, 4], shape: [2, 2])
        XCTAssertEqual(try ints.mm(ints).doubles(), [7, 10, 15, 22])
        XCTAssertEqual(try ints.mm(ints).dtype, .int64)
    }
}
