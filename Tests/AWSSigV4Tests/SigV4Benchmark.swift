import Foundation
import Testing
import AWSSigV4

/// Prints signatures per second for a typical ECS DescribeServices request.
///
/// Runs only when `BENCH=1` (see Benchmarks/sigv4-bench); it asserts nothing about timing.
@Suite("SigV4Benchmark")
struct SigV4Benchmark {
    @Test func describeServicesSignaturesPerSecond() {
        guard ProcessInfo.processInfo.environment["BENCH"] == "1" else { return }
        let seconds = Double(ProcessInfo.processInfo.environment["BENCH_SECONDS"] ?? "") ?? 3
        let signer = SigV4Signer(
            credentials: AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY"),
            region: "us-east-1", service: "ecs")
        let body = Data(#"{"cluster":"production","services":["web-frontend","api-backend"],"include":["TAGS"]}"#.utf8)
        let headers: [(name: String, value: String)] = [
            ("Host", "ecs.us-east-1.amazonaws.com"),
            ("Content-Type", "application/x-amz-json-1.1"),
            ("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.DescribeServices"),
            ("Content-Length", String(body.count)),
        ]
        let date = Date(timeIntervalSince1970: 1_440_938_160)
        var count = 0
        var sink = 0
        let clock = ContinuousClock()
        let start = clock.now
        let deadline = start + .milliseconds(Int(seconds * 1000))
        while clock.now < deadline {
            for _ in 0..<1000 {
                // The body hash is part of signing a request, so it is inside the loop.
                let request = SigV4Request(method: "POST", path: "/", headers: headers, body: body)
                let signed = signer.signHeaders(request, date: date)
                sink &+= signed.signature.utf8.count
            }
            count += 1000
        }
        let elapsed = start.duration(to: clock.now)
        let secs = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
        print("sigv4-bench swift: \(Int(Double(count) / secs)) signatures/s (\(count) in \(String(format: "%.2f", secs)) s, sink \(sink % 7))")
        #expect(count > 0)
    }
}
