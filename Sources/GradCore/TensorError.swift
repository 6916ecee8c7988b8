/// An error from a tensor operation, carrying the Python exception type PyTorch would raise
/// so the shell can report it exactly as PyTorch does.
package struct TensorError: Error, Equatable, CustomStringConvertible, Sendable {
    package enum Kind: String, Sendable {
        case runtime = "RuntimeError"
        case index = "IndexError"
        case type = "TypeError"
        case value = "ValueError"
        case notImplemented = "NotImplementedError"
        case zeroDivision = "ZeroDivisionError"
        case memory = "MemoryError"
    }

    package let kind: Kind
    package let message: String

    package init(_ kind: Kind, _ message: String) {
        self.kind = kind
        self.message = message
    }

    package var description: String { "\(kind.rawValue): \(message)" }

    static func runtime(_ message: String) -> TensorError { TensorError(.runtime, message) }
    static func index(_ message: String) -> TensorError { TensorError(.index, message) }
    static func type(_ message: String) -> TensorError { TensorError(.type, message) }
    static func value(_ message: String) -> TensorError { TensorError(.value, message) }
}

/// PyTorch's autograd messages, word for word, so learners can search for them.
enum AutogradMessage {
    static let leafInPlace = "a leaf Variable that requires grad is being used in an in-place operation."
    static let viewOfLeafInPlace = "a view of a leaf Variable that requires grad is being used in an in-place operation."
    static let backwardTwice = "Trying to backward through the graph a second time (or directly access saved tensors after they have already been freed). Saved intermediate values of the graph are freed when you call .backward() or autograd.grad(). Specify retain_graph=True if you need to backward through the graph a second time or if you need to access saved tensors after calling backward."
    static let implicitScalar = "grad can be implicitly created only for scalar outputs"
    static func noGradFn(_ i: Int) -> String { "element \(i) of tensors does not require grad and does not have a grad_fn" }
    static let nonLeafRequiresGradFalse = "you can only change requires_grad flags of leaf variables. If you want to use a computed variable in a subgraph that doesn't require differentiation use var_no_grad = var.detach()."
    static let nonLeafRequiresGradTrue = "you can only change requires_grad flags of leaf variables."
    static let inferenceSaved = "Inference tensors cannot be saved for backward. Please do not use Tensors created in inference mode in computation tracked by autograd. To work around this, you can make a clone to get a normal tensor and use it in autograd, or use `torch.no_grad()` instead of `torch.inference_mode()`."
    static let inferenceInPlace = "Inplace update to inference tensor outside InferenceMode is not allowed.You can make a clone to get a normal tensor before doing inplace update.See https://github.com/pytorch/rfcs/pull/17 for more details."
    static let inferenceRequiresGrad = "Setting requires_grad=True on inference tensor outside InferenceMode is not allowed."
    static let inferenceViewInPlace = "A view was created in inference mode and is being modified inplace in normal mode. Given that this use case is ambiguous and error-prone, it is forbidden. You can clarify your code by moving both the view and the inplace either both inside the inference_mode block (if you don't want the inplace to be tracked) or both outside (if you want the inplace to be tracked)."
    static let inferenceVersion = "Inference tensors do not track version counter."
    static let anomalyHint = "Hint: enable anomaly detection to find the operation that failed to compute its gradient, with torch.autograd.set_detect_anomaly(True, check_nan=False)."
}
