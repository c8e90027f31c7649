# A STAND-IN FOR NIXPKGS, for xtask/tests/nix.rs only.
#
# nixpkgs cannot be fetched on e3's development and CI machines, so e3's
# flake cannot be evaluated against the nixos-26.05 that flake.lock pins. The
# test evaluates it against this flake instead (`--override-input nixpkgs
# path:<this folder>`), which provides only what e3's flake touches, under
# the same names, with the same shapes:
#
# - lib: the handful of functions e3's Nix files call, and lib.nixosSystem,
#   which runs a small module evaluator (nixos/lib/eval-config.nix) that
#   merges definitions, rejects options e3 is not known to use, and hands
#   modules `pkgs` for `nixpkgs.hostPlatform`;
# - nixos/modules: the two image modules e3 imports, at the paths nixpkgs
#   has them, each setting its `system.build` image;
# - legacyPackages.<system> and `import nixpkgs { ... }` (default.nix):
#   stand-ins for the packages e3 uses, with fake store paths; terraform is
#   unfree, as in nixpkgs, and needs the flake's allowUnfreePredicate.
#
# Nothing here is built. What it proves: the flake's outputs exist and
# evaluate, the hive follows hosts.json, and no secret or local path gets
# into a configuration. What it cannot prove: that nixpkgs' real modules
# accept every value (the option names were checked by hand against
# nixpkgs; see the list in nixos/lib/eval-config.nix).
{
  description = "Stand-in for nixpkgs in e3's Nix tests (nothing is built)";

  outputs = _: {
    lib = import ./lib.nix;
    legacyPackages = {
      x86_64-linux = import ./pkgs.nix { system = "x86_64-linux"; };
      aarch64-linux = import ./pkgs.nix { system = "aarch64-linux"; };
    };
  };
}
