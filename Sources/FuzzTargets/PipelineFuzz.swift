import Foundation
import JSONValues
import Manifests
import Pipelines

/// Reads the input as a pipeline file (`PipelineFile.parse`, local paths relative to a directory with the examples' manifests) and expands it.
///
/// A file that reads must expand to a plan the manager accepts as it is
/// (`PipelinePlan.problem` nil, every Git reference within `GitSource`'s
/// rules), whose JSON reads back the same. A file that does not read must
/// say why with at least one problem, each naming the file.
public func fuzzPipeline(_ bytes: [UInt8]) {
    do {
        let file = try PipelineFile.parse(text(bytes), file: "fuzz.yaml", baseDirectory: fuzzPipelineDirectory)
        let plan = PipelinePlan(file)
        fuzzCheck(plan.problem == nil, "a pipeline that read expands to a plan the manager refuses: \(plan.problem ?? "")")
        for step in plan.steps {
            fuzzCheck(GitSource.problem(inPayload: step.payload) == nil, "step \(step.id) carries a Git reference outside the rules")
        }
        let encoded = (try? JSONEncoder().encode(plan)) ?? Data()
        let decoded = try? JSONDecoder().decode(PipelinePlan.self, from: encoded)
        fuzzCheck(decoded == plan, "the plan changes when its JSON is read back")
    } catch let e as ManifestErrors {
        fuzzCheck(!e.errors.isEmpty, "parse threw ManifestErrors without a problem")
        for problem in e.errors { fuzzCheck(problem.file == "fuzz.yaml", "a problem names another file: \(problem)") }
        _ = e.description
    } catch {
        fuzzCheck(false, "parse threw something other than ManifestErrors: \(error)")
    }
}

/// A directory holding `manifests/td.yaml` and `manifests/svc.yaml`, that fuzzed pipelines' local paths are read against
/// (one for every fuzzing process: the same two files, written again by each).
let fuzzPipelineDirectory: String = {
    let dir = NSTemporaryDirectory() + "ecs-delegate-fuzz-pipeline"
    try? FileManager.default.createDirectory(atPath: dir + "/manifests", withIntermediateDirectories: true)
    FileManager.default.createFile(atPath: dir + "/manifests/td.yaml", contents: Data("family: web\ncontainerDefinitions: [{name: web, image: <+artifact.image>}]\n".utf8))
    FileManager.default.createFile(atPath: dir + "/manifests/svc.yaml", contents: Data("serviceName: myapp\ndesiredCount: 2\n".utf8))
    return dir
}()
