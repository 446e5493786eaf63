"""Application Auto Scaling as the delegate uses it around ECS services."""

from __future__ import annotations

from conftest import create_service, register_td


def test_scaling_policies_are_listed_for_their_own_resource_only(sim, world):
    aas = sim.client("application-autoscaling")
    dim = "ecs:service:DesiredCount"
    td = register_td(sim.client("ecs"), "nginx:perl")
    for name in ("myapp", "myappCanary"):
        create_service(sim.client("ecs"), world, name, td, desired=1)
        aas.register_scalable_target(ServiceNamespace="ecs", ResourceId=f"service/{world['cluster']}/{name}",
                                     ScalableDimension=dim, MinCapacity=1, MaxCapacity=3)
    aas.put_scaling_policy(
        PolicyName="P1", ServiceNamespace="ecs", ResourceId=f"service/{world['cluster']}/myapp",
        ScalableDimension=dim, PolicyType="TargetTrackingScaling",
        TargetTrackingScalingPolicyConfiguration={
            "TargetValue": 60,
            "PredefinedMetricSpecification": {"PredefinedMetricType": "ECSServiceAverageCPUUtilization"}})

    def names(resource: str) -> list[str]:
        out = aas.describe_scaling_policies(ServiceNamespace="ecs", ResourceId=resource)
        return [p["PolicyName"] for p in out["ScalingPolicies"]]

    assert names(f"service/{world['cluster']}/myapp") == ["P1"]
    # A name that starts with another service's name is another resource (moto matched substrings).
    assert names(f"service/{world['cluster']}/myappCanary") == []
    assert names(f"service/{world['cluster']}/myap") == []
    assert [p["PolicyName"] for p in
            aas.describe_scaling_policies(ServiceNamespace="ecs")["ScalingPolicies"]] == ["P1"]
    page = aas.describe_scaling_policies(ServiceNamespace="ecs", MaxResults=1)
    assert len(page["ScalingPolicies"]) == 1 and "NextToken" not in page
