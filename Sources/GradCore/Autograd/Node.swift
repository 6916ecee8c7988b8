/// A backward node: PyTorch's `grad_fn`. It knows its inputs' nodes (`nextEdges`), the
/// tensors it saved for backward, and how to turn the gradient of its output into
/// gradients for its inputs.
package final class Node {
    /// PyTorch's class name for the same node (`MulBackward0`, `AccumulateGrad`, ...).
    package let name: String
    /// One entry per differentiable input; nil where the input needs no grad.
    package internal(set) var nextEdges: [Edge?]
    var savedTensors: [SavedTensor]
    var savedOutput: SavedTensor?
    var savedReleased = false
    let backwardRule: BackwardRule?
    /// For AccumulateGrad: the leaf it accumulates into.
    package internal(set) var variable: Tensor?
    /// Non-leaf tensors produced by this node that asked for `.grad` via `retain_grad()`.
    var retainedGradTensors: [WeakTensor] = []
    /// For CopySlices: the in-place op's own node, run on the view's slice of the
    /// gradient. Its saved tensors are this node's, freed with them.
    var wrapped: Node?
    /// Plain numbers the backward rule keeps (`exponent` of `x ** 2`, `min`/`max` of
    /// clamp), by PyTorch's names (`_saved_exponent`), so displays can show them.
    package internal(set) var savedScalars: [(name: String, value: Scalar)] = []

    typealias BackwardRule = (BackwardContext, Tensor) throws -> [Tensor?]

    init(name: String, nextEdges: [Edge?], saved: [SavedTensor], backward: BackwardRule?) {
        self.name = name
        self.nextEdges = nextEdges
        self.savedTensors = saved
        self.backwardRule = backward
    }

    /// AccumulateGrad for a leaf.
    init(accumulatingInto leaf: Tensor) {
        name = "AccumulateGrad"
        nextEdges = []
        savedTensors = []
        backwardRule = nil
        variable = leaf
    }

    package var isAccumulateGrad: Bool { variable != nil }

    /// Releases a long chain of nodes without recursion: nodes (and saved tensors) that only
    /// this node keeps alive are taken apart one by one from a work list.
    deinit {
        var pending: [Node] = []
        Node.detachOwned(edges: &nextEdges, saved: &savedTensors, into: &pending)
        while var node = pending.popLast() {
            if isKnownUniquelyReferenced(&node) {
                Node.detachOwned(edges: &node.nextEdges, saved: &node.savedTensors, into: &pending)
            }
        }
    }

    private static func detachOwned(edges: inout [Edge?], saved: inout [SavedTensor], into pending: inout [Node]) {
        for case let e? in edges { pending.append(e.node) }
        edges = []
        var tensors = saved.map(\.tensor)
        saved = []
        for i in tensors.indices where isKnownUniquelyReferenced(&tensors[i]) {
            if let fn = tensors[i].recordedGradFn {
                pending.append(fn)
                tensors[i].recordedGradFn = nil
            }
        }
    }

    /// How many tensors this node keeps alive for backward (0 once freed).
    package var savedTensorCount: Int {
        (savedReleased ? 0 : savedTensors.count + (savedOutput == nil ? 0 : 1)) + (wrapped?.savedTensorCount ?? 0)
    }

    /// The saved tensors still held, for memory accounting.
    var liveSavedTensors: [Tensor] {
        let inner = wrapped?.liveSavedTensors ?? []
        if savedReleased { return inner }
        return savedTensors.map(\.tensor) + (savedOutput.map { [$0.tensor] } ?? []) + inner
    }

    /// Frees saved tensors after backward, as PyTorch does unless `retain_graph=True`.
    func releaseSaved() {
        wrapped?.releaseSaved()
        guard !(savedTensors.isEmpty && savedOutput == nil) else { return }
        savedTensors = []
        savedOutput = nil
        savedReleased = true
    }

    /// After an in-place op copied this node's result into `target`, the saved output must
    /// refer to `target`, so that changing `target` later is detected.
    func rebaseSavedOutput(onto target: Tensor) {
        guard savedOutput != nil else { return }
        savedOutput = SavedTensor(output: target, of: self)
    }
}

/// An edge to the node that receives the gradient of one input.
package struct Edge {
    package let node: Node
    package let inputNumber: Int
}

struct WeakTensor {
    weak var tensor: Tensor?
}

/// A tensor saved for backward, with the version it had then. Outputs are saved as an alias
/// without `gradFn` (holding the node weakly) so a node never keeps itself alive.
struct SavedTensor {
    let tensor: Tensor
    let savedVersion: Int
    let isOutput: Bool
    /// The node whose output this is. A saved tensor lives only inside that node, so the
    /// node outlives it: no weak reference (and no side table) is needed.
    unowned(unsafe) var outputNode: Node?
    /// The node that produced the tensor when it was saved, named in version errors.
    let producerNode: Node?

    init(input: Tensor) {
        tensor = input
        savedVersion = input.versionIfTracked ?? 0
        isOutput = false
        producerNode = (try? input.gradFn) ?? nil
    }

    init(output: Tensor, of node: Node) {
        tensor = output.aliasWithoutGraph()
        savedVersion = output.versionIfTracked ?? 0
        isOutput = true
        outputNode = node
        producerNode = nil
    }

    /// The name of the op that made the saved tensor (`Exp`), for version errors.
    var producerName: String? {
        if isOutput { return outputNode.map { SavedTensor.opName(of: $0.name) } }
        return producerNode.map { SavedTensor.opName(of: $0.name) }
    }

    /// The op name PyTorch uses in version errors: `Exp` for `ExpBackward0`.
    static func opName(of nodeName: String) -> String {
        guard let r = nodeName.range(of: "Backward") else { return nodeName }
        return String(nodeName[..<r.lowerBound])
    }

    /// The saved tensor, or PyTorch's error when it was modified in place since.
    func unpack() throws -> Tensor {
        if let current = tensor.versionIfTracked, current != savedVersion {
            var what = "[\(tensor.dtype.legacyTypeName) [\(tensor.shape.map(String.init).joined(separator: ", "))]]"
            if let p = producerName { what += ", which is output 0 of \(p)," }
            throw TensorError.runtime("one of the variables needed for gradient computation has been modified by an inplace operation: \(what) is at version \(current); expected version \(savedVersion) instead. \(AutogradMessage.anomalyHint)")
        }
        if isOutput, GradModeState.current.isRecording, let node = outputNode {
            // create_graph: the result must stay connected to the node that made it.
            let alias = tensor.aliasWithoutGraph()
            alias.setGradFn(node)
            return alias
        }
        return tensor
    }
}

/// What a backward rule sees: the saved tensors, checked on access.
struct BackwardContext {
    let node: Node

    func saved(_ i: Int) throws -> Tensor {
        if node.savedReleased { throw TensorError.runtime(AutogradMessage.backwardTwice) }
        return try node.savedTensors[i].unpack()
    }

    func output() throws -> Tensor {
        if node.savedReleased { throw TensorError.runtime(AutogradMessage.backwardTwice) }
        guard let s = node.savedOutput else { throw TensorError.runtime(AutogradMessage.backwardTwice) }
        return try s.unpack()
    }

    /// Which inputs need a gradient, so rules can skip work for the others.
    func needsGrad(_ i: Int) -> Bool { node.nextEdges[i] != nil }
}

extension Tensor {
    /// A new tensor object over the same memory and version counter, without autograd history
    /// (and not a view: its history must not follow a base). It must not refer to `self`: a
    /// node saving its own output through it would keep itself alive.
    func aliasWithoutGraph() -> Tensor {
        Tensor(storage: storage, shape: shape, strides: strides, offset: offset,
               requiresGrad: false, isInference: isInference, versionCounter: versionCounterOverride)
    }
}

/// The one place that decides whether an op records, and attaches its node when it does.
package enum Recorder {
    /// The edge through which gradient reaches `t`, or nil when `t` needs none. A leaf
    /// view that requires grad only through its base (made under no_grad) has no
    /// accumulator, as in PyTorch: gradient reaching it is dropped.
    static func edge(to t: Tensor) throws -> Edge? {
        guard t.requiresGrad else { return nil }
        if let fn = try t.gradFn { return Edge(node: fn, inputNumber: 0) }
        guard t.ownRequiresGrad else { return nil }
        return Edge(node: accumulator(for: t), inputNumber: 0)
    }

    static func accumulator(for leaf: Tensor) -> Node {
        if let n = leaf.gradAccumulator { return n }
        let n = Node(accumulatingInto: leaf)
        leaf.gradAccumulator = n
        return n
    }

    /// True when an op over these inputs must record a node now. Ops ask before building
    /// their backward rule, so an op that records nothing allocates nothing for autograd.
    /// An op whose inputs are all inference tensors never records, even when they require
    /// grad: PyTorch's inference tensors bypass autograd (`c * c` of two of them gives a
    /// tensor that does not require grad, while `c * 2` records, since 2 becomes a normal
    /// tensor).
    @inline(__always)
    static func shouldRecord(_ a: Tensor) -> Bool {
        a.requiresGrad && !a.isInference && GradModeState.current.isRecording
    }

    @inline(__always)
    static func shouldRecord(_ a: Tensor, _ b: Tensor) -> Bool {
        (a.requiresGrad || b.requiresGrad) && !(a.isInference && b.isInference) && GradModeState.current.isRecording
    }

    @inline(__always)
    static func shouldRecord(_ a: Tensor, _ b: Tensor, _ c: Tensor) -> Bool {
        (a.requiresGrad || b.requiresGrad || c.requiresGrad) && !(a.isInference && b.isInference && c.isInference)
            && GradModeState.current.isRecording
    }

    /// An op's result that nothing was recorded for, returned as is. When grad mode was on
    /// and an input required grad, the only reason is that every input was an inference
    /// tensor: that fact is kept on the result, for the explanation of why it has no graph.
    @inline(__always)
    static func unrecorded(_ out: Tensor, _ a: Tensor) -> Tensor {
        if a.isInference && a.requiresGrad && GradModeState.current.isRecording { out.madeFromInferenceOnly = true }
        return out
    }

    @inline(__always)
    static func unrecorded(_ out: Tensor, _ a: Tensor, _ b: Tensor) -> Tensor {
        if (a.requiresGrad || b.requiresGrad) && a.isInference && b.isInference && GradModeState.current.isRecording {
            out.madeFromInferenceOnly = true
        }
        return out
    }

    @inline(__always)
    static func unrecorded(_ out: Tensor, _ a: Tensor, _ b: Tensor, _ c: Tensor) -> Tensor {
        unrecorded(out, [a, b, c])
    }

    static func unrecorded(_ out: Tensor, _ inputs: [Tensor]) -> Tensor {
        guard GradModeState.current.isRecording, inputs.contains(where: \.requiresGrad),
              inputs.allSatisfy(\.isInference) else { return out }
        out.madeFromInferenceOnly = true
        return out
    }

    @inline(__always)
    static func shouldRecord(_ inputs: [Tensor]) -> Bool {
        guard GradModeState.current.isRecording else { return false }
        var requires = false, allInference = true
        for t in inputs {
            if t.requiresGrad { requires = true }
            if !t.isInference { allInference = false }
        }
        return requires && !allInference
    }

    /// A node for an op defined in the session (a `torch.autograd.Function` subclass):
    /// `backward` gets the saved tensors (checked for in-place changes, as any op's are)
    /// and the output's gradient, and returns one gradient (or nil) per input.
    package static func recordCustom(_ name: String, inputs: [Tensor], output: Tensor, save: [Tensor],
                                     backward: @escaping (_ saved: [Tensor], _ gradOutput: Tensor) throws -> [Tensor?]) throws {
        guard shouldRecord(inputs) else {
            _ = unrecorded(output, inputs)
            return
        }
        for t in save where t.isInference { throw TensorError.runtime(AutogradMessage.inferenceSaved) }
        // Only the inputs' shapes are kept: the node must not hold the inputs alive.
        let shapes = inputs.map(\.shape)
        let node = Node(name: name, nextEdges: try inputs.map(edge(to:)), saved: []) { ctx, grad in
            let saved = try ctx.node.savedTensors.indices.map { try ctx.saved($0) }
            let grads = try backward(saved, grad)
            guard grads.count == shapes.count else {
                throw TensorError.runtime("function \(name) returned an incorrect number of gradients (expected \(shapes.count), got \(grads.count))")
            }
            for (i, g) in grads.enumerated() {
                if let g, g.shape != shapes[i] {
                    func dims(_ s: [Int]) -> String { "[" + s.map(String.init).joined(separator: ", ") + "]" }
                    throw TensorError.runtime("Function \(name) returned an invalid gradient at index \(i) - got \(dims(g.shape)) but expected shape compatible with \(dims(shapes[i]))")
                }
            }
            return grads
        }
        // The output saved for backward is saved as an output (named in version errors as
        // "output 0 of Fn"), the rest as inputs.
        node.savedTensors = save.map { $0 === output ? SavedTensor(output: output, of: node) : SavedTensor(input: $0) }
        output.setGradFn(node)
    }

    /// Attaches a node named `name` to `output` if the op records; `save` lists the inputs its
    /// backward rule reads (through `BackwardContext.saved`), `saveOutput` whether it reads its result.
    @discardableResult
    static func record(_ name: String, inputs: [Tensor], output: Tensor,
                       save: [Tensor] = [], saveOutput: Bool = false, scalars: [(name: String, value: Scalar)] = [],
                       backward: @escaping Node.BackwardRule) throws -> Tensor {
        guard shouldRecord(inputs) else { return unrecorded(output, inputs) }
        for t in save where t.isInference {
            throw TensorError.runtime(AutogradMessage.inferenceSaved)
        }
        if saveOutput && output.isInference {
            throw TensorError.runtime(AutogradMessage.inferenceSaved)
        }
        let node = Node(name: name, nextEdges: try inputs.map(edge(to:)),
                        saved: save.map(SavedTensor.init(input:)), backward: backward)
        if saveOutput {
            node.savedOutput = SavedTensor(output: output, of: node)
        }
        node.savedScalars = scalars
        output.setGradFn(node)
        return output
    }
}
