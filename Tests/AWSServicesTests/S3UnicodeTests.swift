import AWSCore
import AWSServices
import AWSSigV4
import Foundation
import TestSupport
import HTTPClient
import Logging
import Testing

@Suite("S3 keys with spaces and Unicode", .timeLimit(.minutes(2)))
struct S3UnicodeTests {
    @Test func s3UnicodeKeys() async throws {
        // moto without signature checks: the key's encoding on the wire round-trips.
        let moto = try await MotoServer()
        defer { moto.stop() }
        let client = AWSClient(
            credentialProvider: StaticCredentialProvider(AWSCredentials(accessKeyId: "AKIAEXAMPLE", secretAccessKey: "secret")),
            httpClient: HTTPClient(),
            configuration: AWSClientConfiguration(region: "us-east-1", serviceEndpoints: ["S3": moto.url], environment: [:]),
            logger: Logger(label: "s3-test"))
        let s3 = S3(client: client)
        let bucket = "unicode-bucket"
        let key = "releases/v1 beta/manifest ü ✓ é (1)+x.json"
        let payload = Data("héllo wörld".utf8)
        let bucketLocation = try s3.location(bucket: bucket, key: "")
        _ = try await client.restCall(service: .s3, operation: "CreateBucket", method: "PUT", endpoint: bucketLocation.endpoint, path: "/\(bucket)")
        let location = try s3.location(bucket: bucket, key: key)
        #expect(location.path == "/unicode-bucket/releases/v1%20beta/manifest%20%C3%BC%20%E2%9C%93%20%C3%A9%20%281%29%2Bx.json")
        _ = try await client.restCall(service: .s3, operation: "PutObject", method: "PUT", endpoint: location.endpoint, path: location.path, body: payload)
        let object = try await s3.getObject(bucket: bucket, key: key)
        #expect(object.body == payload)
        #expect(object.contentType == "application/octet-stream")
        await #expect {
            _ = try await s3.getObject(bucket: bucket, key: "releases/missing ü.json")
        } throws: { e in
            (e as? AWSError)?.code == "NoSuchKey" && (e as? AWSError)?.status == 404
        }
    }
}

@Suite("Cross-check with botocore's signer", .timeLimit(.minutes(3)))
struct BotocoreCrossCheckTests {
    /// Signs the same requests with botocore (SigV4Auth, S3SigV4Auth) at a fixed date.
    static let script = #"""
        import datetime, json, sys
        from unittest import mock
        import botocore.auth
        from botocore.awsrequest import AWSRequest
        from botocore.credentials import Credentials
        creds = Credentials("AKIDEXAMPLE", "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", "session-token-1")
        fixed = datetime.datetime(2024, 2, 29, 23, 59, 1)
        out = {}
        with mock.patch("botocore.auth.get_current_datetime", return_value=fixed):
            r = AWSRequest(method="GET", url="https://unicode-bucket.s3.eu-west-1.amazonaws.com/releases/v1%20beta/manifest%20%C3%BC%20%E2%9C%93%20%C3%A9%20%281%29%2Bx.json?versionId=a%2Fb")
            botocore.auth.S3SigV4Auth(creds, "s3", "eu-west-1").add_auth(r)
            out["s3"] = r.headers["Authorization"]
            body = b'{"cluster":"prod","services":["web"],"include":["TAGS"]}'
            r = AWSRequest(method="POST", url="https://ecs.eu-west-1.amazonaws.com/", data=body, headers={
                "Content-Type": "application/x-amz-json-1.1",
                "X-Amz-Target": "AmazonEC2ContainerServiceV20141113.DescribeServices"})
            botocore.auth.SigV4Auth(creds, "ecs", "eu-west-1").add_auth(r)
            out["ecs"] = r.headers["Authorization"]
        print(json.dumps(out))
        """#

    @Test func sameSignaturesAsBotocore() async throws {
        let script = Self.script
        // Python and botocore start on a thread of their own, not one of the test process's two concurrency threads.
        let (status, data) = try await onOwnThread {
            let process = Process()
            process.executableURL = URL(fileURLWithPath: "/usr/bin/env")
            process.arguments = ["python3", "-c", script]
            let pipe = Pipe()
            process.standardOutput = pipe
            process.standardError = FileHandle.nullDevice
            try process.run()
            let data = pipe.fileHandleForReading.readDataToEndOfFile()
            process.waitUntilExit()
            return (process.terminationStatus, data)
        }
        guard status == 0 else {
            // botocore is not installed here: nothing to compare with.
            return
        }
        let expected = try JSONValue(parsing: data)
        let credentials = AWSCredentials(accessKeyId: "AKIDEXAMPLE", secretAccessKey: "wJalrXUtnFEMI/K7MDENG+bPxRfiCYEXAMPLEKEY", sessionToken: "session-token-1")
        let date = ISO8601DateFormatter().date(from: "2024-02-29T23:59:01Z") ?? Date()

        let (endpoint, path) = try EndpointResolver.s3Object(
            bucket: "unicode-bucket", key: "releases/v1 beta/manifest ü ✓ é (1)+x.json", region: "eu-west-1", environment: [:])
        let s3 = SigV4Signer(credentials: credentials, region: "eu-west-1", service: "s3", options: .s3)
            .signHeaders(SigV4Request(method: "GET", path: path, query: "versionId=a%2Fb", headers: [("Host", endpoint.host)]), date: date)
        #expect(s3.headers.first { $0.name == "Authorization" }?.value == expected["s3"]?.stringValue)

        let body = Data(#"{"cluster":"prod","services":["web"],"include":["TAGS"]}"#.utf8)
        let ecs = SigV4Signer(credentials: credentials, region: "eu-west-1", service: "ecs").signHeaders(
            SigV4Request(method: "POST", path: "/", headers: [
                ("Host", "ecs.eu-west-1.amazonaws.com"), ("Content-Type", "application/x-amz-json-1.1"),
                ("X-Amz-Target", "AmazonEC2ContainerServiceV20141113.DescribeServices"),
            ], body: body), date: date)
        #expect(ecs.headers.first { $0.name == "Authorization" }?.value == expected["ecs"]?.stringValue)
    }
}
