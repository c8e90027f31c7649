# The NixOS image: uploaded to Spaces, then imported by DigitalOcean as a
# custom image in every region that has nodes.

locals {
  # Regions with at least one node, sorted.
  regions_in_use = sort([for region, count in var.nodes : region if count > 0])
  any_nodes      = length(local.regions_in_use) > 0
  # With no node left (`cargo xtask destroy`), the image stays in the regions
  # still named, as E3's DESTROY_NODES did, unless keep_image is false
  # (`destroy --all`): then nothing below but the bucket exists.
  image_regions = local.any_nodes ? local.regions_in_use : sort(keys(var.nodes))
  has_image     = local.any_nodes || (var.keep_image && length(local.image_regions) > 0)
}

resource "digitalocean_spaces_bucket" "images" {
  name   = var.spaces_bucket
  region = var.spaces_region
  acl    = "private"

  # The bucket outlives the droplets: e3 tears nodes down by applying with no
  # nodes (`cargo xtask destroy`, `--all`), which keeps it. Only
  # `cargo xtask destroy --all --bucket`, confirmed twice, runs `terraform
  # destroy` and removes it. Renaming it or moving its region would make
  # Terraform replace it: `cargo xtask deploy` refuses such a change.
}

resource "digitalocean_spaces_bucket_object" "image" {
  count = local.has_image ? 1 : 0

  region = digitalocean_spaces_bucket.images.region
  bucket = digitalocean_spaces_bucket.images.name
  # The md5 in the key makes a new file a new object (key forces
  # replacement), hence a new URL, hence a new custom image below. The file
  # name is kept last: it tells the importer the format and compression.
  key    = "${var.name_prefix}/${filemd5(var.image_file)}/${basename(var.image_file)}"
  source = var.image_file
  etag   = filemd5(var.image_file)
  # DigitalOcean imports custom images from a URL, so the object must be
  # readable without credentials. It holds no secret: the Tailscale key is
  # never in the image (see nodes.tf), and root's SSH keys are public keys.
  acl = "public-read"
}

resource "digitalocean_custom_image" "nixos" {
  count = local.has_image ? 1 : 0

  # Named after the file's md5 too, so the console shows which build it is.
  name = "${var.name_prefix}-nixos-${filemd5(var.image_file)}"
  # `url` forces a new image when it changes: only when the file does.
  url          = "https://${digitalocean_spaces_bucket.images.bucket_domain_name}/${digitalocean_spaces_bucket_object.image[0].key}"
  distribution = "Unknown OS"
  # Imported in one region, then transferred to the others. A region can be
  # added in place, but removing one replaces the image (and so the
  # droplets): the provider cannot remove an image from a region.
  regions = local.image_regions
}
