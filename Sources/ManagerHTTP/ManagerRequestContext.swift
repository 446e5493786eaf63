import Hummingbird
import ManagerCore

/// The manager's request context: Hummingbird's core storage and the caller the authorization middleware found.
struct ManagerRequestContext: RequestContext {
    var coreContext: CoreRequestContextStorage
    /// Who sent the request; set by `Authorization` before any handler runs.
    var principal: Principal?

    /// Creates the context for a request from `source`.
    init(source: ApplicationRequestContextSource) {
        coreContext = .init(source: source)
    }
}
