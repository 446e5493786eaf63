"""ELBv2 behaviour the blue/green steps rely on: weighted forwarding round-trips."""

from __future__ import annotations


def _forward(elb, listener_arn):
    rule = [r for r in elb.describe_rules(ListenerArn=listener_arn)["Rules"] if r["IsDefault"]][0]
    action = rule["Actions"][0]
    if "ForwardConfig" in action:
        return {g["TargetGroupArn"]: g["Weight"] for g in action["ForwardConfig"]["TargetGroups"]}
    return {action["TargetGroupArn"]: None}


def test_weighted_forwarding_on_listeners_and_rules(sim, world):
    elb = sim.client("elbv2")
    prod, tg1, tg2 = world["prodListenerArn"], world["prodTargetGroupArn"], world["stageTargetGroupArn"]
    assert _forward(elb, prod) == {tg1: None}
    weighted = [{"Type": "forward", "ForwardConfig": {"TargetGroups": [
        {"TargetGroupArn": tg2, "Weight": 10}, {"TargetGroupArn": tg1, "Weight": 90}]}}]
    elb.modify_listener(ListenerArn=prod, DefaultActions=weighted)
    assert _forward(elb, prod) == {tg2: 10, tg1: 90}
    listener = elb.describe_listeners(ListenerArns=[prod])["Listeners"][0]
    assert {g["TargetGroupArn"]: g["Weight"] for g in listener["DefaultActions"][0]["ForwardConfig"]["TargetGroups"]} == {tg2: 10, tg1: 90}
    # A non-default rule takes weights through ModifyRule.
    rule = elb.create_rule(ListenerArn=prod, Priority=5, Conditions=[{"Field": "path-pattern", "Values": ["/api/*"]}],
                           Actions=[{"Type": "forward", "TargetGroupArn": tg1}])["Rules"][0]["RuleArn"]
    elb.modify_rule(RuleArn=rule, Actions=[{"Type": "forward", "ForwardConfig": {"TargetGroups": [
        {"TargetGroupArn": tg1, "Weight": 50}, {"TargetGroupArn": tg2, "Weight": 50}]}}])
    got = elb.describe_rules(RuleArns=[rule])["Rules"][0]["Actions"][0]["ForwardConfig"]["TargetGroups"]
    assert {g["TargetGroupArn"]: g["Weight"] for g in got} == {tg1: 50, tg2: 50}
    # And back to a plain forward.
    elb.modify_listener(ListenerArn=prod, DefaultActions=[{"Type": "forward", "TargetGroupArn": tg1}])
    assert list(_forward(elb, prod)) == [tg1]
