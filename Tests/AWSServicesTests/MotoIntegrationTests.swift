import AWSCore
import AWSServices
import AWSSigV4
import Foundation
import TestSupport
import HTTPClient
import Logging
import Testing

/// The service facades over one client.
struct Services {
    let client: AWSClient
    var ecs: ECS { ECS(client: client) }
    var elb: ELBv2 { ELBv2(client: client) }
    var scaling: ApplicationAutoScaling { ApplicationAutoScaling(client: client) }
    var sts: STS { STS(client: client) }
    var s3: S3 { S3(client: client) }
    var cloudWatch: CloudWatch { CloudWatch(client: client) }
}

/// Runs each step with a wrong secret (must be refused with SignatureDoesNotMatch), then with the right key.
final class Steps: @unchecked Sendable {
    let good: Services
    let bad: Services
    private(set) var passed: [String] = []

    init(good: Services, bad: Services) {
        self.good = good
        self.bad = bad
    }

    func run<T>(_ name: String, _ body: (Services) async throws -> T) async throws -> T {
        do {
            _ = try await body(bad)
            Issue.record("\(name) accepted a wrong secret")
        } catch let error as AWSError {
            #expect(error.code == "SignatureDoesNotMatch", "\(name) with a wrong secret: \(error)")
            #expect(error.status == 403, "\(name) with a wrong secret: \(error)")
        }
        let result = try await body(good)
        passed.append(name)
        return result
    }
}

let allowAll = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Action":"*","Resource":"*"}]}"#

@Suite("AWS services on moto with signature checks", .serialized, .timeLimit(.minutes(3)))
struct MotoIntegrationTests {
    let http = HTTPClient()

    func client(_ moto: MotoServer, _ credentials: AWSCredentials) -> AWSClient {
        AWSClient(
            credentialProvider: StaticCredentialProvider(credentials), httpClient: http,
            configuration: AWSClientConfiguration(
                region: "us-east-1", endpointOverride: moto.url,
                retry: RetryConfiguration(maxAttempts: 3, baseDelay: .milliseconds(5)), environment: [:], timeout: .seconds(30)),
            logger: Logger(label: "moto-test"))
    }

    static let ec2 = AWSService(id: "EC2", signingName: "ec2", endpointPrefix: "ec2", apiVersion: "2016-11-15", wireProtocol: .query)

    @Test func everyOperationIsSignedAndAWrongSecretIsRefused() async throws {
        // Three unauthenticated calls create the IAM user; every later call is verified.
        let moto = try await MotoServer(noAuthCount: 3)
        defer { moto.stop() }
        let setup = client(moto, AWSCredentials(accessKeyId: "AKIADUMMYDUMMYDUMMY1", secretAccessKey: "dummy"))
        _ = try await setup.queryCall(service: .iam, action: "CreateUser", parameters: [("UserName", "deployer")])
        _ = try await setup.queryCall(
            service: .iam, action: "PutUserPolicy", parameters: [("UserName", "deployer"), ("PolicyName", "all"), ("PolicyDocument", allowAll)])
        let key = try await setup.queryCall(service: .iam, action: "CreateAccessKey", parameters: [("UserName", "deployer")])
        let id = try #require(key.find("AccessKeyId")?.text)
        let secret = try #require(key.find("SecretAccessKey")?.text)
        let goodClient = client(moto, AWSCredentials(accessKeyId: id, secretAccessKey: secret))
        let steps = Steps(
            good: Services(client: goodClient),
            bad: Services(client: client(moto, AWSCredentials(accessKeyId: id, secretAccessKey: secret + "x"))))

        // STS
        let me = try await steps.run("STS GetCallerIdentity") { try await $0.sts.getCallerIdentity() }
        #expect(me.arn.hasSuffix("user/deployer"))

        // ECS
        let clusterArn = try await steps.run("ECS CreateCluster") {
            try await $0.ecs.call("CreateCluster", ["clusterName": "prod"])["cluster"]?["clusterArn"]?.stringValue
        }
        #expect(clusterArn != nil)
        #expect(try await steps.run("ECS ListClusters") { try await $0.ecs.listClusters() }.contains { $0.hasSuffix("cluster/prod") })
        #expect(try await steps.run("ECS DescribeClusters") { try await $0.ecs.describeClusters(["prod"]) }.clusters.count == 1)
        let taskDefinition: JSONValue = [
            "family": "web",
            "containerDefinitions": [["name": "web", "image": "nginx:1.27", "memory": 128, "portMappings": [["containerPort": 80]]]],
            "requiresCompatibilities": ["FARGATE"], "networkMode": "awsvpc", "cpu": "256", "memory": "512",
        ]
        let registered = try await steps.run("ECS RegisterTaskDefinition") { try await $0.ecs.registerTaskDefinition(taskDefinition) }
        let tdArn = try #require(registered["taskDefinitionArn"]?.stringValue)
        let described = try await steps.run("ECS DescribeTaskDefinition") { try await $0.ecs.describeTaskDefinition("web:1") }
        #expect(described["taskDefinition"]?["containerDefinitions"]?[0]?["image"]?.stringValue == "nginx:1.27")
        let service = try await steps.run("ECS CreateService") {
            try await $0.ecs.createService([
                "cluster": "prod", "serviceName": "web", "taskDefinition": .string(tdArn), "desiredCount": 1,
                "tags": [["key": "managed-by", "value": "ecs-delegate"]],
            ])
        }
        let serviceArn = try #require(service["serviceArn"]?.stringValue)
        let services = try await steps.run("ECS DescribeServices") { try await $0.ecs.describeServices(cluster: "prod", services: ["web"]) }
        #expect(services.services.first?["tags"]?[0]?["key"]?.stringValue == "managed-by")
        #expect(try await steps.run("ECS ListServices") { try await $0.ecs.listServices(cluster: "prod") } == [serviceArn])
        let updated = try await steps.run("ECS UpdateService") {
            try await $0.ecs.updateService(["cluster": "prod", "service": "web", "desiredCount": 2])
        }
        #expect(updated["desiredCount"]?.intValue == 2)
        try await steps.run("ECS TagResource") { try await $0.ecs.tagResource(arn: serviceArn, tags: ["release": "42"]) }
        try await steps.run("ECS UntagResource") { try await $0.ecs.untagResource(arn: serviceArn, keys: ["release"]) }
        // RunTask needs a container instance in moto: an EC2 instance registered to the cluster.
        let reservation = try await goodClient.queryCall(
            service: Self.ec2, action: "RunInstances", parameters: [("ImageId", "ami-12c6146b"), ("MinCount", "1"), ("MaxCount", "1")])
        let instanceId = try #require(reservation.find("instanceId")?.text)
        _ = try await steps.good.ecs.call("RegisterContainerInstance", [
            "cluster": "prod", "instanceIdentityDocument": .string(#"{"instanceId":"\#(instanceId)"}"#),
        ])
        _ = try await steps.good.ecs.registerTaskDefinition(["family": "job", "containerDefinitions": [["name": "job", "image": "busybox", "memory": 128]]])
        let run = try await steps.run("ECS RunTask") {
            try await $0.ecs.runTask(["cluster": "prod", "taskDefinition": "job", "count": 1, "startedBy": "ecs-delegate"])
        }
        #expect(run["tasks"]?.arrayValue?.count == 1)
        let runTaskArns = (run["tasks"]?.arrayValue ?? []).compactMap { $0["taskArn"]?.stringValue }
        let listed = try await steps.run("ECS ListTasks") { try await $0.ecs.listTasks(cluster: "prod") }
        #expect(Set(runTaskArns).isSubset(of: Set(listed)))
        let tasks = try await steps.run("ECS DescribeTasks") { try await $0.ecs.describeTasks(cluster: "prod", tasks: listed) }
        #expect(tasks.tasks.count == listed.count)

        // Application Auto Scaling
        let resourceId = "service/prod/web"
        _ = try await steps.run("Application Auto Scaling RegisterScalableTarget") {
            try await $0.scaling.registerScalableTarget([
                "ServiceNamespace": "ecs", "ResourceId": .string(resourceId), "ScalableDimension": "ecs:service:DesiredCount",
                "MinCapacity": 1, "MaxCapacity": 4,
            ])
        }
        let targets = try await steps.run("Application Auto Scaling DescribeScalableTargets") {
            try await $0.scaling.describeScalableTargets(resourceIds: [resourceId])
        }
        #expect(targets.first?["MaxCapacity"]?.intValue == 4)
        _ = try await steps.run("Application Auto Scaling PutScalingPolicy") {
            try await $0.scaling.putScalingPolicy([
                "PolicyName": "cpu50", "ServiceNamespace": "ecs", "ResourceId": .string(resourceId),
                "ScalableDimension": "ecs:service:DesiredCount", "PolicyType": "TargetTrackingScaling",
                "TargetTrackingScalingPolicyConfiguration": [
                    "TargetValue": 50.0, "PredefinedMetricSpecification": ["PredefinedMetricType": "ECSServiceAverageCPUUtilization"],
                ],
            ])
        }
        let policies = try await steps.run("Application Auto Scaling DescribeScalingPolicies") {
            try await $0.scaling.describeScalingPolicies(resourceId: resourceId)
        }
        #expect(policies.first?["PolicyName"]?.stringValue == "cpu50")
        try await steps.run("Application Auto Scaling DeleteScalingPolicy") {
            try await $0.scaling.deleteScalingPolicy(policyName: "cpu50", resourceId: resourceId)
        }
        try await steps.run("Application Auto Scaling DeregisterScalableTarget") {
            try await $0.scaling.deregisterScalableTarget(resourceId: resourceId)
        }
        _ = try await steps.run("ECS DeleteService") { try await $0.ecs.deleteService(cluster: "prod", service: "web", force: true) }

        // ELBv2: a VPC, two subnets, a load balancer, two target groups, a listener and a rule.
        let vpc = try await goodClient.queryCall(service: Self.ec2, action: "CreateVpc", parameters: [("CidrBlock", "10.0.0.0/16")])
        let vpcId = try #require(vpc.find("vpcId")?.text)
        var subnets: [String] = []
        for (i, az) in ["us-east-1a", "us-east-1b"].enumerated() {
            let s = try await goodClient.queryCall(
                service: Self.ec2, action: "CreateSubnet",
                parameters: [("VpcId", vpcId), ("CidrBlock", "10.0.\(i).0/24"), ("AvailabilityZone", az)])
            subnets.append(try #require(s.find("subnetId")?.text))
        }
        let elb = steps.good.elb
        let lb = try await elb.call("CreateLoadBalancer", ["Name": "web-alb", "Subnets": .array(subnets.map { .string($0) })])
        let lbArn = try #require(lb["LoadBalancers"]?[0]?["LoadBalancerArn"]?.stringValue)
        var tgArns: [String] = []
        for name in ["web-blue", "web-green"] {
            let tg = try await elb.call("CreateTargetGroup", ["Name": .string(name), "Protocol": "HTTP", "Port": 80, "VpcId": .string(vpcId), "TargetType": "ip"])
            tgArns.append(try #require(tg["TargetGroups"]?[0]?["TargetGroupArn"]?.stringValue))
        }
        let listener = try await elb.call("CreateListener", [
            "LoadBalancerArn": .string(lbArn), "Protocol": "HTTP", "Port": 80,
            "DefaultActions": [["Type": "forward", "TargetGroupArn": .string(tgArns[0])]],
        ])
        let listenerArn = try #require(listener["Listeners"]?[0]?["ListenerArn"]?.stringValue)
        let rule = try await elb.call("CreateRule", [
            "ListenerArn": .string(listenerArn), "Priority": 10,
            "Conditions": [["Field": "path-pattern", "Values": ["/api/*"]]],
            "Actions": [["Type": "forward", "TargetGroupArn": .string(tgArns[0])]],
        ])
        let ruleArn = try #require(rule["Rules"]?[0]?["RuleArn"]?.stringValue)

        #expect(try await steps.run("ELBv2 DescribeLoadBalancers") { try await $0.elb.describeLoadBalancers(names: ["web-alb"]) }.count == 1)
        #expect(try await steps.run("ELBv2 DescribeListeners") { try await $0.elb.describeListeners(loadBalancerArn: lbArn) }.count == 1)
        let rules = try await steps.run("ELBv2 DescribeRules") { try await $0.elb.describeRules(listenerArn: listenerArn) }
        #expect(rules.contains { $0["RuleArn"]?.stringValue == ruleArn })
        #expect(try await steps.run("ELBv2 DescribeTargetGroups") { try await $0.elb.describeTargetGroups(loadBalancerArn: lbArn) }.count >= 1)
        let weighted: JSONValue = [[
            "Type": "forward",
            "ForwardConfig": ["TargetGroups": [
                ["TargetGroupArn": .string(tgArns[0]), "Weight": 80], ["TargetGroupArn": .string(tgArns[1]), "Weight": 20],
            ]],
        ]]
        let modified = try await steps.run("ELBv2 ModifyListener") {
            try await $0.elb.modifyListener(["ListenerArn": .string(listenerArn), "DefaultActions": weighted])
        }
        let groups = modified.first?["DefaultActions"]?[0]?["ForwardConfig"]?["TargetGroups"]?.arrayValue ?? []
        #expect(groups.compactMap { $0["Weight"]?.intValue }.sorted() == [20, 80])
        let modifiedRules = try await steps.run("ELBv2 ModifyRule") {
            try await $0.elb.modifyRule(["RuleArn": .string(ruleArn), "Actions": [["Type": "forward", "TargetGroupArn": .string(tgArns[1])]]])
        }
        #expect(modifiedRules.first?["Actions"]?[0]?["TargetGroupArn"]?.stringValue == tgArns[1])

        _ = try await elb.call("RegisterTargets", ["TargetGroupArn": .string(tgArns[1]), "Targets": [["Id": "10.0.1.5", "Port": 80]]])
        let health = try await steps.run("ELBv2 DescribeTargetHealth") { try await $0.elb.describeTargetHealth(targetGroupArn: tgArns[1]) }
        #expect(health.map(\.address) == ["10.0.1.5:80"] && health.first?.state.isEmpty == false, "\(health)")

        // CloudWatch: DescribeAlarms by name, metric alarms with their state and reason; a name CloudWatch does not know is absent.
        for name in ["web-5xx", "web-latency"] {
            _ = try await goodClient.queryCall(service: .cloudWatch, action: "PutMetricAlarm", parameters: [
                ("AlarmName", name), ("Namespace", "AWS/ApplicationELB"), ("MetricName", "HTTPCode_Target_5XX_Count"), ("Statistic", "Sum"),
                ("Period", "60"), ("EvaluationPeriods", "1"), ("Threshold", "1"), ("ComparisonOperator", "GreaterThanOrEqualToThreshold"),
            ])
        }
        _ = try await goodClient.queryCall(service: .cloudWatch, action: "SetAlarmState", parameters: [
            ("AlarmName", "web-5xx"), ("StateValue", "ALARM"), ("StateReason", "5xx-seen"),
        ])
        let alarms = try await steps.run("CloudWatch DescribeAlarms") { try await $0.cloudWatch.describeAlarms(names: ["web-5xx", "web-latency", "web-missing"]) }
        #expect(alarms.map(\.name).sorted() == ["web-5xx", "web-latency"])
        #expect(alarms.first { $0.name == "web-5xx" } == CloudWatchAlarm(name: "web-5xx", stateValue: "ALARM", stateReason: "5xx-seen"))

        // S3: a key with spaces and Unicode, put with our signer, read back.
        let bucket = "deploy-artifacts"
        // Only ASCII here: moto checks S3 signatures over werkzeug's IRI form of the path
        // (%C3%BC turned back into "ü"; "()+" left raw), which real S3 does not do. The
        // Unicode key is covered by `s3UnicodeKeys` (moto without signature checks)
        // and by the botocore cross-check in `BotocoreCrossCheckTests`.
        let objectKey = "releases/v1 beta/deploy manifest.json"
        let payload = Data(#"{"image":"nginx:1.27"}"#.utf8)
        let s3 = steps.good.s3
        let bucketLocation = try s3.location(bucket: bucket, key: "")
        _ = try await goodClient.restCall(service: .s3, operation: "CreateBucket", method: "PUT", endpoint: bucketLocation.endpoint, path: "/\(bucket)")
        let objectLocation = try s3.location(bucket: bucket, key: objectKey)
        _ = try await goodClient.restCall(
            service: .s3, operation: "PutObject", method: "PUT", endpoint: objectLocation.endpoint, path: objectLocation.path,
            headers: [("Content-Type", "application/json")], body: payload)
        let object = try await steps.run("S3 GetObject") { try await $0.s3.getObject(bucket: bucket, key: objectKey) }
        #expect(object.body == payload)

        // STS AssumeRole: the session credentials (with a session token) are accepted.
        let trust = #"{"Version":"2012-10-17","Statement":[{"Effect":"Allow","Principal":{"AWS":"arn:aws:iam::123456789012:user/deployer"},"Action":"sts:AssumeRole","Condition":{"StringEquals":{"sts:ExternalId":"ext-1"}}}]}"#
        _ = try await goodClient.queryCall(service: .iam, action: "CreateRole", parameters: [("RoleName", "deploy"), ("AssumeRolePolicyDocument", trust)])
        _ = try await goodClient.queryCall(
            service: .iam, action: "PutRolePolicy", parameters: [("RoleName", "deploy"), ("PolicyName", "all"), ("PolicyDocument", allowAll)])
        let session = try await steps.run("STS AssumeRole") {
            try await $0.sts.assumeRole(roleArn: "arn:aws:iam::123456789012:role/deploy", sessionName: "delegate", externalId: "ext-1")
        }
        #expect(session.sessionToken?.isEmpty == false)
        let sessionSteps = Steps(
            good: Services(client: client(moto, session)),
            bad: Services(client: client(moto, AWSCredentials(
                accessKeyId: session.accessKeyId, secretAccessKey: session.secretAccessKey + "x", sessionToken: session.sessionToken))))
        let assumedIdentity = try await sessionSteps.run("STS GetCallerIdentity (session)") { try await $0.sts.getCallerIdentity() }
        #expect(assumedIdentity.arn.contains("assumed-role/deploy/delegate"))
        #expect(try await sessionSteps.run("ECS ListClusters (session)") { try await $0.ecs.listClusters() }.count == 1)

        let required = [
            "ECS RegisterTaskDefinition", "ECS DescribeTaskDefinition", "ECS CreateService", "ECS UpdateService", "ECS DeleteService",
            "ECS DescribeServices", "ECS ListServices", "ECS ListTasks", "ECS DescribeTasks", "ECS RunTask", "ECS TagResource",
            "ECS UntagResource", "ECS ListClusters", "ECS DescribeClusters",
            "ELBv2 DescribeLoadBalancers", "ELBv2 DescribeListeners", "ELBv2 DescribeRules", "ELBv2 DescribeTargetGroups",
            "ELBv2 ModifyListener", "ELBv2 ModifyRule", "ELBv2 DescribeTargetHealth", "CloudWatch DescribeAlarms",
            "Application Auto Scaling RegisterScalableTarget", "Application Auto Scaling DeregisterScalableTarget",
            "Application Auto Scaling DescribeScalableTargets", "Application Auto Scaling PutScalingPolicy",
            "Application Auto Scaling DeleteScalingPolicy", "Application Auto Scaling DescribeScalingPolicies",
            "STS GetCallerIdentity", "STS AssumeRole", "S3 GetObject",
        ]
        #expect(Set(required).subtracting(steps.passed).isEmpty, "not exercised: \(Set(required).subtracting(steps.passed).sorted())")
        #expect(steps.passed.count == required.count + 1)  // and CreateCluster
    }
}
