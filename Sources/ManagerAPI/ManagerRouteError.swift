/// Why a route could not be built from its arguments.
public enum ManagerRouteError: Error, Sendable, Equatable, CustomStringConvertible {
    /// The template has a different number of parameters.
    case argumentCount(ManagerEndpoint, expected: Int, got: Int)
    /// A path parameter was empty, which would name another route.
    case emptyArgument(ManagerEndpoint, parameter: String)

    /// The route and what was wrong with its arguments.
    public var description: String {
        switch self {
        case .argumentCount(let e, let expected, let got): return "\(e.route): \(got) path arguments given, \(expected) expected"
        case .emptyArgument(let e, let parameter): return "\(e.route): the \(parameter) must not be empty"
        }
    }
}
