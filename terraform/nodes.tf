# The droplets, one per node of the topology module.

# A random suffix per node, as the original setup had: nodes made again after
# their removal (e.g. after applying with no nodes) get new names, so their
# MagicDNS names cannot collide with old nodes that did not log out.
resource "random_id" "suffix" {
  for_each = toset(module.topology.keys)

  byte_length = 4
}

module "topology" {
  source = "./modules/topology"

  nodes       = var.nodes
  name_prefix = var.name_prefix
  # `keys` above depends on nodes only, so feeding the suffixes back in
  # makes no cycle.
  suffixes = { for key, id in random_id.suffix : key => id.hex }
}

resource "digitalocean_droplet" "node" {
  for_each = toset(module.topology.keys)

  name     = module.topology.nodes[each.key].name
  region   = module.topology.nodes[each.key].region
  size     = var.droplet_size
  image    = digitalocean_custom_image.nixos[0].id
  ssh_keys = [for key in digitalocean_ssh_key.root : key.fingerprint]
  tags     = var.tags

  # As root over the public address, with the key from the user's ssh agent
  # (the private key is never given to Terraform).
  connection {
    type  = "ssh"
    host  = self.ipv4_address
    user  = "root"
    agent = true
  }

  # The Tailscale key reaches the host only as a root-only file: /var/lib/e3
  # is 0700, made at boot by the NixOS module (nix/node.nix). Not through
  # user_data (readable from the metadata service by any local user) and not
  # inside an inline script below (remote-exec writes those to /tmp with
  # mode 0777).
  provisioner "file" {
    content     = tailscale_tailnet_key.nodes[0].key
    destination = "/var/lib/e3/tailscale-authkey"
  }

  # tailscaled-autoconnect skipped itself at boot (ConditionPathExists on the
  # key file): start it now that the file is there.
  provisioner "remote-exec" {
    inline = [
      "chmod 0600 /var/lib/e3/tailscale-authkey",
      "systemctl start tailscaled-autoconnect.service",
    ]
  }

  # Leave the tailnet at once instead of lingering as an offline ephemeral
  # node. Best effort: a droplet that is already unreachable is destroyed
  # anyway. (Destroy-time provisioners may only refer to self.)
  provisioner "remote-exec" {
    when       = destroy
    on_failure = continue
    inline     = ["tailscale logout"]
  }
}
