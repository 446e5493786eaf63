import Foundation
import Logging
import LogOutput
import Synchronization
import Testing

/// `log_format: json`: one JSON object per line, whatever the message holds.
@Suite struct JSONLogHandlerTests {
    @Test func eachLineIsOneObjectWithTimeLevelMessageAndMetadata() throws {
        let lines = Mutex<[Data]>([])
        var handler = JSONLogHandler(label: "ecs-delegate", sink: LineSink { data in lines.withLock { $0.append(data) } })
        handler.logLevel = .info
        handler[metadataKey: "delegate"] = "d-1"
        var logger = Logger(label: "ecs-delegate") { _ in handler }
        logger.logLevel = .info
        logger.debug("not written")
        logger.info("two\nlines \"quoted\"", metadata: ["taskId": "task-1", "attempt": "\(2)"])
        logger.error("failed", metadata: ["error": .array(["a", "b"])])
        let written = lines.withLock { $0 }
        #expect(written.count == 2)
        #expect(written.allSatisfy { $0.last == 0x0A && $0.dropLast().firstIndex(of: 0x0A) == nil }, "one line each")
        let first = try #require(try JSONSerialization.jsonObject(with: written[0]) as? [String: Any])
        #expect(first["level"] as? String == "info" && first["label"] as? String == "ecs-delegate" && first["message"] as? String == "two\nlines \"quoted\"")
        #expect(first["metadata"] as? [String: String] == ["delegate": "d-1", "taskId": "task-1", "attempt": "2"])
        let time = try #require(first["time"] as? String)
        #expect(time.count == 24 && time.hasSuffix("Z") && time.contains("."), "\(time)")
        let second = try #require(try JSONSerialization.jsonObject(with: written[1]) as? [String: Any])
        #expect(second["level"] as? String == "error" && (second["metadata"] as? [String: String])?["error"] == Logger.MetadataValue.array(["a", "b"]).description)
    }
}
