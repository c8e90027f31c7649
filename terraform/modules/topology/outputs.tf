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
