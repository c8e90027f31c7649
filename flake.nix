{
  description = "e3: MPyC experiments on many machines (NixOS images, Colmena hive, dev shell)";

  # The only input. colmena comes from nixpkgs (its `colmena` package), and
  # the hive is plain attributes, so no colmena flake is needed.
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-26.05";

  outputs = { self, nixpkgs }:
    let
      inherit (nixpkgs) lib;

      # What every host runs, for one platform.
      hostPackages = system:
        let pkgs = nixpkgs.legacyPackages."${system}"; in
        {
          python-env = (import ./nix/python-env.nix { inherit (pkgs) python3; }).env;
          prun = pkgs.callPackage ./nix/prun.nix { };
        };

      # hosts.json as `cargo xtask hosts` writes it; without it (or with `{}`)
      # the hive has no nodes. A flake in a git work tree sees only the files
      # git tracks, so after writing it run `git add -N hosts.json` (it stays
      # uncommitted), or refer to the flake as `path:.`.
      hosts = if builtins.pathExists ./hosts.json then lib.importJSON ./hosts.json else { };
    in
    {
      devShells.x86_64-linux.default = import ./nix/dev-shell.nix {
        pkgs = import nixpkgs {
          system = "x86_64-linux";
          # Terraform is unfree (BSL) since 1.6: allow exactly it.
          config.allowUnfreePredicate = pkg: builtins.elem (lib.getName pkg) [ "terraform" ];
        };
      };

      # `cargo xtask image` builds the two images by these names.
      packages.x86_64-linux = hostPackages "x86_64-linux" // {
        digitalOceanImage = self.nixosConfigurations.digitalocean.config.system.build.digitalOceanImage;
      };
      packages.aarch64-linux = hostPackages "aarch64-linux" // {
        raspberryPi4Image = self.nixosConfigurations.raspberry-pi-4.config.system.build.sdImage;
      };

      nixosConfigurations = {
        digitalocean = lib.nixosSystem { modules = [ ./nix/digitalocean.nix ]; };
        raspberry-pi-4 = lib.nixosSystem { modules = [ ./nix/raspberry-pi-4.nix ]; };
      };

      # The Colmena hive, read by nixpkgs' colmena (0.4). Newer colmena
      # (0.5) reads `colmenaHive = colmena.lib.makeHive self.colmena`, which
      # needs the colmena flake as an input: left out on purpose.
      colmena = import ./nix/hive.nix { inherit nixpkgs hosts; };
    };
}
