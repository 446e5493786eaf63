import AWSSigV4
import Foundation
import Testing
import AWSCore

@Suite("JSON values, XML and error decoding")
struct CoreUnitTests {
    @Test func jsonRoundTrip() throws {
        let text = #"{"cluster":"prod","desiredCount":2,"ratio":0.5,"ok":true,"none":null,"list":["a",{"b":[]}],"uni":"\u00e9\n"}"#
        let v = try JSONValue(parsing: Data(text.utf8))
        #expect(v["cluster"]?.stringValue == "prod")
        #expect(v["desiredCount"] == .number(2))
        #expect(v["desiredCount"]?.intValue == 2)
        #expect(v["ok"]?.boolValue == true)
        #expect(v["none"]?.isNull == true)
        #expect(v["list"]?[1]?["b"]?.arrayValue?.isEmpty == true)
        // Integral numbers are written without a fraction; keys are sorted.
        #expect(v.jsonString == #"{"cluster":"prod","desiredCount":2,"list":["a",{"b":[]}],"none":null,"ok":true,"ratio":0.5,"uni":"é\n"}"#)
        #expect(try JSONValue(parsing: v.serialized()) == v)
        let literal: JSONValue = ["a": [1, "x", nil, false]]
        #expect(literal.jsonString == #"{"a":[1,"x",null,false]}"#)
    }

    @Test func jsonErrorShapes() {
        let e = AWSError.decode(
            service: "ECS", operation: "DescribeServices", status: 400,
            headers: [("x-amzn-RequestId", "req-1")],
            body: Data(#"{"__type":"com.amazonaws.ecs#ClusterNotFoundException","message":"Cluster not found."}"#.utf8))
        #expect(e.code == "ClusterNotFoundException")
        #expect(e.message == "Cluster not found.")
        #expect(e.requestId == "req-1")
        #expect(e.status == 400)
        let e2 = AWSError.decode(
            service: "ECS", operation: "X", status: 400, headers: [("x-amzn-ErrorType", "ValidationException:http://internal")],
            body: Data(#"{"Message":"bad"}"#.utf8))
        #expect(e2.code == "ValidationException")
        #expect(e2.message == "bad")
    }

    @Test func queryAndRestErrorShapes() {
        let query = AWSError.decode(
            service: "Elastic Load Balancing v2", operation: "DescribeRules", status: 400, headers: [],
            body: Data("""
                <ErrorResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">
                  <Error><Type>Sender</Type><Code>ListenerNotFound</Code><Message>One or more listeners not found</Message></Error>
                  <RequestId>abc-123</RequestId>
                </ErrorResponse>
                """.utf8))
        #expect(query.code == "ListenerNotFound")
        #expect(query.message == "One or more listeners not found")
        #expect(query.requestId == "abc-123")
        let s3 = AWSError.decode(
            service: "S3", operation: "GetObject", status: 404, headers: [],
            body: Data("<?xml version=\"1.0\"?><Error><Code>NoSuchKey</Code><Message>The key does not exist</Message><RequestId>r9</RequestId></Error>".utf8))
        #expect(s3.code == "NoSuchKey")
        #expect(s3.requestId == "r9")
        // A JSON service answered with an XML body (moto's IAM denials).
        let crossed = AWSError.decode(
            service: "ECS", operation: "ListClusters", status: 403, headers: [],
            body: Data("<ErrorResponse><Error><Code>AccessDenied</Code><Message>User is not authorized</Message></Error></ErrorResponse>".utf8))
        #expect(crossed.code == "AccessDenied")
        #expect(crossed.status == 403)
        let empty = AWSError.decode(service: "S3", operation: "GetObject", status: 503, headers: [], body: Data())
        #expect(empty.code == "ServiceUnavailable")
    }

    @Test func xmlToJSON() throws {
        let xml = try XMLTree.parse(Data("""
            <DescribeLoadBalancersResponse><DescribeLoadBalancersResult>
              <LoadBalancers><member><LoadBalancerArn>arn:1</LoadBalancerArn><AvailabilityZones/></member><member><LoadBalancerArn>arn:2</LoadBalancerArn></member></LoadBalancers>
              <NextMarker>m1</NextMarker>
            </DescribeLoadBalancersResult></DescribeLoadBalancersResponse>
            """.utf8))
        let result = try #require(xml.child("DescribeLoadBalancersResult")).jsonValue
        #expect(result["LoadBalancers"]?.arrayValue?.count == 2)
        #expect(result["LoadBalancers"]?[1]?["LoadBalancerArn"]?.stringValue == "arn:2")
        #expect(result["LoadBalancers"]?[0]?["AvailabilityZones"]?.arrayValue == [])
        #expect(result["NextMarker"]?.stringValue == "m1")
    }

    @Test func queryParameterFlattening() {
        let input: JSONValue = [
            "ListenerArn": "arn:l",
            "DefaultActions": [["Type": "forward", "ForwardConfig": ["TargetGroups": [["TargetGroupArn": "arn:tg", "Weight": 100]]]]],
            "Names": [],
        ]
        let flat = QueryParameters.flatten(input)
        #expect(flat.map { "\($0.name)=\($0.value)" } == [
            "DefaultActions.member.1.ForwardConfig.TargetGroups.member.1.TargetGroupArn=arn:tg",
            "DefaultActions.member.1.ForwardConfig.TargetGroups.member.1.Weight=100",
            "DefaultActions.member.1.Type=forward",
            "ListenerArn=arn:l",
            "Names=",
        ])
    }
}

@Suite("Endpoints")
struct EndpointTests {
    @Test func defaultsAndPartitions() throws {
        #expect(try EndpointResolver.resolve(service: .ecs, region: "eu-west-1", environment: [:]).host == "ecs.eu-west-1.amazonaws.com")
        #expect(try EndpointResolver.resolve(service: .ecs, region: "cn-north-1", environment: [:]).host == "ecs.cn-north-1.amazonaws.com.cn")
        #expect(try EndpointResolver.resolve(service: .sts, region: "ap-south-1", environment: [:]).host == "sts.ap-south-1.amazonaws.com")
        #expect(try EndpointResolver.resolve(service: .elbv2, region: "us-east-2", environment: [:]).host == "elasticloadbalancing.us-east-2.amazonaws.com")
        #expect(try EndpointResolver.resolve(service: .applicationAutoScaling, region: "us-west-2", environment: [:]).host
            == "application-autoscaling.us-west-2.amazonaws.com")
        #expect(try EndpointResolver.resolve(service: .ecs, region: "us-gov-west-1", useFIPS: true, environment: [:]).host
            == "ecs-fips.us-gov-west-1.amazonaws.com")
        #expect(try EndpointResolver.resolve(service: .sts, region: "us-east-1", environment: ["AWS_USE_FIPS_ENDPOINT": "true"]).host
            == "sts-fips.us-east-1.amazonaws.com")
        #expect(throws: AWSClientError.self) { try EndpointResolver.resolve(service: .ecs, region: "", environment: [:]) }
    }

    @Test func environmentVariablesAndOverrides() throws {
        #expect(AWSService.elbv2.endpointEnvironmentVariable == "AWS_ENDPOINT_URL_ELASTIC_LOAD_BALANCING_V2")
        #expect(AWSService.applicationAutoScaling.endpointEnvironmentVariable == "AWS_ENDPOINT_URL_APPLICATION_AUTO_SCALING")
        #expect(AWSService.ecs.endpointEnvironmentVariable == "AWS_ENDPOINT_URL_ECS")
        #expect(AWSService.sts.endpointEnvironmentVariable == "AWS_ENDPOINT_URL_STS")
        #expect(AWSService.s3.endpointEnvironmentVariable == "AWS_ENDPOINT_URL_S3")
        let env = ["AWS_ENDPOINT_URL": "http://localhost:4566", "AWS_ENDPOINT_URL_ECS": "http://127.0.0.1:5000/base/"]
        let ecs = try EndpointResolver.resolve(service: .ecs, region: "us-east-1", environment: env)
        #expect(ecs == AWSEndpoint(scheme: "http", host: "127.0.0.1:5000", basePath: "/base"))
        #expect(try EndpointResolver.resolve(service: .sts, region: "us-east-1", environment: env).host == "localhost:4566")
        // A connector's override wins over the environment.
        #expect(try EndpointResolver.resolve(service: .ecs, region: "us-east-1", override: "https://vpce.example.com", environment: env).host
            == "vpce.example.com")
        var ignored = env
        ignored["AWS_IGNORE_CONFIGURED_ENDPOINT_URLS"] = "true"
        #expect(try EndpointResolver.resolve(service: .ecs, region: "us-east-1", environment: ignored).host == "ecs.us-east-1.amazonaws.com")
    }

    @Test func s3Addressing() throws {
        let v = try EndpointResolver.s3Object(bucket: "my-bucket", key: "dir/a b+é.txt", region: "us-east-1", environment: [:])
        #expect(v.endpoint.host == "my-bucket.s3.us-east-1.amazonaws.com")
        #expect(v.path == "/dir/a%20b%2B%C3%A9.txt")
        let dotted = try EndpointResolver.s3Object(bucket: "my.bucket", key: "k", region: "eu-west-1", environment: [:])
        #expect(dotted.endpoint.host == "s3.eu-west-1.amazonaws.com")
        #expect(dotted.path == "/my.bucket/k")
        let forced = try EndpointResolver.s3Object(bucket: "b-1", key: "k", region: "eu-west-1", forcePathStyle: true, environment: [:])
        #expect(forced.path == "/b-1/k")
        let custom = try EndpointResolver.s3Object(bucket: "b-1", key: "k", region: "eu-west-1", override: "http://127.0.0.1:9000", environment: [:])
        #expect(custom.endpoint.host == "127.0.0.1:9000")
        #expect(custom.path == "/b-1/k")
        let cn = try EndpointResolver.s3Object(bucket: "bkt", key: "k", region: "cn-north-1", environment: [:])
        #expect(cn.endpoint.host == "bkt.s3.cn-north-1.amazonaws.com.cn")
    }
}

@Suite("Shared config files")
struct ProfileParsingTests {
    @Test func parsesConfigAndCredentials() {
        let config = """
            [default]
            region = us-east-1
            [profile dev]
            role_arn = arn:aws:iam::123456789012:role/dev ; comment
            source_profile = base
            s3 =
              max_concurrent_requests = 10
            [sso-session x]
            sso_region = us-east-1
            """
        let parsed = ProfileFiles.parse(config, isConfigFile: true)
        #expect(parsed["default"]?["region"] == "us-east-1")
        #expect(parsed["dev"]?["role_arn"] == "arn:aws:iam::123456789012:role/dev")
        #expect(parsed["dev"]?["source_profile"] == "base")
        #expect(parsed["dev"]?["max_concurrent_requests"] == nil)
        #expect(parsed["x"] == nil)
        let creds = ProfileFiles.parse("[base]\naws_access_key_id=AKIA1\naws_secret_access_key = s3cr3t\n# note\n", isConfigFile: false)
        #expect(creds["base"]?["aws_access_key_id"] == "AKIA1")
        #expect(creds["base"]?["aws_secret_access_key"] == "s3cr3t")
    }
}
