# `prun`, e3's host-side party launcher (crates/prun), built from this
# workspace. Every host gets it, so a run can start MPyC parties with
# `prun -- python3 program.py` on each host.
{ lib, rustPlatform }:

let
  # The source cargo needs to load the workspace: the root manifest and lock,
  # .cargo/, and every member (`members = ["xtask", "crates/*"]`), even
  # though only prun is built. Nothing else (docs, demos, python/, nix/), so
  # editing those does not rebuild prun.
  src = lib.fileset.toSource {
    root = ../.;
    fileset = lib.fileset.unions [
      ../Cargo.toml
      ../Cargo.lock
      ../.cargo
      ../crates
      ../xtask
    ];
  };
in
rustPlatform.buildRustPackage {
  pname = "prun";
  inherit ((lib.importTOML ../crates/prun/Cargo.toml).package) version;
  inherit src;

  # Dependencies come from Cargo.lock's checksums: no vendor hash to keep.
  cargoLock.lockFile = ../Cargo.lock;

  # Build and test only prun (and the e3 crates it uses), not xtask.
  cargoBuildFlags = [ "-p" "prun" ];
  cargoTestFlags = [ "-p" "prun" ];

  meta = {
    description = "Who is which MPyC party: runs one party of a multi-host MPyC program";
    license = with lib.licenses; [ mit asl20 ];
    mainProgram = "prun";
  };
}
