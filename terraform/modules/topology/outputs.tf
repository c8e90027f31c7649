output "keys" {
  description = "Node keys (\"<region>-<index>\") in party order. Depends on nodes only, not on suffixes, so a caller can make one suffix per key from it without a cycle."
  value       = [for node in local.ordered : node.key]
}

output "nodes" {
  description = "Node key => { region, index, name }."
  value       = { for node in local.named : node.key => { region = node.region, index = node.index, name = node.name } }
}

output "names" {
  description = "Hostnames in party order (regions sorted, then by index)."
  value       = [for node in local.named : node.name]
}

output "hosts_pssh" {
  description = "hosts.pssh text: one root@<name> line per node in party order, each ending in a newline; empty with no nodes."
  value       = join("", [for node in local.named : "root@${node.name}\n"])
}

output "hosts_colmena" {
  description = "Colmena's hosts.json: name => { targetUser, region }."
  value       = { for node in local.named : node.name => { targetUser = "root", region = node.region } }
}

output "image_regions" {
  description = "Every region named in nodes, with nodes or not (sorted): where the custom image must be. e3 keeps a region it ever deployed to in nodes (with 0 nodes once it has none), so this never shrinks while droplets stand: the provider cannot remove an image from a region, and a smaller set would replace the image, and with it every droplet made from it."
  value       = sort(keys(var.nodes))
}
