/// A value behind one indirection, so that a struct may hold one of its own type (assumed-role credentials' `source`); coded as the value itself.
public indirect enum Indirect<Value: Codable & Sendable & Equatable>: Codable, Sendable, Equatable {
    case value(Value)

    /// Boxes `value`.
    public init(_ value: Value) { self = .value(value) }

    /// The boxed value.
    public var value: Value {
        switch self {
        case .value(let v): return v
        }
    }

    /// Decodes the value in place (no wrapper on the wire).
    public init(from decoder: any Decoder) throws { self = .value(try Value(from: decoder)) }

    /// Encodes the value in place.
    public func encode(to encoder: any Encoder) throws { try value.encode(to: encoder) }
}
