terraform {
  # >= 1.6 for the s3 backend's `endpoints` argument (remote state on
  # DigitalOcean Spaces) and for `terraform test`.
  required_version = ">= 1.6"

  # No backend block here: state is local unless the user configures remote
  # state, in which case e3 writes e3_backend.tf (gitignored) holding
  # `terraform { backend "s3" {} }` and passes the bucket, key, endpoint and
  # so on as `terraform init -backend-config=...` values.

  required_providers {
    # Exactly the version whose schema xtask/tests/terraform_schema.rs
    # checks this module against (its fixture, taken from the provider's
    # own `terraform providers schema -json`), and that the real plans in
    # ../shared/providers were made with. For another version, check the
    # module against that version's schema first (see the test's header).
    # The dev shell (nix/dev-shell.nix) takes the provider nixpkgs has: if
    # that is not 2.99.1, `terraform init` there stops at this constraint.
    digitalocean = {
      source  = "digitalocean/digitalocean"
      version = "2.99.1"
    }
    tailscale = {
      source  = "tailscale/tailscale"
      version = "~> 0.29"
    }
    random = {
      source  = "hashicorp/random"
      version = "~> 3.9"
    }
  }
}

# Credentials come from the environment only, never from variables (which
# would land in tfvars files and the state):
# - DIGITALOCEAN_TOKEN (or DIGITALOCEAN_ACCESS_TOKEN);
# - SPACES_ACCESS_KEY_ID and SPACES_SECRET_ACCESS_KEY for the image bucket.
provider "digitalocean" {}

# TAILSCALE_API_KEY, or TAILSCALE_OAUTH_CLIENT_ID and
# TAILSCALE_OAUTH_CLIENT_SECRET; TAILSCALE_TAILNET (default: the tailnet the
# credentials belong to).
provider "tailscale" {}
