# What `cargo xtask hosts` reads with `terraform output -json` (see
# crates/e3-inventory, from_terraform_output). The Tailscale key is not an
# output: it is only ever written to the hosts.

output "hosts-pssh" {
  description = "hosts.pssh: one root@<name> line per node, in party order."
  value       = module.topology.hosts_pssh
}

output "hosts-colmena" {
  description = "Colmena's hosts.json: name => { targetUser, region }."
  value       = module.topology.hosts_colmena
}

output "nodes" {
  description = "Droplet name => { region, ipv4 }."
  value = {
    for droplet in digitalocean_droplet.node : droplet.name => {
      region = droplet.region
      ipv4   = droplet.ipv4_address
    }
  }
}

output "image_id" {
  description = "ID of the custom image the droplets run; null with no nodes."
  value       = one(digitalocean_custom_image.nixos[*].id)
}
