import DelegateProtocol
import Foundation
import Hummingbird
import ManagerAPI
import ManagerCore

/// Stored connectors: list, get, create or replace, delete, and test through a matching delegate.
struct ConnectorsController: Sendable {
    let context: ManagerContext

    /// Adds the routes under `/v1`.
    func addRoutes(to v1: RouterGroup<ManagerRequestContext>) {
        v1.get("connectors") { _, _ in try await json(try context.catalog.connectors()) }
        v1.get("connectors/:name") { _, ctx in try await json(try record(try name(ctx))) }
        v1.put("connectors/:name", use: put)
        v1.delete("connectors/:name", use: delete)
        v1.post("connectors/:name/test", use: test)
    }

    /// `PUT /v1/connectors/{name}`: 201 when created, 200 when replaced; the body is the connector, its `name` the path's.
    func put(_ req: Request, _ ctx: ManagerRequestContext) async throws -> Response {
        let name = try name(ctx)
        let body: JSONValue = try await decode(req, ctx, limit: ConnectorFile.maxBytes)
        let connector: Connector
        do {
            connector = try Connector.parse(body)
        } catch {
            throw APIError(.badRequest, "invalid", "connector: \(error)")
        }
        guard connector.name == name else {
            throw APIError(.badRequest, "invalid", "member 'name' is '\(connector.name)' but the path names '\(name)'")
        }
        let created = try await context.catalog.putConnector(connector, now: Date())
        await context.audit(ctx, AuditAction.connectorApply, name, created ? "created" : "updated")
        context.logger.info(created ? "connector created" : "connector updated", metadata: ["connector": "\(name)", "delegateSelectors": "\(connector.delegateSelectors)"])
        return try await json(try record(name), status: created ? .created : .ok)
    }

    /// `DELETE /v1/connectors/{name}`; queued tasks keep the copy they were submitted with.
    func delete(_ req: Request, _ ctx: ManagerRequestContext) async throws -> Response {
        let name = try name(ctx)
        guard try await context.catalog.deleteConnector(name) else { throw notFound(name) }
        await context.audit(ctx, AuditAction.connectorDelete, name)
        context.logger.info("connector deleted", metadata: ["connector": "\(name)"])
        return try json(StatusAnswer(status: "deleted"))
    }

    /// `POST /v1/connectors/{name}/test`: queues the kind's validation task (`aws.validate`, `docker.validate`) with the connector (201), or 409 naming the tags no connected delegate has.
    func test(_ req: Request, _ ctx: ManagerRequestContext) async throws -> Response {
        let connector = try await record(try name(ctx)).connector
        let type = connector.type.validationTaskType
        let delegates = try await context.delegates.delegates(now: Date(), staleAfter: context.settings.staleAfter)
        let connected = delegates.filter { $0.state == DelegateState.connected.rawValue }
        guard connected.contains(where: { Selectors.satisfied(connector.delegateSelectors, by: $0.tags) }) else {
            let why = WaitingReason.reason(selectors: connector.delegateSelectors, type: type, connectorName: connector.name, delegates: delegates)
            throw APIError(.conflict, "no_matching_delegate", "cannot test connector \(connector.name): \(why)")
        }
        let submission = TaskSubmission(SubmitTaskRequest(type: type, selectors: [], payload: .emptyObject, timeoutSeconds: 300), connectorName: connector.name)
        let report = try await context.dispatcher.submit(submission)
        await context.audit(ctx, AuditAction.connectorTest, connector.name, "task=\(report.taskId)")
        context.wakePollers()
        return try json(report, status: .created)
    }

    /// The path's connector name, refused (400) when it breaks the naming rule.
    private func name(_ ctx: ManagerRequestContext) throws -> String {
        let name = try ctx.parameters.require("name")
        if let why = ResourceName.problem(name) { throw APIError(.badRequest, "invalid", "connector name: \(why)") }
        return name
    }

    /// The stored connector `name`, or a 404.
    private func record(_ name: String) async throws -> ConnectorRecord {
        guard let r = try await context.catalog.connector(name) else { throw notFound(name) }
        return r
    }

    /// The 404 for an unknown connector.
    private func notFound(_ name: String) -> APIError {
        APIError(.notFound, "not_found", "no connector \(name)")
    }
}
