# Stand-ins for the packages e3's flake uses, for one system. Each is an
# attribute set with a name and a fake store path (so JSON shows it as a
# path, as it would a derivation); builders check the arguments e3 passes.
{ system, config ? { } }:

let
  lib = import ./lib.nix;

  drv = name: attrs: attrs // {
    inherit name system;
    outPath = "/nix/store/00000000000000000000000000000000-${name}";
  };

  # As nixpkgs: an unfree package evaluates only when config allows it.
  allowed = pkg:
    (config.allowUnfree or false) || (config.allowUnfreePredicate or (_: false)) pkg;
  unfree = pkg:
    if allowed pkg then pkg
    else throw "stub: ${pkg.pname} has an unfree license and config does not allow it";

  python3Packages = {
    fetchPypi = { pname, version, hash }:
      if builtins.match "sha256-[A-Za-z0-9+/]{43}=" hash == null
      then throw "stub fetchPypi: ${pname}'s hash is no SRI sha256 hash"
      else drv "${pname}-${version}.tar.gz" { inherit pname version hash; };

    buildPythonPackage = args:
      assert args ? pname && args ? version && args ? src;
      assert (args.pyproject or false) -> args ? build-system;
      drv "python3-${args.pname}-${args.version}" {
        inherit (args) pname version;
        src = args.src.outPath;
      };

    setuptools = drv "python3-setuptools" { };
    gmpy2 = drv "python3-gmpy2" { };
    numpy = drv "python3-numpy" { };
  };

  terraformProviders = {
    # nixpkgs names providers `<namespace>_<type>` after their registry
    # address (providers.json); the bare names are gone.
    digitalocean_digitalocean = drv "terraform-provider-digitalocean" { };
    tailscale_tailscale = drv "terraform-provider-tailscale" { };
    hashicorp_random = drv "terraform-provider-random" { };
  };

  terraform = drv "terraform" {
    pname = "terraform";
    meta.license = { spdxId = "BUSL-1.1"; free = false; };
    withPlugins = plugins:
      drv "terraform-with-plugins" {
        pname = "terraform";
        providers = map (p: p.name) (plugins terraformProviders);
      };
  };

  pkgs = {
    inherit lib system;
    # Where nixpkgs' own files are: colmena imports
    # `pkgs.path + "/nixos/lib/eval-config.nix"`.
    path = ./.;

    callPackage = fn: overrides:
      let f = import fn; in
      f (builtins.intersectAttrs (builtins.functionArgs f) pkgs // overrides);

    python3 = drv "python3" {
      pkgs = python3Packages;
      withPackages = select:
        drv "python3-env" { packages = map (p: p.name) (select python3Packages); };
    };
    inherit python3Packages;

    rustPlatform.buildRustPackage = args:
      assert builtins.pathExists args.cargoLock.lockFile;
      assert args.src.name == "source";
      drv "${args.pname}-${args.version}" {
        inherit (args) pname version cargoBuildFlags cargoTestFlags;
        inherit (args.src) files;
        inherit (args.meta) mainProgram;
      };

    terraform = unfree terraform;

    mkShell = { packages ? [ ] }: drv "nix-shell" { inherit packages; };

    cargo = drv "cargo" { };
    rustc = drv "rustc" { };
    clippy = drv "clippy" { };
    rustfmt = drv "rustfmt" { };
    colmena = drv "colmena" { };
    openssh = drv "openssh" { };
    rsync = drv "rsync" { };
    pssh = drv "pssh" { };
    jq = drv "jq" { };
  };
in
pkgs
