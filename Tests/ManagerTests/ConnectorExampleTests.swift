import Foundation
import ManagerCore
import Testing

/// The connector examples in Config/examples/connectors.
@Suite struct ConnectorExampleTests {
    static let directory = URL(fileURLWithPath: #filePath).deletingLastPathComponent().deletingLastPathComponent().deletingLastPathComponent()
        .appendingPathComponent("Config/examples/connectors").path

    @Test func everyExampleConnectorReads() throws {
        let files = try FileManager.default.contentsOfDirectory(atPath: Self.directory).filter { $0.hasSuffix(".yaml") }.sorted()
        #expect(files == ["aws-assume-role.yaml", "aws-prod.yaml", "aws-tutorial.yaml", "docker-registry.yaml", "local-registry.yaml"])
        for file in files {
            let path = Self.directory + "/" + file
            let c = try ConnectorFile.parse(try String(contentsOfFile: path, encoding: .utf8), file: path)
            #expect(!c.delegateSelectors.isEmpty, "\(file)")
        }
    }
}
