import DelegateProtocol
import Foundation
import Manifests
import Testing

/// Manifests and variables from an attacker or a slip of the keyboard: every one ends in a clear error, none in a trap or a hang.
@Suite struct HostileManifestTests {
    let renderer = ManifestRenderer(variables: ["artifact": ["image": "nginx:perl"]])

    func problems(_ text: String, kind: ManifestKind = .taskDefinition, renderer: ManifestRenderer? = nil) -> String {
        do {
            _ = try (renderer ?? self.renderer).render(text, file: "td.yaml", kind: kind)
            return ""
        } catch {
            return "\(error)"
        }
    }

    @Test func integersOutOfRangeNameFileLineColumnAndRange() throws {
        let text = problems("""
            family: web
            containerDefinitions:
            - name: a
              image: nginx
              memory: 99999999999999999999
              memoryReservation: 1e300
              cpu: 3000000000
            """)
        #expect(text.contains("td.yaml:5:11: containerDefinitions[0].memory: expected an integer from -2147483648 to 2147483647, got '99999999999999999999'"))
        #expect(text.contains("td.yaml:6:22: containerDefinitions[0].memoryReservation: expected an integer from -2147483648 to 2147483647, got '1e300'"))
        #expect(text.contains("td.yaml:7:8: containerDefinitions[0].cpu: expected an integer from -2147483648 to 2147483647, got '3000000000'"))
    }

    @Test func hugeNumbersInStringMembersKeepTheirWrittenForm() throws {
        let r = try renderer.render("family: 1e20\ncontainerDefinitions: []\n", file: "td.yaml", kind: .taskDefinition)
        #expect(r.body["family"] == "1e20")
    }

    @Test func numericVariablesOfAnySizeRenderWithoutTrapping() throws {
        for n in [1e20, -1e300, 9.3e18, .infinity] {
            let r = ManifestRenderer(variables: ["artifact": ["image": .number(n)]])
            let out = try r.render("family: web\ncontainerDefinitions:\n- name: a\n  image: <+artifact.image>\n", file: "td.yaml", kind: .taskDefinition)
            #expect(out.body["containerDefinitions"]?[0]?["image"] == .string(UntrustedNumber.text(n)))
        }
        let bad = problems("family: web\ncontainerDefinitions:\n- name: a\n  image: x\n  cpu: <+artifact.image>\n", renderer: ManifestRenderer(variables: ["artifact": ["image": 1e20]]))
        #expect(bad.contains("cpu: expected an integer from -2147483648 to 2147483647, got 1e+20"))
    }

    @Test func nonFiniteDoublesAreRefused() {
        let text = problems("PolicyName: p\nServiceNamespace: ecs\nScalableDimension: ecs:service:DesiredCount\nTargetTrackingScalingPolicyConfiguration:\n  TargetValue: 1e400\n", kind: .scalingPolicy)
        #expect(text.contains("TargetValue: expected a finite number, got '1e400'"))
    }

    /// Ten aliases a level, thirty levels: 10^30 values from 2 KB.
    func aliasBomb(tail: String) -> String {
        var s = "a0: &a0 [x, x, x, x, x, x, x, x, x, x]\n"
        for i in 1..<30 { s += "a\(i): &a\(i) [" + Array(repeating: "*a\(i - 1)", count: 10).joined(separator: ", ") + "]\n" }
        return s + tail
    }

    @Test func aliasBombsAsValuesStopAtTheNodeLimit() {
        let text = problems(aliasBomb(tail: "family: *a29\n"))
        #expect(text.contains("expands to more than 100000 values"))
    }

    @Test func aliasBombsAsMappingKeysStopBeforeComposing() {
        // Yams hashes keys to find duplicates: without the check this never returns.
        let text = problems(aliasBomb(tail: "? *a29\n: 1\nb: 2\n"))
        #expect(text.contains("expands to more than 100000 values"))
    }

    @Test func ordinaryAnchorsStillWork() throws {
        let r = try renderer.render("""
            family: web
            containerDefinitions:
            - name: a
              image: nginx
              environment: &env
              - name: A
                value: "1"
            - name: b
              image: busybox
              environment: *env
            """, file: "td.yaml", kind: .taskDefinition)
        #expect(r.body["containerDefinitions"]?[1]?["environment"] == [["name": "A", "value": "1"]])
    }

    @Test func oversizedAndOverlyDeepManifestsAreRefused() {
        let big = "family: web\ncontainerDefinitions: []\n# " + String(repeating: "x", count: 1 << 20) + "\n"
        #expect(problems(big).contains("the limit is 1048576 bytes"))
        let deep = "family: " + String(repeating: "[", count: 100) + String(repeating: "]", count: 100) + "\n"
        #expect(problems(deep).contains("nests deeper than 64 levels"))
        let deeper = "family: " + String(repeating: "[", count: 100_000) + String(repeating: "]", count: 100_000) + "\n"
        #expect(problems(deeper).contains("syntax error"))
    }
}
