# The NixOS configuration every e3 host shares, on a DigitalOcean droplet
# and on a Raspberry Pi 4 alike: MPyC's Python and prun, Tailscale, and SSH
# for root by key only. The platform modules (digitalocean.nix,
# raspberry-pi-4.nix) add the hardware and the image format.
{ lib, pkgs, ... }:

let
  # Written on the host after it boots (by Terraform), never part of the
  # image or the Nix store: the key is a secret and the store is
  # world-readable. Root-only (0600) inside /var/lib/e3 (0700, made below).
  tailscaleAuthKeyFile = "/var/lib/e3/tailscale-authkey";

  # nix/authorized_keys: one OpenSSH public key a line; `#` comments and
  # blank lines are skipped. e3's deploy step is to read it too.
  authorizedKeys = builtins.filter
    (line: builtins.isString line && builtins.match "[[:space:]]*(#.*)?" line == null)
    (builtins.split "\r?\n" (builtins.readFile ./authorized_keys));
in
{
  environment.systemPackages = [
    # `python3` with MPyC, gmpy2 and numpy: what `cargo xtask run --hosts`
    # starts parties with (its --remote-python default).
    (import ./python-env.nix { inherit (pkgs) python3; }).env
    (pkgs.callPackage ./prun.nix { })
    # e3 syncs programs with rsync over ssh, which needs rsync on the host
    # too. NixOS has it by default; listed so that stays so.
    pkgs.rsync
  ];

  services = {
    # Tailscale: parties reach each other by MagicDNS names. tailscaled logs
    # in with the key file once it is there (the module's
    # tailscaled-autoconnect unit runs `tailscale up --auth-key "$(cat FILE)"`).
    tailscale = {
      enable = true;
      authKeyFile = tailscaleAuthKeyFile;
      # Lets peers reach this host directly on Tailscale's UDP port instead
      # of through relays: e3 measures latency, and relays add to it.
      openFirewall = true;
    };

    openssh = {
      enable = true;
      settings = {
        PermitRootLogin = "prohibit-password";
        PasswordAuthentication = false;
        KbdInteractiveAuthentication = false;
      };
    };
  };

  systemd = {
    tmpfiles.rules = [ "d /var/lib/e3 0700 root root -" ];
    # Until the key is there, skip the login unit instead of failing it at
    # every boot. Whoever writes the key then starts the unit (or runs
    # `tailscale up --auth-key=file:...` itself).
    services.tailscaled-autoconnect.unitConfig.ConditionPathExists = tailscaleAuthKeyFile;
  };

  # Everything on the tailnet is trusted (MPyC's ports included); from
  # elsewhere only SSH gets in (the openssh module opens port 22) and
  # Tailscale's own UDP port. Loose reverse-path filtering, which Tailscale
  # needs.
  networking.firewall = {
    enable = true;
    trustedInterfaces = [ "tailscale0" ];
    checkReversePath = "loose";
  };

  users.users.root.openssh.authorizedKeys.keys = authorizedKeys;
  warnings = lib.optional (authorizedKeys == [ ])
    "nix/authorized_keys has no keys: nobody can log in to this host over SSH unless its provider adds a key (DigitalOcean does)";

  # The release whose defaults the state on these hosts (e.g. /var/lib) was
  # first created with. It stays "26.05" when nixpkgs is updated: it is not
  # the NixOS version, and changing it can break existing state.
  system.stateVersion = "26.05";
}
