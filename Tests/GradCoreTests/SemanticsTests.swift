import XCTest
@testable import GradCore

private func t(_ values: [Double], _ shape: [Int]? = nil, grad: Bool = false) throws -> Tensor {
    try Tensor(scalars: values.map { .float($0) }, shape: shape ?? [values.count], requiresGrad: grad)
}

private func n(_ v: Double) -> Tensor { Tensor.wrapping(.float(v)) }

private func assertThrows(_ kind: TensorError.Kind, _ fragment: String, file: StaticString = #filePath,
                          line: UInt = #line, _ body: () throws -> Void) {
    do {
        try body()
        XCTFail("expected \(kind.rawValue): \(fragment)", file: file, line: line)
    } catch let e as TensorError {
        XCTAssertEqual(e.kind, kind, file: file, line: line)
        XCTAssertTrue(e.message.contains(fragment), "message: \(e.message)", file: file, line: line)
    } catch {
        XCTFail("unexpected error \(error)", file: file, line: line)
    }
}

/// Section 1 of SEMANTICS.md: the grad-mode state machine.
final class GradModeTests: XCTestCase {
    override func setUp() { GradModeState.reset() }

    func testBlocksSetAndRestoreBothFlags() {
        XCTAssertEqual(GradModeState.current, .initial)
        GradModeState.withGradMode(.noGrad) {
            XCTAssertFalse(GradModeState.current.isGradEnabled)
            GradModeState.withGradMode(.enableGrad) { XCTAssertTrue(GradModeState.current.isGradEnabled) }
            XCTAssertFalse(GradModeState.current.isGradEnabled)
        }
        GradModeState.withGradMode(.inference(true)) {
            XCTAssertEqual(GradModeState.current, GradMode(isGradEnabled: false, isInferenceEnabled: true))
            GradModeState.withGradMode(.inference(true)) {
                XCTAssertTrue(GradModeState.current.isInferenceEnabled)
            }
            XCTAssertTrue(GradModeState.current.isInferenceEnabled, "inference nests: the outer stays on")
            GradModeState.withGradMode(.inference(false)) {
                XCTAssertEqual(GradModeState.current, .initial, "inference(False) turns grad on")
            }
            GradModeState.withGradMode(.enableGrad) {
                XCTAssertEqual(GradModeState.current, GradMode(isGradEnabled: true, isInferenceEnabled: true))
                XCTAssertFalse(GradModeState.current.isRecording)
            }
        }
        GradModeState.withGradMode(.noGrad) {
            GradModeState.withGradMode(.inference(false)) { XCTAssertTrue(GradModeState.current.isGradEnabled) }
        }
        XCTAssertEqual(GradModeState.current, .initial)
    }

    func testErrorsRestoreTheMode() {
        struct Boom: Error {}
        XCTAssertThrowsError(try GradModeState.withGradMode(.noGrad) {
            try GradModeState.withGradMode(.inference(true)) { throw Boom() }
        })
        XCTAssertEqual(GradModeState.current, .initial)
    }

    func testPlainSetGradEnabledPersistsUntilABlockRestores() {
        GradModeState.withGradMode(.enableGrad) {
            GradModeState.setGradEnabled(false)
            XCTAssertFalse(GradModeState.current.isGradEnabled)
        }
        XCTAssertTrue(GradModeState.current.isGradEnabled, "undone by the enclosing block")
        GradModeState.setGradEnabled(false)
        XCTAssertFalse(GradModeState.current.isGradEnabled)
        GradModeState.setGradEnabled(true)
    }

    func testRecordingNeedsGradModeAndAnInputThatRequiresGrad() throws {
        let x = try t([1, 2], grad: true)
        XCTAssertEqual(try x.mul(n(2)).gradFn?.name, "MulBackward0")
        let y = try GradModeState.withGradMode(.noGrad) { try x.mul(n(2)) }
        XCTAssertNil(try y.gradFn)
        XCTAssertFalse(y.requiresGrad)
        XCTAssertTrue(try y.isLeaf)
        XCTAssertFalse(y.isInference)
        XCTAssertEqual(try y.version(), 0)
        XCTAssertNil(try t([1, 2]).mul(n(2)).gradFn)
        let z = try GradModeState.withGradMode(.noGrad) { try GradModeState.withGradMode(.enableGrad) { try x.mul(n(2)) } }
        XCTAssertEqual(try z.gradFn?.name, "MulBackward0")
    }

    func testNoGradResultIsAConstantLater() throws {
        let x = try t([1, 2], grad: true)
        let c = try GradModeState.withGradMode(.noGrad) { try x.mul(n(3)) }
        let y = try x.mul(c).sum()
        try y.backward()
        XCTAssertEqual(try x.grad!.doubles(), [3, 6])
    }
}

/// Section 3: inference tensors.
final class InferenceTensorTests: XCTestCase {
    override func setUp() { GradModeState.reset() }

    func testResultsInsideInferenceAreInferenceTensors() throws {
        let x = try t([1, 2], grad: true)
        let p = try GradModeState.withGradMode(.inference(true)) { try x.mul(n(2)) }
        XCTAssertTrue(p.isInference)
        XCTAssertFalse(p.requiresGrad)
        XCTAssertNil(p.versionIfTracked)
        assertThrows(.runtime, "Inference tensors do not track version counter.") { _ = try p.version() }
        let created = try GradModeState.withGradMode(.inference(true)) { try Tensor.zeros([2]) }
        XCTAssertTrue(created.isInference)
    }

    func testViewsOfNormalTensorsStayNormal() throws {
        let x = try t([1, 2, 3])
        let v = try GradModeState.withGradMode(.inference(true)) { try x.select(dim: 0, index: 0) }
        XCTAssertFalse(v.isInference)
        let p = try GradModeState.withGradMode(.inference(true)) { try x.mul(n(1)) }
        XCTAssertTrue(try p.select(dim: 0, index: 0).isInference)
        XCTAssertTrue(try p.detach().isInference)
    }

    func testInPlaceOutsideInferenceFails() throws {
        let p = try GradModeState.withGradMode(.inference(true)) { try Tensor.ones([2]) }
        assertThrows(.runtime, "Inplace update to inference tensor outside InferenceMode") { _ = try p.addInPlace(n(1)) }
        assertThrows(.runtime, "Inplace update to inference tensor outside InferenceMode") {
            try GradModeState.withGradMode(.noGrad) { _ = try p.mulInPlace(n(2)) }
        }
        XCTAssertEqual(try p.doubles(), [1, 1], "a failed in-place op changes nothing")
        try GradModeState.withGradMode(.inference(true)) { _ = try p.addInPlace(n(1)) }
        XCTAssertEqual(try p.doubles(), [2, 2])
    }

    func testRequiresGradOnInferenceTensor() throws {
        let p = try GradModeState.withGradMode(.inference(true)) { try Tensor.ones([2]) }
        assertThrows(.runtime, "Setting requires_grad=True on inference tensor outside InferenceMode is not allowed.") {
            try p.setRequiresGrad(true)
        }
        try p.setRequiresGrad(false)
        let q = try GradModeState.withGradMode(.inference(true)) { () -> Tensor in
            let q = try Tensor.ones([2])
            try q.setRequiresGrad(true)
            return q
        }
        XCTAssertTrue(q.requiresGrad)
    }

    func testSavedForBackwardOnlyWhenTheOpSavesIt() throws {
        let x = try t([1, 2], grad: true)
        let p = try GradModeState.withGradMode(.inference(true)) { try t([3, 4]).mul(n(1)) }
        assertThrows(.runtime, "Inference tensors cannot be saved for backward.") { _ = try x.mul(p) }
        assertThrows(.runtime, "Inference tensors cannot be saved for backward.") { _ = try x.div(p) }
        assertThrows(.runtime, "Inference tensors cannot be saved for backward.") { _ = try p.div(x) }
        assertThrows(.runtime, "Inference tensors cannot be saved for backward.") { _ = try x.maximum(p) }
        XCTAssertEqual(try x.add(p).gradFn?.name, "AddBackward0")
        XCTAssertEqual(try x.sub(p).gradFn?.name, "SubBackward0")
        XCTAssertEqual(try Tensor.cat([x, p]).gradFn?.name, "CatBackward0")
        let r = try GradModeState.withGradMode(.noGrad) { try x.mul(p) }
        XCTAssertNil(try r.gradFn)
        let outside = try p.mul(n(10))
        XCTAssertFalse(outside.isInference)
        let c = try p.clone()
        XCTAssertFalse(c.isInference)
        XCTAssertEqual(try x.mul(c).gradFn?.name, "MulBackward0")
    }

    func testViewMadeInInferenceCannotBeModifiedOutside() throws {
        let x = try t([1, 2, 3], grad: true)
        let v = try GradModeState.withGradMode(.inference(true)) { try x.select(dim: 0, index: 0) }
        assertThrows(.runtime, "A view was created in inference mode and is being modified inplace in normal mode.") {
            _ = try v.mulInPlace(n(2))
        }
        // Under no_grad nothing is recorded, so PyTorch allows it.
        _ = try GradModeState.withGradMode(.noGrad) { try v.mulInPlace(n(2)) }
        XCTAssertEqual(try x.doubles(), [2, 2, 3])
    }

    func testInPlaceOnNormalTensorsInsideInferenceBumpsVersion() throws {
        let x = try t([1, 2], grad: true)
        try GradModeState.withGradMode(.inference(true)) { _ = try x.addInPlace(n(1)) }
        XCTAssertEqual(try x.version(), 1)
        XCTAssertTrue(try x.isLeaf)
        XCTAssertEqual(try x.doubles(), [2, 3])
    }
}

/// Sections 4 and 5: versions, views, leaves and in-place rules.
final class InPlaceAndVersionTests: XCTestCase {
    override func setUp() { GradModeState.reset() }

    func testEveryInPlaceOpBumpsByOne() throws {
        let x = try t([1, -2, 3])
        _ = try x.addInPlace(n(1)); _ = try x.subInPlace(n(1)); _ = try x.mulInPlace(n(2))
        _ = try x.divInPlace(n(2)); _ = try x.clampInPlace(min: .float(0), max: nil); _ = try x.reluInPlace()
        _ = try x.fillInPlace(.float(1)); _ = try x.copyInPlace(t([4, 5, 6])); _ = try x.zeroInPlace()
        XCTAssertEqual(try x.version(), 9)
        try x.indexAssign([.int(0)], n(7))
        try x.indexAssign([.tensor(x.gt(n(1)))], n(8))
        XCTAssertEqual(try x.version(), 11)
        XCTAssertEqual(try x.doubles(), [8, 0, 0])
    }

    func testViewsShareStorageAndCounter() throws {
        let x = try t([1, 2, 3, 4, 5, 6], [2, 3])
        let views = try [x.select(dim: 0, index: 0), x.slice(dim: 1, start: 1, end: nil), x.unsqueeze(0),
                         x.t(), x.transpose(0, 1), x.view([6]), x.flatten(), x.reshape([3, 2]), x.detach()]
        _ = try views[0].mulInPlace(n(10))
        for v in views { XCTAssertEqual(try v.version(), 1) }
        XCTAssertEqual(try x.doubles(), [10, 20, 30, 4, 5, 6])
        let copies = try [x.clone(), x.index([.tensor(x.gt(n(4)))]), x.t().reshape([6]), x.t().contiguous()]
        for c in copies { XCTAssertEqual(try c.version(), 0) }
        _ = try copies[2].zeroInPlace()
        XCTAssertEqual(try x.doubles(), [10, 20, 30, 4, 5, 6])
        assertThrows(.runtime, "view size is not compatible with input tensor's size and stride") { _ = try x.t().view([6]) }
    }

    func testLeafInPlaceRules() throws {
        let x = try t([1, 2, 3], grad: true)
        assertThrows(.runtime, "a leaf Variable that requires grad is being used in an in-place operation.") { _ = try x.addInPlace(n(1)) }
        assertThrows(.runtime, "a view of a leaf Variable that requires grad is being used in an in-place operation.") {
            try x.indexAssign([.int(0)], n(5))
        }
        assertThrows(.runtime, "a view of a leaf Variable") { _ = try x.slice(dim: 0, start: 1, end: nil).zeroInPlace() }
        assertThrows(.runtime, "a view of a leaf Variable") { _ = try x.view([3]).mulInPlace(n(2)) }
        XCTAssertEqual(try x.version(), 0)
        try GradModeState.withGradMode(.noGrad) { _ = try x.addInPlace(n(1)) }
        try GradModeState.withGradMode(.setGradEnabled(false)) { try x.indexAssign([.int(0)], n(0)) }
        XCTAssertTrue(try x.isLeaf)
        XCTAssertEqual(try x.doubles(), [0, 3, 4])
        let plain = try t([1, 2])
        _ = try plain.mulInPlace(n(3))
        try plain.setRequiresGrad(true)
        assertThrows(.runtime, "a leaf Variable") { _ = try plain.mulInPlace(n(3)) }
    }

    func testInPlaceOnNonLeavesIsRecorded() throws {
        let x = try t([1, 2, 3], grad: true)
        let y = try x.exp()
        XCTAssertEqual(try y.addInPlace(n(1)).gradFn?.name, "AddBackward0")
        XCTAssertEqual(try y.mulInPlace(n(2)).gradFn?.name, "MulBackward0")
        try y.indexAssign([.int(0)], n(0))
        XCTAssertEqual(try y.gradFn?.name, "CopySlices")
        XCTAssertEqual(try y.version(), 3)
        XCTAssertEqual(try x.mul(n(1)).reluInPlace().gradFn?.name, "ReluBackward0")
        XCTAssertEqual(try x.mul(n(1)).clampInPlace(min: .float(0), max: .float(1)).gradFn?.name, "ClampBackward1")
    }

    func testSavedTensorVersionCheck() throws {
        let x = try t([1, 2], grad: true)
        let y = try x.exp()
        _ = try y.addInPlace(n(1))
        assertThrows(.runtime, "[torch.FloatTensor [2]], which is output 0 of Exp, is at version 1; expected version 0 instead.") {
            try y.sum().backward()
        }
        let w = try t([3, 4])
        let z = try x.mul(w)
        try GradModeState.withGradMode(.noGrad) { try w.indexAssign([.int(0)], n(10)) }
        assertThrows(.runtime, "modified by an inplace operation: [torch.FloatTensor [2]] is at version 1; expected version 0 instead.") {
            try z.sum().backward()
        }
        // tanh saves its result: changing its input is harmless, changing its output is not.
        let h = try x.mul(n(1))
        let th = try h.tanh()
        _ = try h.addInPlace(n(5))
        try th.sum().backward(retainGraph: true)
        _ = try th.mulInPlace(n(2))
        assertThrows(.runtime, "which is output 0 of Tanh") { try th.sum().backward() }
    }

    func testRequiresGradFlags() throws {
        let x = try t([1, 2])
        try x.setRequiresGrad(true)
        try x.setRequiresGrad(false, message: .attribute)
        XCTAssertFalse(x.requiresGrad)
        try x.setRequiresGrad(true)
        let y = try x.mul(n(2))
        assertThrows(.runtime, "you can only change requires_grad flags of leaf variables. If you want") { try y.setRequiresGrad(false) }
        assertThrows(.runtime, "you can only change requires_grad flags of leaf variables.") { try y.setRequiresGrad(true, message: .attribute) }
        try y.setRequiresGrad(true)
        assertThrows(.runtime, "Only Tensors of floating point and complex dtype can require gradients") {
            _ = try Tensor(scalars: [.int(1)], shape: [1], requiresGrad: true)
        }
        let i = try Tensor(int64s: [1], shape: [1])
        assertThrows(.runtime, "only Tensors of floating point and complex dtype") { try i.setRequiresGrad(true, message: .attribute) }
        assertThrows(.runtime, "only Tensors of floating point dtype can require gradients") { try i.setRequiresGrad(true) }
        XCTAssertTrue(try x.mul(i).requiresGrad, "mixed dtypes propagate requires_grad")
        let d = try y.detach()
        XCTAssertTrue(try d.isLeaf)
        XCTAssertFalse(d.requiresGrad)
        let e = try x.mul(n(3))
        _ = try e.detachInPlace()
        XCTAssertNil(try e.gradFn)
        XCTAssertFalse(e.requiresGrad)
    }
}

/// Section 6: backward.
final class BackwardTests: XCTestCase {
    override func setUp() { GradModeState.reset() }

    func testBackwardErrors() throws {
        let x = try t([1, 2, 3], grad: true)
        assertThrows(.runtime, "grad can be implicitly created only for scalar outputs") { try x.mul(n(2)).backward() }
        assertThrows(.runtime, "Mismatch in shape: grad_output[0] has a shape of torch.Size([2]) and output[0] has a shape of torch.Size([3]).") {
            try x.mul(n(2)).backward(gradient: t([1, 1]))
        }
        assertThrows(.runtime, "element 0 of tensors does not require grad and does not have a grad_fn") { try t([1]).sum().backward() }
        try x.mul(n(2)).backward(gradient: t([1, 1, 1]))
        XCTAssertEqual(try x.grad!.doubles(), [2, 2, 2])
    }

    func testSecondBackwardAndRetainGraph() throws {
        let x = try t([1, 2], grad: true)
        let y = try x.mul(x).sum()
        try y.backward()
        assertThrows(.runtime, "Trying to backward through the graph a second time") { try y.backward() }
        let z = try x.add(n(1)).sum()
        try z.backward()
        try z.backward()
        let r = try x.exp().sum()
        try r.backward(retainGraph: true)
        try r.backward()
        assertThrows(.runtime, "Trying to backward through the graph a second time") { try r.backward() }
    }

    func testGradAccumulatesInPlace() throws {
        let x = try t([1, 2], grad: true)
        XCTAssertNil(x.grad)
        try x.mul(n(3)).sum().backward()
        let g = x.grad!
        XCTAssertEqual(try g.version(), 0)
        XCTAssertFalse(g.requiresGrad)
        try x.mul(n(3)).sum().backward()
        XCTAssertTrue(g === x.grad)
        XCTAssertEqual(try g.doubles(), [6, 6])
        XCTAssertEqual(try g.version(), 1)
        _ = try g.zeroInPlace()
        XCTAssertEqual(try g.version(), 2)
        x.grad = nil
        try x.mul(n(2)).sum().backward()
        XCTAssertEqual(try x.grad!.doubles(), [2, 2])
    }

    func testNonLeafGradAndRetainGrad() throws {
        let x = try t([1, 2], grad: true)
        let h = try x.mul(n(2))
        let k = try x.mul(n(3))
        try k.retainGrad()
        try h.add(k).mul(h).sum().backward()
        XCTAssertNil(h.grad)
        XCTAssertEqual(try k.grad!.doubles(), [2, 4])
    }

    func testBroadcastIndexingAndRelu() throws {
        let x = try t([1, 2, 3, 4, 5, 6], [2, 3])
        let w = try t([1, 0.5, -1], grad: true)
        let b = try t([0.1], grad: true)
        try x.mul(w).add(b).sum().backward()
        XCTAssertEqual(try w.grad!.doubles(), [5, 7, 9])
        XCTAssertEqual(b.grad!.shape, [1])
        XCTAssertEqual(try b.grad!.doubles(), [6], accuracy: 1e-6)
        let r = try t([-1, 0, 3], grad: true)
        try r.relu().sum().backward()
        XCTAssertEqual(try r.grad!.doubles(), [0, 0, 1])
        let v = try t([1, 2, 3, 4], grad: true)
        try v.slice(dim: 0, start: 1, end: 3).mul(n(10)).sum().backward()
        XCTAssertEqual(try v.grad!.doubles(), [0, 10, 10, 0])
    }

    func testAutogradGradLeavesGradAlone() throws {
        let x = try t([2], grad: true)
        let y = try x.pow(Tensor.wrapping(.int(3)))
        let (g) = try AutogradEngine.grad(outputs: [y], inputs: [x], createGraph: true)
        XCTAssertEqual(try g[0]!.doubles(), [12])
        XCTAssertNil(x.grad)
        XCTAssertNotNil(try g[0]!.gradFn)
        try g[0]!.backward()
        XCTAssertEqual(try x.grad!.doubles(), [12])
    }

    func testDeepChainNeedsNoDeepStack() throws {
        let x = try t([1], grad: true)
        var y = x
        for _ in 0..<100_000 { y = try y.add(n(0)) }
        XCTAssertEqual(y.graphStats.nodeCount, 100_001)
        try y.sum().backward()
        XCTAssertEqual(try x.grad!.doubles(), [1])
        y = x  // releasing the chain must not recurse either
    }

    func testEveryNodeIsReleasedWithoutBackward() throws {
        let baselineCount = Storage.liveCount, baselineBytes = Storage.liveBytes
        do {
            let x = try t([0.5, 1.5, 2.5, 3.5], [2, 2], grad: true)
            let w = try t([1, 2, 3, 4], [2, 2], grad: true)
            let labels = try Tensor(int64s: [0, 1], shape: [2])
            let mask = try x.gt(n(1))
            var outputs: [Tensor] = [
                try x.add(w),
                try x.sub(w),
                try x.rsub(.int(1)),
                try x.mul(w),
                try x.div(w),
                try x.pow(n(2)),
                try x.pow(w),
                try x.neg(),
                try x.exp(),
                try x.log(),
                try x.sqrt(),
                try x.abs(),
                try x.sin(),
                try x.cos(),
                try x.tanh(),
                try x.sigmoid(),
                try x.relu(),
                try x.clamp(min: .float(1), max: .float(3)),
                try x.maximum(w),
                try x.minimum(w),
                try Tensor.where(mask, x, w),
                try x.sum(),
                try x.sum(dims: [0]),
                try x.mean(),
                try x.mean(dims: [1]),
                try x.prod(),
                try x.prod(dim: 0),
                try x.max(),
                try x.min(),
                try x.max(dim: 1).values,
                try x.mm(w),
                try x.matmul(w.select(dim: 0, index: 0)),
                try x.view([4]),
                try x.reshape([4]),
                try x.t(),
                try x.transpose(0, 1),
                try x.permute([1, 0]),
                try x.unsqueeze(0),
                try x.unsqueeze(0).squeeze(),
                try x.flatten(),
                try x.expand([3, 2, 2]),
                try x.index([.int(0)]),
                try x.index([.slice(start: 1, end: nil, step: nil)]),
                try x.index([.tensor(mask)]),
                try x.clone(),
                try Tensor.cat([x, w]),
                try Tensor.stack([x, w]),
                try x.softmax(dim: 1),
                try x.logSoftmax(dim: 1),
                try Tensor.mseLoss(x, w),
                try Tensor.crossEntropy(x, labels),
                try Tensor.linear(x, weight: w, bias: w.select(dim: 0, index: 1)),
            ]
            let y = try x.mul(n(1))
            _ = try y.reluInPlace()
            try y.indexAssign([.int(0)], n(3))
            outputs.append(y)
            XCTAssertTrue(try outputs.allSatisfy { try $0.gradFn != nil })
        }
        XCTAssertEqual(Storage.liveCount, baselineCount, "every graph is freed with its results: no cycles")
        XCTAssertEqual(Storage.liveBytes, baselineBytes)
    }

    func testGraphIsReleasedWithItsResult() throws {
        let before = Storage.liveCount
        do {
            let x = try t([1, 2, 3], grad: true)
            let y = try x.exp().tanh().sigmoid().mul(x).sum()
            XCTAssertGreaterThan(y.graphStats.savedTensorCount, 0)
            try y.backward()
        }
        XCTAssertEqual(Storage.liveCount, before, "no cycles: everything is freed")
    }
}

/// Section 7: grad_fn names and next_functions.
final class GradFnNameTests: XCTestCase {
    func testNames() throws {
        let x = try t([0.5, 2, 1, 3], [2, 2], grad: true)
        let cases: [(String, () throws -> Tensor)] = [
            ("AddBackward0", { try x.add(n(1)) }), ("SubBackward0", { try x.sub(n(1)) }),
            ("RsubBackward1", { try x.rsub(.int(1)) }), ("MulBackward0", { try x.mul(x) }),
            ("DivBackward0", { try x.div(n(4)) }), ("PowBackward0", { try x.pow(Tensor.wrapping(.int(2))) }),
            ("NegBackward0", { try x.neg() }), ("ExpBackward0", { try x.exp() }), ("LogBackward0", { try x.log() }),
            ("SqrtBackward0", { try x.sqrt() }), ("AbsBackward0", { try x.abs() }), ("SinBackward0", { try x.sin() }),
            ("CosBackward0", { try x.cos() }), ("TanhBackward0", { try x.tanh() }), ("SigmoidBackward0", { try x.sigmoid() }),
            ("ReluBackward0", { try x.relu() }), ("ClampBackward1", { try x.clamp(min: .float(0), max: nil) }),
            ("SumBackward0", { try x.sum() }), ("SumBackward1", { try x.sum(dims: [0]) }),
            ("MeanBackward0", { try x.mean() }), ("MeanBackward1", { try x.mean(dims: [1], keepdim: true) }),
            ("MaxBackward1", { try x.max() }), ("MinBackward1", { try x.min() }),
            ("MaxBackward0", { try x.max(dim: 1).values }), ("ProdBackward0", { try x.prod() }),
            ("MmBackward0", { try x.matmul(x) }), ("ViewBackward0", { try x.view([4]) }),
            ("ViewBackward0", { try x.reshape([4]) }), ("ViewBackward0", { try x.flatten() }),
            ("TBackward0", { try x.t() }), ("TransposeBackward0", { try x.transpose(0, 1) }),
            ("UnsqueezeBackward0", { try x.index([.newAxis]) }), ("SqueezeBackward1", { try x.unsqueeze(0).squeeze(dim: 0) }),
            ("SelectBackward0", { try x.index([.int(0)]) }), ("SelectBackward0", { try x.index([.ellipsis, .int(1)]) }),
            ("SliceBackward0", { try x.index([.slice(start: 1, end: nil, step: nil)]) }),
            ("IndexBackward0", { try x.index([.tensor(x.gt(n(1)))]) }), ("CloneBackward0", { try x.clone() }),
            ("CatBackward0", { try Tensor.cat([x, x]) }), ("StackBackward0", { try Tensor.stack([x, x]) }),
            ("WhereBackward0", { try Tensor.where(x.gt(n(1)), x, n(0)) }), ("MaximumBackward0", { try x.maximum(n(1)) }),
            ("MinimumBackward0", { try x.minimum(n(1)) }), ("SoftmaxBackward0", { try x.softmax(dim: 1) }),
            ("LogSoftmaxBackward0", { try x.logSoftmax(dim: 1) }), ("MseLossBackward0", { try Tensor.mseLoss(x, Tensor.zeros([2, 2])) }),
            ("NllLossBackward0", { try Tensor.crossEntropy(x, Tensor(int64s: [0, 1], shape: [2])) }),
            ("AddmmBackward0", { try Tensor.linear(x, weight: x, bias: t([1, 1])) }),
        ]
        for (name, make) in cases { XCTAssertEqual(try make().gradFn?.name, name) }
        for make in [{ try x.gt(n(1)) }, { try x.argmax(dim: 1) }, { try x.argmin() }, { try x.max(dim: 0).indices }] {
            XCTAssertFalse(try make().requiresGrad)
        }
    }

    func testNextFunctions() throws {
        let x = try t([1, 2], grad: true), w = try t([3, 4], grad: true)
        let y = try x.mul(w)
        let nf = try y.gradFn!.nextFunctions
        XCTAssertEqual(nf.count, 2)
        XCTAssertEqual(nf[0].0?.name, "AccumulateGrad")
        XCTAssertTrue(try nf[0].0 === x.mul(n(2)).gradFn!.nextFunctions[0].0, "a leaf has one AccumulateGrad")
        let z = try x.mul(n(2)).gradFn!.nextFunctions
        XCTAssertNil(z[1].0)
        XCTAssertEqual(try y.exp().gradFn!.nextFunctions.count, 1)
    }
}
