import AWSSigV4
import Foundation
#if canImport(Glibc)
import Glibc
#endif

// sigv4-bench: signatures per second for a typical ECS DescribeServices request (Benchmarks/sigv4-bench runs it against
// botocore). Prints figures; asserts nothing. BENCH_SECONDS=S signs for S seconds (3); BENCH_COUNT=N signs exactly N
// requests (for instruction counting under valgrind).

/// CPU time of the calling thread, so a busy machine skews the figure less than wall time.
func threadCPUSeconds() -> Double {
    var ts = timespec()
    clock_gettime(CLOCK_THREAD_CPUTIME_ID, &ts)
    return Double(ts.tv_sec) + Double(ts.tv_nsec) / 1e9
}

let seconds = Double(ProcessInfo.processInfo.environment["BENCH_SECONDS"] ?? "").flatMap { $0.isFinite ? min(max($0, 0.1), 3600) : nil } ?? 3
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
let cpuStart = threadCPUSeconds()
let start = clock.now
let deadline = start + .milliseconds(Int(seconds * 1000))
let fixedCount = Int(ProcessInfo.processInfo.environment["BENCH_COUNT"] ?? "").map { min(max($0, 1), 1_000_000_000) }
while fixedCount.map({ count < $0 }) ?? (clock.now < deadline) {
    for _ in 0..<1000 {
        // The body hash is part of signing a request, so it is inside the loop.
        let request = SigV4Request(method: "POST", path: "/", headers: headers, body: body)
        let signed = signer.signHeaders(request, date: date)
        sink &+= signed.signature.utf8.count
    }
    count += 1000
}
let elapsed = start.duration(to: clock.now)
let cpu = threadCPUSeconds() - cpuStart
let secs = Double(elapsed.components.seconds) + Double(elapsed.components.attoseconds) / 1e18
print("sigv4-bench swift: \(Int(Double(count) / secs)) signatures/s (\(count) in \(String(format: "%.2f", secs)) s wall; \(Int(Double(count) / cpu)) per CPU-second; sink \(sink % 7))")
