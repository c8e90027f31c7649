# A Raspberry Pi 4 (aarch64): nixpkgs' generic aarch64 SD-card image module
# (U-Boot and firmware for the Pi 3/4, root on the card) plus e3's shared
# host configuration. Not the `-installer` variant, which would add the
# live-installer profile: this image is the system itself. The image is
# `config.system.build.sdImage` (flake: packages.aarch64-linux.raspberryPi4Image),
# built natively for aarch64-linux; on an x86_64 machine that needs binfmt
# emulation (qemu) and nix's `extra-platforms = aarch64-linux`.
{ modulesPath, ... }:

{
  imports = [
    "${modulesPath}/installer/sd-card/sd-image-aarch64.nix"
    ./node.nix
  ];

  nixpkgs.hostPlatform = "aarch64-linux";
}
