# The Colmena hive: one node per host in hosts.json, the file `cargo xtask
# hosts` writes from Terraform's output (an object keyed by host name whose
# values may hold `targetHost`, `targetUser`, `targetPort`, `region`,
# `platform` and `hostName`; `targetHost` is there when the key is not the
# host's name, as for two hosts behind one address, keyed `name:port`).
# `colmena apply` pushes e3's host configuration to every node;
# `colmena apply --on @ams3` to the nodes of one region.
#
# nixpkgs' colmena (0.4) reads this as the flake's `colmena` output.
{ nixpkgs, hosts }:

let
  inherit (nixpkgs) lib;

  # The same modules the images are built from, so a deployment changes
  # nothing that the image did not already have: a droplet's hardware is
  # DigitalOcean's, an aarch64 host is a Raspberry Pi 4 booted from e3's SD
  # image. Both import node.nix.
  platformModules = {
    x86_64-linux = ./digitalocean.nix;
    aarch64-linux = ./raspberry-pi-4.nix;
  };

  # A host's platform: one e3 has an image for.
  platformOf = name: host:
    let platform = host.platform or "x86_64-linux"; in
    if platformModules ? "${platform}" then platform
    else throw "hosts.json: host `${name}` has platform `${platform}`; e3's hosts are x86_64-linux (DigitalOcean droplets) or aarch64-linux (Raspberry Pi 4)";

  # Where colmena reaches the host: the key, or `targetHost` when given.
  targetOf = name: host: host.targetHost or name;

  # The machine's own name (networking.hostName, which Tailscale also
  # takes for the device): the entry's `hostName`, else the first label of
  # its name in lower case (NixOS takes one DNS label), so that a Pi is not
  # `nixos` and prun finds its entry by it. An address names no machine.
  hostNameOf = name: host:
    let
      target = targetOf name host;
      isAddress = builtins.match "[0-9.]+" target != null || builtins.match ".*:.*" target != null;
    in
    if host ? hostName then host.hostName
    else if isAddress then throw "hosts.json: host `${name}` is an address and has no `hostName`; give it one (`hostName=NAME` after it in the hosts file of `cargo xtask hosts --extra`)"
    else lib.toLower (builtins.head (builtins.split "\\." target));

  node = name: host:
    let platform = platformOf name host; in
    {
      imports = [ platformModules."${platform}" ];
      nixpkgs.hostPlatform = platform;
      networking.hostName = hostNameOf name host;
      deployment = {
        targetHost = targetOf name host;
        # Tags select nodes: `colmena apply --on @<region>`.
        tags = lib.optional (host ? region) host.region;
      }
      // lib.optionalAttrs (host ? targetUser) { inherit (host) targetUser; }
      // lib.optionalAttrs (host ? targetPort) { inherit (host) targetPort; };
    };
in
lib.mapAttrs node hosts // {
  meta = {
    # Colmena needs the pinned nixpkgs spelled out when it reads a flake: an
    # instantiated package set, as its manual asks. Nodes of another
    # platform get their own.
    nixpkgs = nixpkgs.legacyPackages.x86_64-linux;
    nodeNixpkgs = lib.mapAttrs (name: host: nixpkgs.legacyPackages."${platformOf name host}")
      (lib.filterAttrs (name: host: platformOf name host != "x86_64-linux") hosts);
  };
}
