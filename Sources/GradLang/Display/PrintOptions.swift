import GradCore

/// `torch.set_printoptions`: how tensors print (`torch/_tensor_str.py`'s PRINT_OPTS). Set
/// from a program or with `:set print ...`; it lasts for the session, as in PyTorch.
package struct PrintOptions: Equatable, Sendable {
    package var precision = 4
    /// Tensors with more elements than this are summarised with `...`.
    package var threshold = 1000
    /// Items shown at each end of a summarised dimension.
    package var edgeItems = 3
    package var lineWidth = 80
    /// nil: scientific notation when the values call for it, as PyTorch decides.
    package var sciMode: Bool?

    package static let standard = PrintOptions()

    /// The options now in effect on this thread (the one that evaluates).
    private static let local = ThreadLocal<PrintOptions> { PrintOptions() }
    package static var current: PrintOptions {
        get { local.value }
        set { local.value = newValue }
    }

    /// PyTorch's profiles: `default`, `short` and `full`.
    package static func profile(_ name: String) -> PrintOptions? {
        switch name {
        case "default": return PrintOptions()
        case "short": return PrintOptions(precision: 2, threshold: 1000, edgeItems: 2, lineWidth: 80)
        case "full": return PrintOptions(precision: 4, threshold: Int.max, edgeItems: 3, lineWidth: 80)
        default: return nil
        }
    }

    /// `precision=4, threshold=1000, edgeitems=3, linewidth=80, sci_mode=None`.
    package var summary: String {
        let limit = threshold == Int.max ? "inf" : String(threshold)
        let sci = sciMode.map { $0 ? "True" : "False" } ?? "None"
        return "precision=\(precision), threshold=\(limit), edgeitems=\(edgeItems), linewidth=\(lineWidth), sci_mode=\(sci)"
    }

    /// Sets one option by its PyTorch name, as `:set print NAME VALUE` and keyword
    /// arguments give it; throws PyTorch-like errors for bad values.
    package mutating func set(_ name: String, to value: Value) throws {
        switch name {
        case "precision": precision = try Self.count(value, name, upTo: 30)
        case "threshold":
            if case .float(let d) = value, d.isInfinite, d > 0 { threshold = Int.max } else { threshold = try Self.count(value, name, upTo: Int.max) }
        case "edgeitems": edgeItems = try Self.count(value, name, upTo: 1000)
        case "linewidth": lineWidth = try Self.count(value, name, upTo: 100_000)
        case "sci_mode": sciMode = value.isNone ? nil : try value.asBool("sci_mode")
        default:
            throw GradError.type("set_printoptions() got an unexpected keyword argument '\(name)'")
        }
    }

    private static func count(_ value: Value, _ name: String, upTo limit: Int) throws -> Int {
        let n = try value.asInt(name)
        guard n >= 0 else { throw GradError.value("\(name) must be a non-negative integer (got \(n))") }
        guard n <= limit else { throw GradError.value("\(name) must be at most \(limit) (got \(n))") }
        return n
    }

    static func register(_ add: (String, @escaping Builtins.Body) -> Void) {
        add("set_printoptions") { args, _ in
            let names = ["precision", "threshold", "edgeitems", "linewidth", "profile", "sci_mode"]
            let b = try args.bind(names)
            var options = current
            if let profile = b[4], !profile.isNone {
                let name = try profile.asString("profile")
                guard let chosen = PrintOptions.profile(name) else {
                    throw GradError.value("profile must be one of 'default', 'short' or 'full' (got '\(name)')")
                }
                options = chosen
            }
            for (i, name) in names.enumerated() where i != 4 {
                // sci_mode=None means "automatic" only when given; left out, it stays.
                if let v = b[i], !(v.isNone && name != "sci_mode") { try options.set(name, to: v) }
            }
            current = options
            return .none
        }
    }
}
