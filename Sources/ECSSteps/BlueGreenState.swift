import DelegateProtocol
import Foundation

/// What a blue/green rollback restores: both routes as they were, and both services' counts.
struct BlueGreenSnapshot: Codable, Sendable, Equatable {
    /// The service definition's name, without the `__1`/`__2` suffix.
    var baseName: String
    var cluster: String
    var prod: BlueGreenRoute
    var stage: BlueGreenRoute
    /// The blue (live) service before the deployment, if there was one.
    var oldServiceName: String?
    var oldDesiredCount: Int?
    /// The service the deployment creates or updates.
    var newServiceName: String
    /// Whether the new service's name was ACTIVE before (an idle one from an earlier deployment): rollback scales it back instead of deleting it.
    var newServiceExisted: Bool
    var newDesiredCount: Int?
    var isFirstDeployment: Bool
}

/// The names and tags of the two blue/green services.
enum BlueGreenNames {
    /// The tag that says which service takes production traffic.
    static let tagKey = "BG_VERSION"
    static let blue = "BLUE"
    static let green = "GREEN"

    /// `myapp__1` and `myapp__2`.
    static func candidates(_ base: String) -> [String] { [base + "__1", base + "__2"] }

    /// The name without its blue/green suffix.
    static func base(of name: String) -> String {
        for suffix in ["__1", "__2"] where name.hasSuffix(suffix) { return String(name.dropLast(suffix.count)) }
        return name
    }

    /// The other suffix's name.
    static func other(_ name: String) -> String {
        let base = base(of: name)
        return name == base + "__1" ? base + "__2" : base + "__1"
    }
}
