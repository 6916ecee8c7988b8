/// The element types gradsh tensors can hold, mirroring PyTorch's float32, int64 and bool.
package enum DType: Int, Sendable, CaseIterable, Comparable {
    case bool = 0
    case int64 = 1
    case float32 = 2

    package static func < (a: DType, b: DType) -> Bool { a.rawValue < b.rawValue }

    /// Bytes per element.
    package var itemSize: Int {
        switch self {
        case .bool: return 1
        case .int64: return 8
        case .float32: return 4
        }
    }

    package var isFloatingPoint: Bool { self == .float32 }

    /// The name PyTorch prints: `torch.float32`.
    package var torchName: String { "torch." + name }

    /// The short name used in JSON and in `dtype=` arguments.
    package var name: String {
        switch self {
        case .bool: return "bool"
        case .int64: return "int64"
        case .float32: return "float32"
        }
    }

    /// The legacy type name PyTorch uses in autograd error messages (`torch.FloatTensor`).
    package var legacyTypeName: String {
        switch self {
        case .bool: return "torch.BoolTensor"
        case .int64: return "torch.LongTensor"
        case .float32: return "torch.FloatTensor"
        }
    }

    /// The scalar type name in PyTorch's messages (`Float`, `Long`, `Bool`).
    package var scalarTypeName: String {
        switch self {
        case .bool: return "Bool"
        case .int64: return "Long"
        case .float32: return "Float"
        }
    }

    /// Looks a dtype up by any of the names PyTorch accepts for it.
    package init?(name: String) {
        var n = name
        if n.hasPrefix("torch.") { n.removeFirst(6) }
        switch n {
        case "float32", "float": self = .float32
        case "int64", "long": self = .int64
        case "bool": self = .bool
        default: return nil
        }
    }
}

/// A Python number: what a literal or `item()` yields, and what ops accept beside tensors.
package enum Scalar: Sendable, Equatable {
    case bool(Bool)
    case int(Int64)
    case float(Double)

    package var dtype: DType {
        switch self {
        case .bool: return .bool
        case .int: return .int64
        case .float: return .float32
        }
    }

    package var doubleValue: Double {
        switch self {
        case .bool(let b): return b ? 1 : 0
        case .int(let i): return Double(i)
        case .float(let d): return d
        }
    }

    package var int64Value: Int64 {
        switch self {
        case .bool(let b): return b ? 1 : 0
        case .int(let i): return i
        case .float(let d): return d.isFinite && abs(d) < 9.2e18 ? Int64(d) : 0
        }
    }

    /// The value as stored in a tensor of `dtype`, refused as PyTorch refuses it (its
    /// checked_convert) when it does not fit: NaN or past 2**63 for int64, finite but past
    /// float32's range for float32.
    package func checked(for dtype: DType) throws -> Scalar {
        guard case .float(let d) = self else { return self }
        switch dtype {
        case .int64:
            guard d.isFinite, d >= -9223372036854775808.0, d < 9223372036854775808.0 else {
                throw TensorError.runtime("value cannot be converted to type int64_t without overflow")
            }
        case .float32:
            if d.isFinite && abs(d) > Double(Float.greatestFiniteMagnitude) {
                throw TensorError.runtime("value cannot be converted to type float without overflow")
            }
        case .bool: break
        }
        return self
    }

    package var boolValue: Bool {
        switch self {
        case .bool(let b): return b
        case .int(let i): return i != 0
        case .float(let d): return d != 0
        }
    }
}

/// The element types a storage buffer can be viewed as.
package protocol TensorElement {
    static var dtype: DType { get }
    init(scalar: Scalar)
    var scalar: Scalar { get }
}

extension Float: TensorElement {
    package static var dtype: DType { .float32 }
    package init(scalar: Scalar) { self = Float(scalar.doubleValue) }
    package var scalar: Scalar { .float(Double(self)) }
}

extension Int64: TensorElement {
    package static var dtype: DType { .int64 }
    package init(scalar: Scalar) { self = scalar.int64Value }
    package var scalar: Scalar { .int(self) }
}

extension Bool: TensorElement {
    package static var dtype: DType { .bool }
    package init(scalar: Scalar) { self = scalar.boolValue }
    package var scalar: Scalar { .bool(self) }
}
