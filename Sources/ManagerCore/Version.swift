/// The version `ecs-manager --version` prints.
public let managerVersion = "0.1.0"
