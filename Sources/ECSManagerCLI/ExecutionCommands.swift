import ArgumentParser
import DelegateProtocol
import Foundation
import ManagerAPI
import ManagerClient
import Manifests
import Pipelines

/// `ecs-manager run PIPELINE.yaml`: reads the pipeline (and its manifest files), starts an execution, and with --follow prints it.
struct Run: AsyncParsableCommand {
    static let configuration = CommandConfiguration(
        abstract: "Run a pipeline; with --follow, print each step's log under its heading. Exit 0 succeeded, 1 failed and rolled back (or stopped by onFailure: abort), 3 the rollback failed too; see ecs-manager --help for the rest.")
    @OptionGroup var options: ClientOptions
    @Argument(help: "The pipeline file (docs/pipelines.md).") var pipeline: String
    @Option(name: .customLong("var"), help: "A variable, a.b=value (repeatable); artifact.image=... sets the artifact.") var vars: [String] = []
    @Flag(help: "Print the execution's log as it runs, and exit with its outcome.") var follow = false
    @OptionGroup var lineFormat: LogLineFormat
    @Flag(help: "Print the steps the pipeline expands to (ids, task types, rollbacks) and run nothing.") var dryRun = false

    func run() async throws {
        guard let data = FileManager.default.contents(atPath: pipeline) else { throw ValidationError("cannot read pipeline file \(pipeline)") }
        var overrides: [String: String] = [:]
        for v in vars {
            guard let eq = v.firstIndex(of: "="), eq != v.startIndex else { throw ValidationError("--var must be NAME=VALUE, got '\(v)'") }
            overrides[String(v[..<eq])] = String(v[v.index(after: eq)...])
        }
        let file: PipelineFile
        do {
            file = try PipelineFile.parse(String(decoding: data, as: UTF8.self), file: pipeline, baseDirectory: (pipeline as NSString).deletingLastPathComponent, overrides: overrides)
        } catch let e as ManifestErrors {
            FileHandle.standardError.write(Data("\(e)\n".utf8))
            throw ExitCode(2)
        }
        let plan = PipelinePlan(file)
        if dryRun {
            print(plan.outline, terminator: "")
            return
        }
        let client = try options.client()
        let report = try await client.startExecution(StartExecutionRequest(plan: plan))
        guard follow else {
            print(report.executionId)
            return
        }
        FileHandle.standardError.write(Data("execution \(report.executionId) of \(report.pipeline): \(report.steps.joined(separator: " -> "))\n".utf8))
        let end = try await followExecution(client: client, id: report.executionId, format: lineFormat)
        if end.exitStatus != 0 { throw ExitCode(end.exitStatus) }
    }
}

/// Prints an execution's tasks' lines, each task under its heading, until it ends; returns its last report.
func followExecution(client: ManagerClient, id: String, format: LogLineFormat) async throws -> ExecutionReport {
    var shown: Set<String> = []
    /// Gates whose opening was printed.
    var announced: Set<String> = []
    while true {
        let report = try await client.execution(id)
        var waiting = false
        for run in report.runs where !shown.contains(run.key) {
            if let gate = run.gate {
                if announced.insert(run.key).inserted { say("\n== \(run.name) ==\n\(gateOpening(gate, executionId: id))") }
                guard run.status != nil else {
                    waiting = true
                    break
                }
                say(gateClosing(gate, run))
                shown.insert(run.key)
                continue
            }
            guard let taskId = run.taskId, !taskId.isEmpty else {
                if run.status != nil {
                    say("\n== \(run.isRollback ? "Rollback: " : "")\(run.name) ==\n\(run.error ?? "not started")")
                    shown.insert(run.key)
                    continue
                }
                waiting = true
                break
            }
            say("\n== \(run.isRollback ? "Rollback: " : "")\(run.name) ==")
            _ = try await followLogs(client: client, taskId: taskId, format: format)
            shown.insert(run.key)
        }
        if report.isFinished && !waiting && report.runs.allSatisfy({ shown.contains($0.key) }) {
            let outcome: String
            switch report.phase {
            case .succeeded: outcome = "succeeded"
            case .rolledBack: outcome = "failed and was rolled back: \(report.failure ?? "")"
            case .rollbackFailed: outcome = "failed, and its rollback failed too: \(report.failure ?? "")"
            case .aborted: outcome = "failed and stopped without a rollback (onFailure: abort): \(report.failure ?? ""); `ecs-manager rollback \(id)` undoes what ran"
            case .deploying, .waiting, .rollingBack: outcome = report.phase.rawValue
            }
            say("\nExecution \(id) of \(report.pipeline) \(outcome)")
            return report
        }
        try await Task.sleep(for: .milliseconds(300))
    }
}

/// What `run --follow` and `watch` print when an execution reaches a gate: what it waits for, until when, and for an approval the exact commands that decide it.
func gateOpening(_ gate: GateState, executionId id: String) -> String {
    let until = ISO8601DateFormatter().string(from: gate.deadline)
    switch gate.kind {
    case .wait:
        return "Waiting \(Int(gate.deadline.timeIntervalSince(gate.openedAt).rounded())) s, until \(until)"
    case .approval:
        return """
            Waiting for approval until \(until) (then \(gate.onTimeout == .approve ? "approved" : "rejected")): \(gate.message ?? "approve to go on")
              approve: ecs-manager approve \(id) [--comment TEXT]
              reject:  ecs-manager reject \(id) [--comment TEXT]
            """
    }
}

/// What `run --follow` and `watch` print when a gate closes: the decision, or the end of the wait.
func gateClosing(_ gate: GateState, _ run: RunReport) -> String {
    if let decision = gate.decision {
        let text = decision.summary
        return text.prefix(1).uppercased() + text.dropFirst()
    }
    if run.status == .succeeded { return "Waited until \(ISO8601DateFormatter().string(from: gate.deadline))" }
    return run.error ?? run.status?.rawValue ?? ""
}

/// Writes a line to standard output unbuffered, in order with the task lines `followLogs` writes.
func say(_ text: String) {
    FileHandle.standardOutput.write(Data((text + "\n").utf8))
}

/// `ecs-manager executions`: the recent executions.
struct Executions: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "List recent executions.")
    @OptionGroup var options: ClientOptions
    @OptionGroup var output: OutputOptions

    func run() async throws {
        let list = try await options.client().executions()
        try output.print(list) {
            Table("executions", columns: [.init(header: "ID"), .init(header: "PIPELINE"), .init(header: "PHASE"), .init(header: "CONNECTOR", wideOnly: true),
                                          .init(header: "STEPS RUN", wideOnly: true), .init(header: "LAST STEP")],
                  rows: list.map { e in
                      [e.executionId, e.pipeline, e.phase.rawValue, e.connector, "\(e.runs.count)",
                       e.runs.last.map { "\($0.name) \($0.status?.rawValue ?? "running")" } ?? "-"]
                  })
        }
    }
}

/// `ecs-manager execution get ID`.
struct ExecutionCommand: AsyncParsableCommand {
    static let configuration = CommandConfiguration(commandName: "execution", abstract: "Show one execution.", subcommands: [Get.self])

    struct Get: AsyncParsableCommand {
        static let configuration = CommandConfiguration(abstract: "Show an execution's steps and tasks.")
        @OptionGroup var options: ClientOptions
        @Argument(help: "The execution id.") var id: String
        @OptionGroup var output: OutputOptions

        func run() async throws {
            let e = try await options.client().execution(id)
            if output.format == .table || output.format == .wide {
                print("\(e.executionId)  \(e.pipeline)  connector \(e.connector)  \(e.phase.rawValue)")
                if let f = e.failure { print("failure: \(f)") }
            }
            try output.print(e) {
                Table("steps run", columns: [.init(header: "STEP"), .init(header: "TYPE"), .init(header: "TASK"), .init(header: "STATE"), .init(header: "ERROR")],
                      rows: e.runs.map { r in
                          [(r.isRollback ? "rollback " : "") + r.name, r.type.rawValue, r.taskId ?? "-", r.status?.rawValue ?? "running", r.error ?? ""]
                      })
            }
        }
    }
}

/// `ecs-manager watch ID`: follow an execution that is already running.
struct Watch: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Follow an execution's log until it ends (exit status as run --follow).")
    @OptionGroup var options: ClientOptions
    @Argument(help: "The execution id.") var id: String
    @OptionGroup var lineFormat: LogLineFormat

    func run() async throws {
        let end = try await followExecution(client: try options.client(), id: id, format: lineFormat)
        if end.exitStatus != 0 { throw ExitCode(end.exitStatus) }
    }
}

/// `ecs-manager rollback ID`: roll back a succeeded execution from the snapshots its steps kept.
struct Rollback: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Roll back a finished execution, steps in reverse order; with --follow, print it.")
    @OptionGroup var options: ClientOptions
    @Argument(help: "The execution id.") var id: String
    @Flag(help: "Print the rollback's log as it runs.") var follow = false
    @OptionGroup var lineFormat: LogLineFormat

    func run() async throws {
        let client = try options.client()
        do {
            try await client.rollbackExecution(id)
        } catch ManagerClientError.http(409, _, let message) {
            FileHandle.standardError.write(Data("\(message)\n".utf8))
            throw ExitCode(1)
        }
        guard follow else { return print("rollback of \(id) started") }
        let end = try await followExecution(client: client, id: id, format: lineFormat)
        if end.phase != .rolledBack { throw ExitCode(end.exitStatus) }
    }
}

/// What `approve` and `reject` take: the manager, the execution, and why.
struct GateDecisionOptions: ParsableArguments {
    @OptionGroup var client: ClientOptions
    @Argument(help: "The execution id.") var id: String
    @Option(help: "Why; kept with the decision and in the audit trail.") var comment: String?
}

/// `ecs-manager approve ID`: approve the approval an execution waits at.
struct Approve: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Approve the approval an execution waits at; it goes on. Needs a run or admin key.")
    @OptionGroup var decision: GateDecisionOptions

    func run() async throws { try await decideGate(decision, approved: true) }
}

/// `ecs-manager reject ID`: reject the approval an execution waits at.
struct Reject: AsyncParsableCommand {
    static let configuration = CommandConfiguration(abstract: "Reject the approval an execution waits at; what ran is rolled back. Needs a run or admin key.")
    @OptionGroup var decision: GateDecisionOptions

    func run() async throws { try await decideGate(decision, approved: false) }
}

/// Approves or rejects, printing the decision; a refusal (decided already, not waiting) is its message and exit 1.
private func decideGate(_ decision: GateDecisionOptions, approved: Bool) async throws {
    let (client, id, comment) = (try decision.client.client(), decision.id, decision.comment)
    let report: ExecutionReport
    do {
        report = approved ? try await client.approveExecution(id, comment: comment) : try await client.rejectExecution(id, comment: comment)
    } catch ManagerClientError.http(409, _, let message) {
        FileHandle.standardError.write(Data("\(message)\n".utf8))
        throw ExitCode(1)
    }
    let decided = report.runs.last { $0.gate?.decision != nil }?.gate?.decision
    print("execution \(id): \(decided?.summary ?? (approved ? "approved" : "rejected")); now \(report.phase.rawValue)")
}
