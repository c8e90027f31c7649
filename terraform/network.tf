# Root's SSH keys, registered with DigitalOcean: a droplet from a custom
# image must get at least one at creation. DigitalOcean refuses a public key
# that is already in the account (under any name); `terraform import` that
# one, or leave it out here.
resource "digitalocean_ssh_key" "root" {
  # Keyed by the key itself, so reordering the list changes nothing.
  for_each = toset(var.ssh_public_keys)

  name       = "${var.name_prefix}-${substr(md5(each.value), 0, 8)}"
  public_key = each.value
}
