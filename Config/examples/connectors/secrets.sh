#!/bin/sh
# The secrets the example connectors name. Values come from standard input (never the
# command line, where `ps` would show them); the manager seals each with AES-256-GCM
# under the key given to `ecs-manager serve --secrets-key-file`.
#
#   export ECS_MANAGER_URL=http://127.0.0.1:8181 ECS_MANAGER_TOKEN_FILE=/etc/ecs-manager/token
#   sh Config/examples/connectors/secrets.sh
set -eu
printf '%s' "AKIDTESTING" | ecs-manager secret set sim-key-id             # aws-tutorial.yaml (the simulator accepts any)
printf '%s' "sim-secret-key-value" | ecs-manager secret set sim-secret
ecs-manager secret set prod-key-id < /run/secrets/aws-prod-access-key-id       # aws-prod.yaml, from files
ecs-manager secret set prod-secret < /run/secrets/aws-prod-secret-access-key
ecs-manager secret set registry-password                                       # docker-registry.yaml: typed, not echoed
ecs-manager secret list
