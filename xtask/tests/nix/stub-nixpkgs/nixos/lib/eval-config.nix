# Stand-in for nixpkgs' nixos/lib/eval-config.nix: a small module evaluator.
#
# It collects modules (paths, functions or attribute sets, with `imports`),
# merges their definitions (lists concatenated, attribute sets merged, equal
# values kept, `lib.mkOverride` priorities honoured) and gives modules
# `config`, `lib`, `pkgs` (for `nixpkgs.hostPlatform`), `modulesPath` and
# `specialArgs`. It knows the types and defaults of a few options only (see
# `types` below); instead, a definition of anything but the options listed
# below is an error, so a misspelt option fails here as it would in NixOS.
{ modules
, system ? null
, specialArgs ? { }
  # Stand-in only: options that other tools declare (colmena's `deployment`).
, extraOptions ? [ ]
}:

let
  lib = import ../../lib.nix;

  # The options e3's modules (and the stand-in modules here) define, each
  # checked by hand against nixos-26.05. `*` matches any one name (attrsOf).
  # A definition may go below an option that takes free-form attribute sets.
  options = [
    "environment.systemPackages"
    "networking.firewall.enable"
    "networking.firewall.trustedInterfaces"
    "networking.firewall.checkReversePath"
    "networking.hostName"
    "nixpkgs.hostPlatform"
    "services.openssh.enable"
    "services.openssh.settings" # free-form sshd_config settings
    "services.tailscale.enable"
    "services.tailscale.authKeyFile"
    "services.tailscale.openFirewall"
    "system.build" # where image modules put their images
    "system.stateVersion"
    "systemd.services.*.unitConfig" # free-form [Unit] settings
    "systemd.tmpfiles.rules"
    "users.users.*.openssh.authorizedKeys.keys"
    "virtualisation.digitalOceanImage.compressionMethod"
    "warnings"
  ] ++ extraOptions;

  # Options whose type and default the stand-in enforces as nixpkgs
  # declares them (nixos-26.05), checked by hand.
  types = {
    # nixos/modules/tasks/network-interfaces.nix: one DNS label, default
    # "nixos" (which a host whose name was never set would keep).
    "networking.hostName" = {
      check = v: builtins.isString v
        && builtins.match "^$|^[[:alnum:]]([[:alnum:]_-]{0,61}[[:alnum:]])?$" v != null;
      description = "types.strMatching \"^$|^[[:alnum:]]([[:alnum:]_-]{0,61}[[:alnum:]])?$\"";
      default = "nixos";
    };
  };

  split = option: builtins.filter builtins.isString (builtins.split "\\." option);
  declared = map split options;
  showPath = builtins.concatStringsSep ".";

  # Whether `path` is an option (its definitions merge into a value) or
  # lies above options (its definitions are attribute sets to descend into).
  startsWith = path: option:
    builtins.length path <= builtins.length option
    && builtins.all
      (i: builtins.elemAt option i == "*" || builtins.elemAt option i == builtins.elemAt path i)
      (builtins.genList (i: i) (builtins.length path));
  isOption = path: builtins.any (o: builtins.length o == builtins.length path && startsWith path o) declared;
  isAbove = path: builtins.any (o: builtins.length o > builtins.length path && startsWith path o) declared;

  priorityOf = def: if def._type or null == "override" then def.priority else 100;
  contentOf = def: if def._type or null == "override" then def.content else def;

  mergeValues = path: values:
    let first = builtins.head values; in
    if builtins.all builtins.isList values then builtins.concatLists values
    else if builtins.all (v: builtins.isAttrs v && !(v ? outPath)) values then mergeAttrs path values
    else if builtins.all (v: v == first) values then first
    else throw "stub eval-config: conflicting definitions of ${showPath path}";

  mergeAttrs = path: sets:
    let names = builtins.attrNames (builtins.foldl' (a: b: a // b) { } sets); in
    builtins.listToAttrs (map
      (name: {
        inherit name;
        value = mergeValues (path ++ [ name ]) (map (s: s."${name}") (builtins.filter (s: s ? "${name}") sets));
      })
      names);

  mergeOption = path: defs:
    let top = builtins.foldl' (a: b: if a < b then a else b) 1500 (map priorityOf defs); in
    mergeValues path (map contentOf (builtins.filter (d: priorityOf d == top) defs));

  mergeDefinitions = path: defs:
    let names = builtins.attrNames (builtins.foldl' (a: b: a // b) { } defs); in
    builtins.listToAttrs (map
      (name:
        let
          sub = path ++ [ name ];
          subDefs = map (d: d."${name}") (builtins.filter (d: d ? "${name}") defs);
        in
        {
          inherit name;
          value =
            if isOption sub then mergeOption sub subDefs
            else if isAbove sub && builtins.all builtins.isAttrs subDefs then mergeDefinitions sub subDefs
            else throw "stub eval-config: `${showPath sub}` is not an option e3 is known to use; check it against nixpkgs, then list it in xtask/tests/nix/stub-nixpkgs/nixos/lib/eval-config.nix";
        })
      names);

  args = specialArgs // {
    inherit config lib pkgs;
    modulesPath = toString ../modules;
  };

  # Every module with what it imports: its definitions, without `imports`.
  collect = module:
    let
      f = if builtins.isFunction module || builtins.isAttrs module then module else import module;
      value = if builtins.isFunction f then f (builtins.intersectAttrs (builtins.functionArgs f) args) else f;
    in
    if value ? options || value ? config
    then throw "stub eval-config: modules with `options` or `config` are not supported"
    else [ (builtins.removeAttrs value [ "imports" ]) ] ++ builtins.concatMap collect (value.imports or [ ]);

  merged = mergeDefinitions [ ] (builtins.concatMap collect modules);

  # The value at `path`, or null; `set` with `value` at `path`.
  getPath = path: set:
    builtins.foldl' (s: name: if builtins.isAttrs s && s ? "${name}" then s."${name}" else null) set path;
  setPath = path: value: set:
    if path == [ ] then value
    else
      let name = builtins.head path; in
      set // { "${name}" = setPath (builtins.tail path) value (set."${name}" or { }); };

  # Each typed option: its default when not defined, and a type error as
  # NixOS gives one when the value does not fit.
  typed = cfg: option:
    let
      path = split option;
      type = types."${option}";
      got = getPath path cfg;
      value = if got == null then type.default else got;
    in
    if type.check value then setPath path value cfg
    else throw "stub eval-config: The option `${option}' has a value ${builtins.toJSON value} that is not of type ${type.description}";

  config = builtins.foldl' typed merged (builtins.attrNames types);

  hostPlatform = config.nixpkgs.hostPlatform or (
    if system != null then system
    else throw "stub eval-config: neither nixpkgs.hostPlatform nor `system` is set"
  );
  pkgs = import ../../pkgs.nix { system = hostPlatform; };
in
{
  inherit config pkgs;
}
