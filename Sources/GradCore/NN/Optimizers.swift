import Foundation

/// Optimizers. Their updates run without recording, one in-place update per parameter
/// per step, so every `step()` bumps each parameter's version by exactly one.
package class Optimizer {
    package let parameters: [Tensor]
    package let learningRate: Double

    init(parameters: [Tensor], learningRate: Double) throws {
        guard learningRate >= 0 else { throw TensorError.value("Invalid learning rate: \(learningRate)") }
        guard !parameters.isEmpty else { throw TensorError.value("optimizer got an empty parameter list") }
        self.parameters = parameters
        self.learningRate = learningRate
    }

    package var typeName: String { "Optimizer" }
    package var settings: [(String, String)] { [("lr", formatPythonFloat(learningRate))] }

    /// `opt.zero_grad()`: gradients back to None.
    package func zeroGrad() {
        for p in parameters { p.grad = nil }
    }

    package func step() throws {
        try GradModeState.withGradMode(.noGrad) {
            for (i, p) in parameters.enumerated() {
                guard let g = p.grad else { continue }
                let update = try self.update(for: i, parameter: p, gradient: g)
                _ = try p.subInPlace(update)
            }
        }
    }

    /// The amount to subtract from parameter `i` this step.
    func update(for i: Int, parameter: Tensor, gradient: Tensor) throws -> Tensor { gradient }

    /// PyTorch's optimizer repr.
    package var repr: String {
        var lines = ["\(typeName) (", "Parameter Group 0"]
        for (k, v) in settings { lines.append("    \(k): \(v)") }
        lines.append(")")
        return lines.joined(separator: "\n")
    }
}

/// `SGD(params, lr, momentum=0, weight_decay=0)`.
package final class SGD: Optimizer {
    package let momentum: Double
    package let weightDecay: Double
    private var buffers: [Int: Tensor] = [:]

    package init(_ parameters: [Tensor], lr: Double, momentum: Double = 0, weightDecay: Double = 0) throws {
        guard momentum >= 0 else { throw TensorError.value("Invalid momentum value: \(momentum)") }
        self.momentum = momentum
        self.weightDecay = weightDecay
        try super.init(parameters: parameters, learningRate: lr)
    }

    override package var typeName: String { "SGD" }
    override package var settings: [(String, String)] {
        [("dampening", "0"), ("lr", formatPythonFloat(learningRate)), ("momentum", momentum == 0 ? "0" : formatPythonFloat(momentum)),
         ("nesterov", "False"), ("weight_decay", weightDecay == 0 ? "0" : formatPythonFloat(weightDecay))]
    }

    override func update(for i: Int, parameter: Tensor, gradient: Tensor) throws -> Tensor {
        var d = gradient
        if weightDecay != 0 { d = try d.add(parameter.mul(Tensor.wrapping(.float(weightDecay)))) }
        if momentum != 0 {
            if let buf = buffers[i] {
                // buf = momentum * buf + d, in the buffer's own memory, as PyTorch does.
                d = try buf.mulInPlace(Tensor.wrapping(.float(momentum))).addInPlace(d)
            } else {
                let buf = try d.clone()
                let before = buffers
                StatementJournal.willChange(self) { self.buffers = before }
                buffers[i] = buf
                d = buf
            }
        }
        return try d.mul(Tensor.wrapping(.float(learningRate)))
    }
}

/// `Adam(params, lr=0.001, betas=(0.9, 0.999), eps=1e-08)`.
package final class Adam: Optimizer {
    package let beta1: Double, beta2: Double, eps: Double
    private var stepCount: [Int: Int] = [:]
    private var firstMoment: [Int: Tensor] = [:]
    private var secondMoment: [Int: Tensor] = [:]

    package init(_ parameters: [Tensor], lr: Double = 0.001, betas: (Double, Double) = (0.9, 0.999), eps: Double = 1e-8) throws {
        (beta1, beta2, self.eps) = (betas.0, betas.1, eps)
        try super.init(parameters: parameters, learningRate: lr)
    }

    override package var typeName: String { "Adam" }
    override package var settings: [(String, String)] {
        [("amsgrad", "False"), ("betas", "(\(formatPythonFloat(beta1)), \(formatPythonFloat(beta2)))"),
         ("eps", formatPythonFloat(eps)), ("lr", formatPythonFloat(learningRate)), ("weight_decay", "0")]
    }

    override func update(for i: Int, parameter: Tensor, gradient g: Tensor) throws -> Tensor {
        let t = (stepCount[i] ?? 0) + 1
        let state = (stepCount, firstMoment, secondMoment)
        StatementJournal.willChange(self) { (self.stepCount, self.firstMoment, self.secondMoment) = state }
        stepCount[i] = t
        let w = { (v: Double) in Tensor.wrapping(.float(v)) }
        let m = try (firstMoment[i] ?? Tensor.zerosLike(g)).mul(w(beta1)).add(g.mul(w(1 - beta1)))
        let v = try (secondMoment[i] ?? Tensor.zerosLike(g)).mul(w(beta2)).add(g.mul(g).mul(w(1 - beta2)))
        firstMoment[i] = m
        secondMoment[i] = v
        let correction1 = 1 - Foundation.pow(beta1, Double(t))
        let correction2 = 1 - Foundation.pow(beta2, Double(t))
        let stepSize = learningRate / correction1
        let denom = try v.sqrt().div(w(correction2.squareRoot())).add(w(eps))
        return try m.div(denom).mul(w(stepSize))
    }
}

