# One auth key for all nodes, made only while there are nodes.
resource "tailscale_tailnet_key" "nodes" {
  count = local.any_nodes ? 1 : 0

  # Reusable: one key joins every node, including ones added later.
  reusable = true
  # Ephemeral: a node that logs out (see the destroy provisioner in nodes.tf)
  # or stays offline leaves the tailnet by itself.
  ephemeral = true
  # Preauthorized: no approval by hand on tailnets that require it.
  preauthorized = true
  tags          = var.tailnet_tags
  expiry        = var.tailnet_key_expiry_seconds
  # The API documents descriptions as alphanumeric (the provider's examples
  # use spaces too; at most 50 characters): hyphens become spaces.
  description = "${replace(var.name_prefix, "-", " ")} e3 nodes"
}
