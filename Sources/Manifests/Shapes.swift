import DelegateProtocol
import Foundation

/// One AWS API shape, as the API model describes it (only what validation needs).
public indirect enum Shape: Sendable, Equatable {
    case structure(members: [String: String], required: [String])
    case list(member: String)
    case map(key: String, value: String)
    case string(enumValues: [String]?)
    case integer, long, double, float, boolean, timestamp, blob
}

/// The input shapes of the APIs the delegate calls, loaded once from the generated model.
public struct ShapeModel: Sendable {
    /// Shapes by name.
    public let shapes: [String: Shape]

    /// The ECS model.
    public static let ecs = ShapeModel(service: "ecs")
    /// The Application Auto Scaling model.
    public static let autoScaling = ShapeModel(service: "application-autoscaling")

    init(service: String) {
        var out: [String: Shape] = [:]
        if let data = awsShapesJSON.data(using: .utf8),
           let root = try? JSONSerialization.jsonObject(with: data) as? [String: Any],
           let svc = root[service] as? [String: Any],
           let shapes = svc["shapes"] as? [String: [String: Any]] {
            for (name, s) in shapes {
                switch s["t"] as? String {
                case "structure": out[name] = .structure(members: s["members"] as? [String: String] ?? [:], required: s["required"] as? [String] ?? [])
                case "list": out[name] = .list(member: s["member"] as? String ?? "")
                case "map": out[name] = .map(key: s["key"] as? String ?? "", value: s["value"] as? String ?? "")
                case "string": out[name] = .string(enumValues: s["enum"] as? [String])
                case "integer": out[name] = .integer
                case "long": out[name] = .long
                case "double": out[name] = .double
                case "float": out[name] = .float
                case "boolean": out[name] = .boolean
                case "timestamp": out[name] = .timestamp
                default: out[name] = .blob
                }
            }
        }
        self.shapes = out
    }

    /// The members of a structure shape.
    public func members(of name: String) -> [String: String] {
        if case .structure(let m, _)? = shapes[name] { return m }
        return [:]
    }
}
