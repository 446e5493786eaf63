"""Create the tutorial's world (cluster, VPC, subnets, SG, ALB, listeners, target groups)."""

from __future__ import annotations

from typing import Any

DUMMY_CREDENTIALS = {"aws_access_key_id": "testing", "aws_secret_access_key": "testing"}


def _client(service: str, endpoint: str, region: str) -> Any:
    import boto3
    from botocore.config import Config

    return boto3.session.Session(region_name=region, **DUMMY_CREDENTIALS).client(
        service, endpoint_url=endpoint,
        config=Config(retries={"max_attempts": 5, "mode": "standard"}))


def seed(endpoint: str, region: str = "us-east-1", cluster: str = "ecs-tutorial",
         prefix: str = "ecs-tutorial") -> dict[str, Any]:
    """Create the resources through the AWS APIs of `endpoint`; return their ids."""
    ecs = _client("ecs", endpoint, region)
    ec2 = _client("ec2", endpoint, region)
    elb = _client("elbv2", endpoint, region)

    cluster_arn = ecs.create_cluster(clusterName=cluster)["cluster"]["clusterArn"]
    vpc_id = ec2.create_vpc(CidrBlock="10.0.0.0/16")["Vpc"]["VpcId"]
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsSupport={"Value": True})
    ec2.modify_vpc_attribute(VpcId=vpc_id, EnableDnsHostnames={"Value": True})
    ec2.create_tags(Resources=[vpc_id], Tags=[{"Key": "Name", "Value": f"{prefix}-vpc"}])
    zones = [z["ZoneName"] for z in ec2.describe_availability_zones()["AvailabilityZones"]][:2]
    subnets = []
    for i, zone in enumerate(zones):
        sn = ec2.create_subnet(VpcId=vpc_id, CidrBlock=f"10.0.{i + 1}.0/24",
                               AvailabilityZone=zone)["Subnet"]["SubnetId"]
        subnets.append(sn)
    igw = ec2.create_internet_gateway()["InternetGateway"]["InternetGatewayId"]
    ec2.attach_internet_gateway(InternetGatewayId=igw, VpcId=vpc_id)
    sg = ec2.create_security_group(GroupName=f"{prefix}-sg", Description="ecs tutorial",
                                   VpcId=vpc_id)["GroupId"]
    ec2.authorize_security_group_ingress(
        GroupId=sg,
        IpPermissions=[{"IpProtocol": "tcp", "FromPort": p, "ToPort": p,
                        "IpRanges": [{"CidrIp": "0.0.0.0/0"}]} for p in (80, 8080)])
    lb = elb.create_load_balancer(Name=f"{prefix}-alb", Subnets=subnets, SecurityGroups=[sg],
                                  Scheme="internet-facing", Type="application")
    lb_arn = lb["LoadBalancers"][0]["LoadBalancerArn"]
    tgs = []
    for name in (f"{prefix}-tg-1", f"{prefix}-tg-2"):
        tg = elb.create_target_group(Name=name, Protocol="HTTP", Port=80, VpcId=vpc_id,
                                     TargetType="ip", HealthCheckPath="/")
        tgs.append(tg["TargetGroups"][0]["TargetGroupArn"])
    listeners = []
    for port, tg in ((80, tgs[0]), (8080, tgs[1])):
        ln = elb.create_listener(LoadBalancerArn=lb_arn, Protocol="HTTP", Port=port,
                                 DefaultActions=[{"Type": "forward", "TargetGroupArn": tg}])
        listeners.append(ln["Listeners"][0]["ListenerArn"])
    urls = _listener_urls(endpoint)
    return {
        "cluster": cluster,
        "clusterArn": cluster_arn,
        "vpcId": vpc_id,
        "subnets": subnets,
        "securityGroupId": sg,
        "loadBalancerArn": lb_arn,
        "loadBalancerDns": lb["LoadBalancers"][0].get("DNSName"),
        "prodListenerArn": listeners[0],
        "stageListenerArn": listeners[1],
        "prodTargetGroupArn": tgs[0],
        "stageTargetGroupArn": tgs[1],
        "listenerUrls": {"prod": urls.get(listeners[0]), "stage": urls.get(listeners[1])},
        "region": region,
    }


def _listener_urls(endpoint: str) -> dict[str, str]:
    """Listener ARN -> the loopback URL the simulator serves it on (GET /_awssim/listeners)."""
    import json
    import urllib.request

    with urllib.request.urlopen(endpoint.rstrip("/") + "/_awssim/listeners", timeout=30) as resp:
        return {ln["listenerArn"]: ln["url"] for ln in json.loads(resp.read())["listeners"]}
