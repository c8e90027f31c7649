# Stand-in for nixpkgs' aarch64 SD-card image module (same path): the image
# is `config.system.build.sdImage`. Its firmware and U-Boot are aarch64
# builds, so the stand-in insists on an aarch64-linux system.
{ config, ... }:

{
  system.build.sdImage =
    if config.nixpkgs.hostPlatform or null == "aarch64-linux" then {
      name = "sd-image-aarch64";
      outPath = "/nix/store/00000000000000000000000000000000-sd-image-aarch64";
    }
    else throw "stub: the aarch64 SD image needs nixpkgs.hostPlatform = \"aarch64-linux\"";
}
