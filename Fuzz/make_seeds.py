#!/usr/bin/env python3
"""Writes the seed corpora Fuzz/corpus/<target>/ from the tests' fixtures (run from the repository root).

The committed corpus is this script's output and nothing more: libFuzzer's
growth stays in the temporary working corpus `scripts/fuzz.sh` makes.
"""
import json, os, pathlib, shutil

ROOT = pathlib.Path(__file__).resolve().parent.parent
CORPUS = ROOT / "Fuzz" / "corpus"
KINDS = {"taskDefinition": 0, "serviceDefinition": 1, "scalableTarget": 2, "scalingPolicy": 3, "runTaskRequest": 4}


def write(target, name, data):
    d = CORPUS / target
    d.mkdir(parents=True, exist_ok=True)
    (d / name).write_bytes(data if isinstance(data, bytes) else data.encode())


def manifest(name, kind, text, variables=None):
    head = bytes([KINDS[kind]])
    if variables is not None:
        head += json.dumps(variables).encode() + b"\0"
    write("manifest", name, head + text.encode())


def manifests():
    fixtures = ROOT / "Tests" / "ManifestsTests" / "Fixtures"
    kinds = {"RegisterTaskDefinitionRequest": "taskDefinition", "CreateServiceRequest": "serviceDefinition",
             "BlueGreenCreateServiceRequest": "serviceDefinition", "ScalableTarget": "scalableTarget",
             "ScalingPolicy": "scalingPolicy", "RunTaskRequest": "runTaskRequest"}
    for f in sorted(fixtures.iterdir()):
        manifest(f.name, kinds[f.stem], f.read_text())
    td = json.loads((fixtures / "RegisterTaskDefinitionRequest.json").read_text())
    td.update({"taskDefinitionArn": "arn:aws:ecs:us-east-1:1:task-definition/f:3", "revision": 3, "status": "ACTIVE"})
    manifest("describe-task-definition.json", "taskDefinition", json.dumps({"taskDefinition": td, "tags": []}))
    svc = {"serviceName": "myapp", "serviceArn": "arn:x", "status": "ACTIVE", "desiredCount": 2, "runningCount": 2,
           "taskDefinition": "arn:td:1", "clusterArn": "arn:c", "launchType": "FARGATE", "events": []}
    manifest("describe-services.json", "serviceDefinition", json.dumps({"services": [svc], "failures": []}))
    manifest("create-service-output.json", "serviceDefinition", json.dumps({"service": svc}))
    manifest("expressions.yaml", "serviceDefinition", "serviceName: <+app.name>-svc\ndesiredCount: <+app.count>\ncluster: other\n",
             {"app": {"name": "web", "count": 3}})
    manifest("expression-non-object-variables.yaml", "taskDefinition",
             "family: f\ncontainerDefinitions:\n  - name: c\n    image: <+artifact.image>\n    memory: 512\n", "nginx:stable")
    manifest("expression-errors.yaml", "taskDefinition",
             "family: <+missing.value>\ncontainerDefinitions:\n  - name: 'x<+artifact.image'\n    cpu: <+env.replicas>\n")
    manifest("aliases.yaml", "taskDefinition",
             "family: f\nx-env: &env [{name: A, value: '1'}]\ncontainerDefinitions:\n  - {name: a, image: i, environment: *env}\n  - {name: b, image: i, environment: *env}\n")
    manifest("types.yaml", "runTaskRequest",
             "count: 2\nenableECSManagedTags: TRUE\nstartedBy: 12\noverrides: {cpu: '256', containerOverrides: [{name: c, memory: 1.5}]}\nnetworkConfiguration: {awsvpcConfiguration: {subnets: [s], assignPublicIp: MAYBE}}\n")
    manifest("unknown-member.yaml", "scalingPolicy", "PolicyName: p\npolicyType: TargetTrackingScaling\nscalableDimensions: x\n")
    manifest("flow-json-like.yaml", "scalableTarget", '{"ServiceNamespace": "ecs", "MinCapacity": 1, "MaxCapacity": 4, "RoleARN": null}')


def configs():
    write("config", "delegate.yaml", (ROOT / "Config" / "delegate.yaml").read_text())
    write("config", "minimal.yaml", "manager_url: https://manager.example:8443\ntoken_file: /etc/ecs-delegate/token\n")
    write("config", "all-keys.yaml", "\n".join([
        "manager_url: http://127.0.0.1:8181", "name: delegate-1", "tags: [ecs, prod, eu-west-1]", "capacity: 8",
        "state_dir: /var/lib/ecs-delegate", "status_socket: /run/ecs-delegate/status.sock", "log_level: debug",
        "shutdown_grace_seconds: 120.5", "request_timeout_seconds: 30", "spool_max_lines: 100000",
        "log_retention_hours: 72", "snapshot_retention_days: 30", ""]))
    write("config", "problems.yaml", "capacity: 0\ntags: [ecs, '', 5, null]\nlog_level: loud\nunknown_key: 1\nshutdown_grace_seconds: -1\n")
    write("config", "not-a-mapping.yaml", "- manager_url\n- name\n")


def protocol():
    env = {"taskId": "t-1", "leaseId": "l-1", "type": "ecs.rolling.deploy", "selectors": ["ecs"], "timeoutSeconds": 1800,
           "executionId": "e-1", "connector": {"region": "us-east-1", "endpoint": "http://127.0.0.1:5000"},
           "secrets": {"token": "s3cr3t"}, "payload": {"cluster": "c", "variables": {"artifact": {"image": "nginx:perl"}}}}
    write("protocol", "task-envelope.json", json.dumps(env))
    write("protocol", "task-envelope-minimal.json", json.dumps({"taskId": "t", "leaseId": "l", "type": "delegate.echo"}))
    write("protocol", "task-envelopes.json", json.dumps([env, {"taskId": "t2", "leaseId": "l2", "type": "x", "payload": [1, 2.5, None, True]}]))
    write("protocol", "register-response.json", json.dumps({"delegateId": "d-1", "heartbeatSeconds": 10, "pollWaitSeconds": 20,
          "logFlushMillis": 200, "logBatchMaxLines": 500, "logBatchMaxBytes": 262144, "protocolVersion": 1}))
    write("protocol", "heartbeat-response.json", json.dumps({"renewed": ["l-1"], "cancel": [], "drain": False}))
    write("protocol", "log-ack.json", json.dumps({"ackedThroughSeq": 42, "cancel": False}))
    write("protocol", "task-info.json", json.dumps({"taskId": "t-1", "type": "delegate.echo", "selectors": ["ecs"], "state": "failed",
          "delegateId": "d-1", "createdAt": "2026-11-27T10:01:32.123Z", "finishedAt": "2026-11-27T10:01:33Z",
          "outputs": {"n": 3}, "error": {"code": "lease.expired", "message": "m"}, "rollbackSnapshot": None,
          "executionId": None, "waitingReason": None, "logLines": 3}))
    write("protocol", "log-page.json", json.dumps({"state": "running", "lines": [
          {"seq": 1, "time": "2026-11-27T10:01:32.123Z", "level": "info", "unit": "Fetch Manifests", "text": "hello \u00e9"}]}))
    write("protocol", "error-body.json", json.dumps({"error": {"code": "not_found", "message": "no task t-9"}}))
    write("protocol", "json-values.json", '{"a": [1e20, -0.0, 1.5e-300, "\\u0000\\ud83d\\ude00", {"b": null}], "c": true}')


def aws():
    def resp(name, status, headers, body):
        write("aws-response", name, f"{status}\n" + "".join(f"{k}: {v}\n" for k, v in headers) + "\n" + body)
    resp("json-error.txt", 400, [("x-amzn-RequestId", "r1"), ("Content-Type", "application/x-amz-json-1.1")],
         '{"__type":"com.amazonaws.ecs#ClusterNotFoundException","message":"Cluster not found."}')
    resp("json-throttle-retry-after.txt", 400, [("Retry-After", "2.5")], '{"__type":"ThrottlingException","message":"Rate exceeded"}')
    resp("error-type-header.txt", 403, [("x-amzn-ErrorType", "AccessDeniedException:http://internal.amazon.com/"), ("x-amz-retry-after", "1500")], "")
    resp("query-error.txt", 400, [],
         '<ErrorResponse xmlns="http://elasticloadbalancing.amazonaws.com/doc/2015-12-01/">\n  <Error><Type>Sender</Type><Code>ListenerNotFound</Code>'
         '<Message>One or more listeners not found</Message></Error>\n  <RequestId>r2</RequestId>\n</ErrorResponse>')
    resp("rest-xml-error.txt", 404, [("x-amz-request-id", "r9")],
         '<?xml version="1.0"?><Error><Code>NoSuchKey</Code><Message>The key does not exist</Message><RequestId>r9</RequestId></Error>')
    resp("clock-skew.txt", 403, [("Date", "Sun, 06 Nov 1994 08:49:37 GMT")], '{"__type":"InvalidSignatureException","message":"Signature expired"}')
    resp("describe-load-balancers.txt", 200, [],
         '<DescribeLoadBalancersResponse><DescribeLoadBalancersResult><LoadBalancers><member><LoadBalancerArn>arn:lb</LoadBalancerArn>'
         '<AvailabilityZones><member><ZoneName>a</ZoneName></member></AvailabilityZones><Tags><entry><key>k</key><value>v</value></entry></Tags>'
         '</member></LoadBalancers><NextMarker>m</NextMarker></DescribeLoadBalancersResult></DescribeLoadBalancersResponse>')
    resp("sts-assume-role.txt", 200, [],
         '<AssumeRoleResponse xmlns="https://sts.amazonaws.com/doc/2011-06-15/"><AssumeRoleResult><Credentials><AccessKeyId>AKID</AccessKeyId>'
         '<SecretAccessKey>secret</SecretAccessKey><SessionToken>tok</SessionToken><Expiration>2026-11-27T11:00:00Z</Expiration>'
         '</Credentials></AssumeRoleResult></AssumeRoleResponse>')
    resp("container-credentials.txt", 200, [],
         '{"AccessKeyId":"AKID","SecretAccessKey":"s","Token":"t","Expiration":"2026-11-27T11:00:00.123Z","Code":"Success"}')
    resp("endpoints.txt", 503, [("endpoint", "https://ecs.us-east-1.amazonaws.com:8443/base/"), ("region", "cn-north-1"),
         ("my.bucket", "path/to/key with spaces")], "")
    write("aws-response", "bare-body.txt", '{"clusterArns":["arn:c"],"nextToken":null}')


def sigv4():
    vectors = ROOT / "Tests" / "AWSSigV4Tests" / "Vectors"
    for name, flags in [("get-vanilla-query-order-encoded", 0), ("get-header-value-multiline", 0), ("get-slash-dot-slash-unnormalized", 0),
                        ("get-utf8", 0), ("get-vanilla-with-session-token", 2), ("post-x-www-form-urlencoded", 0),
                        ("post-sts-header-after", 6), ("get-header-key-duplicate", 1), ("get-space-unnormalized", 9)]:
        raw = (vectors / name / "request.txt").read_bytes()
        head, _, body = raw.partition(b"\n\n")
        lines = head.split(b"\n")
        method, rest = lines[0].split(b" ", 1)
        target = rest.rsplit(b" ", 1)[0]
        path, _, query = target.partition(b"?")
        headers, current = [], None
        for line in lines[1:]:
            if line[:1] in (b" ", b"\t") and headers:
                headers[-1] += b"\n" + line
            else:
                headers.append(line)
        write("sigv4", name, bytes([flags]) + b"\n".join([method, path, query] + headers) + b"\n\n" + body)
    write("sigv4", "s3-put-object", b"\x01PUT\n/bucket/a%20key/..//x\nuploads=&partNumber=1\nHost: bucket.s3.amazonaws.com\n"
          b"Content-Type: text/plain\nUser-Agent: ecs-delegate\nDate: Thu, 27 Nov 2026 10:00:00 GMT\n\nbody")


def pipelines():
    for f in sorted((ROOT / "Config" / "examples" / "pipelines").iterdir()):
        # Local paths point where the fuzz target keeps its manifests.
        text = f.read_text().replace("../manifests/RegisterTaskDefinitionRequest.yaml", "manifests/td.yaml")
        for name in ["CreateServiceRequest", "BlueGreenCreateServiceRequest", "RunTaskRequest"]:
            text = text.replace(f"../manifests/{name}.yaml", "manifests/svc.yaml")
        write("pipeline", f.name, text)
    write("pipeline", "git.yaml", "pipeline: web\nconnector: aws-prod\ncluster: c\nmanifests:\n"
          "  taskDefinition: {git: {url: \"https://git.example.com/team/app.git\", ref: v1.2, path: ecs/td.yaml, passwordSecret: git_token}}\n"
          "  serviceDefinition: {git: {url: \"https://git.example.com/team/app.git\", path: ecs/svc.yaml}}\nstrategy: {type: rolling}\n")
    write("pipeline", "git-hostile.yaml", "pipeline: web\nconnector: aws-prod\ncluster: c\nmanifests:\n"
          "  taskDefinition: {git: {url: \"--upload-pack=touch /tmp/pwned\", ref: \"-x\", path: ../td.yaml}}\n"
          "  serviceDefinition: {path: /dev/zero}\nstrategy: {type: canary}\n")


def connectors():
    for f in sorted((ROOT / "Config" / "examples" / "connectors").glob("*.yaml")):
        write("connector", f.name, f.read_text())
    write("connector", "registry-token-hosts.yaml", "name: hub\ntype: dockerRegistry\nurl: https://registry-1.docker.io\n"
          "username: me\npasswordSecret: hub-token\ntokenHosts: [auth.docker.io]\ndelegateSelectors: [ecs]\n")
    write("connector", "hostile.yaml", "name: x\ntype: aws\nregion: us-east-1\nendpoint: \"file:///etc/passwd\"\n"
          "credentials: {kind: assumeRole, roleArn: \"arn:aws:iam::1:role/r\", source: {kind: assumeRole, roleArn: r}}\n")


if __name__ == "__main__":
    if CORPUS.exists():
        shutil.rmtree(CORPUS)
    manifests(); configs(); protocol(); aws(); sigv4(); pipelines(); connectors()
    for d in sorted(CORPUS.iterdir()):
        print(f"{d.name}: {len(list(d.iterdir()))} seeds")
