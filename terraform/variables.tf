# Inputs. e3 passes them with -var-file=<file>: these names are its contract.

variable "nodes" {
  description = "Region slug => number of droplets there. E3's experiment: { ams3 = 3, sfo3 = 1, nyc3 = 1, sgp1 = 1 }."
  type        = map(number)
  default     = {}

  validation {
    condition     = alltrue([for region in keys(var.nodes) : can(regex("^[a-z]{3}[0-9]$", region))])
    error_message = "Each key of nodes must be a DigitalOcean region slug: three lowercase letters and a digit, e.g. ams3."
  }

  validation {
    condition     = alltrue([for count in values(var.nodes) : count >= 0 && count <= 50 && floor(count) == count])
    error_message = "Each count in nodes must be a whole number from 0 to 50."
  }
}

variable "droplet_size" {
  description = "Droplet size slug for every node (GET /v2/sizes lists them); s-1vcpu-1gb is about $6 a month."
  type        = string
  default     = "s-1vcpu-1gb"

  validation {
    condition     = can(regex("^[a-z0-9-]+$", var.droplet_size))
    error_message = "droplet_size must be a size slug such as s-1vcpu-1gb (lowercase letters, digits, hyphens)."
  }
}

variable "name_prefix" {
  description = "First part of every droplet name, which becomes its hostname and MagicDNS name: 1-20 lowercase letters, digits or hyphens, starting with a letter."
  type        = string
  default     = "e3"

  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,19}$", var.name_prefix))
    error_message = "name_prefix must be 1-20 lowercase letters, digits or hyphens, starting with a letter."
  }
}

variable "image_file" {
  description = "Path to the NixOS DigitalOcean image (`cargo xtask image --do`): qcow2, optionally compressed as .gz or .bz2."
  type        = string

  validation {
    condition     = can(regex("\\.qcow2(\\.gz|\\.bz2)?$", var.image_file))
    error_message = "image_file must name a .qcow2, .qcow2.gz or .qcow2.bz2 file."
  }
}

variable "image_url" {
  description = "A presigned GET URL for the image object in Spaces (https://BUCKET.REGION.digitaloceanspaces.com/KEY?X-Amz-...), computed by e3 (valid for at most an hour) and passed as TF_VAR_image_url, never in a tfvars file. Only read when the custom image is created: DigitalOcean imports the image from it."
  type        = string
  sensitive   = true
  default     = null
}

variable "spaces_bucket" {
  description = "Name of the Spaces bucket the image is uploaded to (made if missing; kept on destroy)."
  type        = string

  validation {
    # S3 bucket naming rules, which Spaces follows.
    condition     = can(regex("^[a-z0-9][a-z0-9-]{1,61}[a-z0-9]$", var.spaces_bucket))
    error_message = "spaces_bucket must be 3-63 lowercase letters, digits or hyphens, starting and ending with a letter or digit."
  }
}

variable "spaces_region" {
  description = "Region of the Spaces bucket."
  type        = string
  default     = "ams3"

  validation {
    condition     = can(regex("^[a-z]{3}[0-9]$", var.spaces_region))
    error_message = "spaces_region must be a region slug such as ams3."
  }
}

variable "ssh_public_keys" {
  description = "OpenSSH public keys for root on every droplet (a droplet from a custom image needs at least one). The matching private key must be in your ssh agent: Terraform logs in with it to hand over the Tailscale key."
  type        = list(string)

  validation {
    condition     = length(var.ssh_public_keys) > 0
    error_message = "ssh_public_keys needs at least one key."
  }

  validation {
    condition     = alltrue([for key in var.ssh_public_keys : can(regex("^(ssh-|ecdsa-|sk-)[^ ]+ [A-Za-z0-9+/=]+", key))])
    error_message = "Each entry of ssh_public_keys must be an OpenSSH public key line, e.g. \"ssh-ed25519 AAAA... me@laptop\"."
  }
}

variable "tags" {
  description = "DigitalOcean tags on every droplet."
  type        = list(string)
  default     = ["e3"]

  validation {
    # The DigitalOcean provider's own rule for tag names.
    condition     = alltrue([for tag in var.tags : can(regex("^[a-zA-Z0-9:_-]{1,255}$", tag))])
    error_message = "Tags may hold letters, digits, colons, hyphens and underscores, at most 255 characters."
  }
}

variable "tailnet_tags" {
  description = "Tailscale ACL tags the nodes join with. Each must be owned in the tailnet's policy (tagOwners); keys made with an OAuth client must carry at least one."
  type        = list(string)
  default     = ["tag:e3"]

  validation {
    condition     = alltrue([for tag in var.tailnet_tags : can(regex("^tag:[A-Za-z0-9-]+$", tag))])
    error_message = "Each tailnet tag must look like tag:<name> (letters, digits, hyphens)."
  }
}

variable "tailnet_key_expiry_seconds" {
  description = "Lifetime of the Tailscale auth key in seconds (5 minutes to 90 days). Nodes stay joined after it expires; only new joins need a valid key."
  type        = number
  default     = 86400

  validation {
    condition     = var.tailnet_key_expiry_seconds >= 300 && var.tailnet_key_expiry_seconds <= 7776000 && floor(var.tailnet_key_expiry_seconds) == var.tailnet_key_expiry_seconds
    error_message = "tailnet_key_expiry_seconds must be a whole number from 300 to 7776000 (90 days)."
  }
}

variable "keep_image" {
  type        = bool
  default     = true
  description = "Keep the uploaded image and the custom image when no node is left (what `cargo xtask destroy` does); false removes them too (`destroy --all`). The bucket always stays."
}
