import JSONValues
import Testing
import YAMLSupport

/// `-o yaml` writes what a YAML reader reads back as the same JSON, strings that look like other things included.
@Suite struct YAMLEmitterTests {
    func roundTrip(_ value: JSONValue) throws -> JSONValue? {
        try YAMLValues.compose(try YAMLEmitter.emit(value)).map(YAMLValues.json)
    }

    @Test func aDocumentReadsBackAsItself() throws {
        let value: JSONValue = .object([
            "taskId": "task-1", "count": 3, "ratio": 0.25, "ok": true, "none": .null, "empty": .array([]), "nothing": .object([:]),
            "nested": .object(["list": .array(["a", 1, .object(["k": "v"])])]),
            "tricky": .array(["true", "no", "on", "null", "~", "", "0123", "1e3", "-5", ".5", " padded ", "a: b", "# not a comment", "line\nbreak", "ünïcode"]),
        ])
        #expect(try roundTrip(value) == value)
    }

    @Test func outputIsBlockStyleWithPlainScalarsWhereSafe() throws {
        let text = try YAMLEmitter.emit(.object(["b": "plain", "a": .array([1, "yes"])]))
        #expect(text == "a:\n- 1\n- \"yes\"\nb: plain\n", "\(text)")
    }
}
