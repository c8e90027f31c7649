# Stand-in for nixpkgs' DigitalOcean image module (same path): the image is
# `config.system.build.digitalOceanImage`, a qcow2 file compressed with
# `virtualisation.digitalOceanImage.compressionMethod` (gzip by default).
{ config, ... }:

let
  compression = config.virtualisation.digitalOceanImage.compressionMethod or "gzip";
in
{
  system.build.digitalOceanImage =
    if builtins.elem compression [ "gzip" "bzip2" ] then {
      name = "digital-ocean-image";
      outPath = "/nix/store/00000000000000000000000000000000-digital-ocean-image";
      inherit compression;
    }
    else throw "stub: compressionMethod must be gzip or bzip2, not ${compression}";
}
