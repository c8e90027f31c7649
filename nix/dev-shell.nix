# `nix develop`: everything e3's tasks call, at the versions flake.lock pins.
{ pkgs }:

pkgs.mkShell {
  packages = [
    # Rust, to build and test e3 itself.
    pkgs.cargo
    pkgs.rustc
    pkgs.clippy
    pkgs.rustfmt

    # MPyC's Python: `cargo xtask run --python python3` uses it as it is.
    (import ./python-env.nix { inherit (pkgs) python3; }).env

    # Provisioning: Terraform with the providers e3's configuration uses,
    # from nixpkgs (so `terraform init` needs no registry). nixpkgs names
    # providers `<namespace>_<type>` after their registry address. Their
    # versions are the ones flake.lock's nixpkgs has, not pinned here;
    # terraform/versions.tf admits digitalocean 2.99.1 only (the version
    # the module is checked against: xtask/tests/terraform_schema.rs), so
    # with another one `terraform init` stops and says which it found.
    (pkgs.terraform.withPlugins (p: [
      p.digitalocean_digitalocean
      p.tailscale_tailscale
      p.hashicorp_random
    ]))

    # Deploying and running on hosts.
    pkgs.colmena
    pkgs.openssh
    pkgs.rsync
    pkgs.pssh # pssh and prsync, for the original way (scripts/prun-baseline.sh)
    pkgs.jq
  ];
}
