import AWSCore
import DelegateProtocol
import HTTPClient
import Testing
@testable import ECSSteps

/// A failed AWS call's task error code names what AWS answered, bounded, whatever the answer held.
@Suite struct AWSFailureTests {
    @Test func anAnsweredErrorKeepsItsCode() {
        let denied = AWSError(service: "ECS", operation: "UpdateService", code: "AccessDeniedException", message: "not authorized", status: 400)
        #expect(AWSFailure.code(denied) == "aws.AccessDeniedException")
        let throttled = AWSError(service: "ECS", operation: "DescribeServices", code: "ThrottlingException", message: "Rate exceeded", status: 400)
        let error = AWSFailure.taskError(throttled, context: "preparing rollback data failed", suffix: "; nothing was changed in AWS")
        #expect(error.code == "aws.ThrottlingException")
        #expect(error.message == "preparing rollback data failed: ThrottlingException: Rate exceeded; nothing was changed in AWS")
    }

    @Test func ourSideAndNoAnswerHaveCodesOfTheirOwn() {
        #expect(AWSFailure.code(AWSClientError(.noCredentials, "none")) == "aws.NoCredentials")
        #expect(AWSFailure.code(AWSClientError(.invalidResponse, "bad XML")) == "aws.InvalidResponse")
        #expect(AWSFailure.code(HTTPClientError(.connect, "refused")) == "aws.Unreachable")
        #expect(AWSFailure.code(HTTPClientError(.timeout, "slow")) == "aws.Unreachable")
        #expect(AWSFailure.code(HTTPClientError(.tooLarge, "big")) == "aws")
        #expect(AWSFailure.code(CancellationError()) == "aws")
    }

    /// The code comes from the answer: it is kept to 64 safe characters.
    @Test func anUntrustedCodeIsBoundedAndPlain() {
        let odd = AWSError(service: "ECS", operation: "X", code: "Bad Code\n<script>" + String(repeating: "A", count: 500), message: "", status: 400)
        let code = AWSFailure.code(odd)
        #expect(code.hasPrefix("aws.Bad_Code__script_"))
        #expect(code.count == 4 + AWSError.maxCodeLength)
        #expect(code.allSatisfy { $0.isLetter || $0.isNumber || "._-".contains($0) })
        #expect(AWSFailure.code(AWSError(service: "ECS", operation: "X", code: "", message: "", status: 400)) == "aws.Unknown")
    }
}
