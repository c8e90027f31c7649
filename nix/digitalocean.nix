# A DigitalOcean droplet: nixpkgs' DigitalOcean image module (qcow2 image,
# droplet hardware, hostname and SSH keys from DigitalOcean's metadata) plus
# e3's shared host configuration. The image is
# `config.system.build.digitalOceanImage` (flake: packages.x86_64-linux.digitalOceanImage).
{ modulesPath, ... }:

{
  imports = [
    "${modulesPath}/virtualisation/digital-ocean-image.nix"
    ./node.nix
  ];

  nixpkgs.hostPlatform = "x86_64-linux";

  # gzip, the module's default, stated so the image's name (`*.qcow2.gz`)
  # does not change under e3: DigitalOcean imports gzip or bzip2, and bzip2
  # makes a smaller file but takes longer to build.
  virtualisation.digitalOceanImage.compressionMethod = "gzip";
}
