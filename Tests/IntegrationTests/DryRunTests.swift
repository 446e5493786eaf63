import Foundation
import Testing

/// `ecs-manager run FILE --dry-run` prints each example pipeline's expanded steps and runs nothing (no manager is listening).
@Suite struct DryRunTests {
    @Test(arguments: [
        ("rolling.yaml", 1), ("canary.yaml", 3), ("bluegreen.yaml", 2), ("traffic-shift.yaml", 4), ("run-task.yaml", 1), ("steps.yaml", 3),
        ("bluegreen-gated.yaml", 5), ("canary-baked.yaml", 4),
    ])
    func everyExamplePrintsItsStepsWithoutAManager(file: String, steps: Int) async throws {
        let dir = try Scratch("dryrun")
        let path = repoRoot + "/Config/examples/pipelines/" + file
        // A manager URL nobody listens on: a dry run must not need one.
        let run = try Child(binDir + "/ecs-manager", ["run", path, "--dry-run", "--manager", "http://127.0.0.1:9"], dir: dir, name: "dry-run")
        #expect(await run.wait(timeout: .seconds(120)) == 0, "\(run.stderr)")
        let lines = run.stdout.split(separator: "\n")
        #expect(lines.first?.hasPrefix("pipeline ") == true && lines.first?.contains("\(steps) step") == true, "\(run.stdout)")
        #expect(lines.filter { $0.first?.isNumber == true }.count == steps, "\(run.stdout)")
    }
}
