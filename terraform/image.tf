# The NixOS image: uploaded to Spaces, then imported by DigitalOcean as a
# custom image in every region that has nodes.

locals {
  # Regions with at least one node, sorted.
  regions_in_use = sort([for region, count in var.nodes : region if count > 0])
  any_nodes      = length(local.regions_in_use) > 0
  # Every region named in nodes, with nodes or not: the image stays in a
  # region whose nodes are gone. The provider cannot remove an image from a
  # region: a smaller set replaces the image, and with it every droplet
  # made from it (a real plan of dropping sfo3 from ams3=1,sfo3=1 replaced
  # the ams3 droplet). e3 keeps each region it ever deployed to in nodes,
  # at 0 (crates/e3-deploy, Settings::keeping_regions_of), so scaling down
  # leaves every other droplet running. With no node left (`cargo xtask
  # destroy`) the image stays too, unless keep_image is false (`destroy
  # --all`): then nothing below but the bucket exists.
  image_regions = module.topology.image_regions
  has_image     = local.any_nodes || (var.keep_image && length(local.image_regions) > 0)
}

resource "digitalocean_spaces_bucket" "images" {
  name   = var.spaces_bucket
  region = var.spaces_region
  acl    = "private"

  # Versioned, so that an image deleted or overwritten outside Terraform
  # (console, s3cmd) can be got back for a while. Terraform's own deletes
  # (a new build, `destroy --all`) leave nothing behind: the provider
  # removes every version of an object it deletes, so the bucket is still
  # empty when `destroy --all --bucket` removes it. Versioning cannot be
  # turned off again once on, only suspended.
  versioning {
    enabled = true
  }

  # Old versions go a week after they stop being current: an image is
  # hundreds of megabytes, and old versions are stored (and paid for) like
  # current ones.
  lifecycle_rule {
    id      = "expire-noncurrent-versions"
    enabled = true

    noncurrent_version_expiration {
      days = 7
    }
  }

  # The bucket outlives the droplets: e3 tears nodes down by applying with no
  # nodes (`cargo xtask destroy`, `--all`), which keeps it. Only
  # `cargo xtask destroy --all --bucket`, confirmed twice, runs `terraform
  # destroy` and removes it. Moving its region makes Terraform replace it
  # (deleting the image in it); renaming it is an update in place that the
  # provider does not carry out (the bucket keeps its old name while the
  # state says the new one). `cargo xtask deploy` refuses both.
}

resource "digitalocean_spaces_bucket_object" "image" {
  count = local.has_image ? 1 : 0

  region = digitalocean_spaces_bucket.images.region
  bucket = digitalocean_spaces_bucket.images.name
  # The md5 in the key makes a new file a new object (key forces
  # replacement), hence a new custom image below (replace_triggered_by). The
  # file name is kept last: it tells the importer the format and
  # compression. e3 computes this same key to presign it (var.image_url):
  # keep the two in step.
  key    = "${var.name_prefix}/${filemd5(var.image_file)}/${basename(var.image_file)}"
  source = var.image_file
  etag   = filemd5(var.image_file)
  # Private: nobody reads the object without credentials. DigitalOcean
  # imports custom images from a URL, and gets a presigned one for it
  # (var.image_url, made by e3 from the Spaces keys), which expires within
  # the hour.
  acl = "private"
}

resource "digitalocean_custom_image" "nixos" {
  count = local.has_image ? 1 : 0

  # Named after the file's md5 too, so the console shows which build it is.
  name = "${var.name_prefix}-nixos-${filemd5(var.image_file)}"
  # A presigned GET URL for the private object above, made by e3 for this
  # run (https://BUCKET.REGION.digitaloceanspaces.com/KEY?X-Amz-...). Only
  # read when the image is created: DigitalOcean fetches the file once, at
  # import. It lands in the state, where it is useless within the hour.
  url          = var.image_url
  distribution = "Unknown OS"
  # Imported in one region, then transferred to the others. A region can be
  # added in place, but removing one replaces the image (and so the
  # droplets): the provider cannot remove an image from a region. So the
  # regions only grow (see image_regions above).
  regions = local.image_regions

  # The import reads the object, so the upload must be done first. (The
  # reference in replace_triggered_by orders them too; this says so.)
  depends_on = [digitalocean_spaces_bucket_object.image]

  lifecycle {
    # `url` forces a new image when it changes, and e3 presigns a new one on
    # every run: ignored, so an unchanged file keeps its image (and the
    # droplets made from it).
    ignore_changes = [url]
    # A new file is a new object key (its md5 is in it): that, and only
    # that, makes a new image, as a changed `url` did when it was public.
    replace_triggered_by = [digitalocean_spaces_bucket_object.image[count.index].key]

    # Checked on every plan that keeps an image, not only when one is made:
    # e3 passes TF_VAR_image_url on each run. (try(), not `!= null &&`:
    # Terraform 1.11 and older evaluate both sides of &&, and
    # startswith(null, ...) is an error.)
    precondition {
      condition     = try(startswith(var.image_url, "https://"), false)
      error_message = "image_url must be a presigned https:// URL for the image object (e3 sets TF_VAR_image_url; run through `cargo xtask deploy`, or set it yourself)."
    }
  }
}
