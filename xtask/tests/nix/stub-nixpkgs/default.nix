# Stand-in for `import nixpkgs { system; config; }`, as e3's dev shell does
# to allow terraform (unfree) by name.
{ system, config ? { } }:

import ./pkgs.nix { inherit system config; }
