# Stand-in for nixpkgs' lib: only the functions e3's Nix files call, each
# doing what nixpkgs' does for the arguments e3 gives it.
let
  fileExists = what: path:
    if builtins.pathExists path then path
    else throw "stub lib.fileset.${what}: ${toString path} does not exist";
in
{
  inherit (builtins) mapAttrs;

  optional = cond: x: if cond then [ x ] else [ ];
  optionalAttrs = cond: set: if cond then set else { };
  filterAttrs = pred: set:
    builtins.removeAttrs set (builtins.filter (name: !pred name set."${name}") (builtins.attrNames set));

  # As nixpkgs' lib.toLower (ASCII letters).
  toLower = builtins.replaceStrings
    [ "A" "B" "C" "D" "E" "F" "G" "H" "I" "J" "K" "L" "M" "N" "O" "P" "Q" "R" "S" "T" "U" "V" "W" "X" "Y" "Z" ]
    [ "a" "b" "c" "d" "e" "f" "g" "h" "i" "j" "k" "l" "m" "n" "o" "p" "q" "r" "s" "t" "u" "v" "w" "x" "y" "z" ];

  getName = pkg: pkg.pname or (builtins.parseDrvName pkg.name).name;

  importJSON = path: builtins.fromJSON (builtins.readFile path);
  importTOML = path: builtins.fromTOML (builtins.readFile path);

  # A file set is a list of existing paths here; a source is a stand-in
  # derivation that remembers which paths below `root` it holds.
  fileset = {
    unions = map (fileExists "unions");
    toSource = { root, fileset }:
      let
        rootString = toString root;
        below = path:
          let p = toString path; in
          builtins.substring 0 (builtins.stringLength rootString + 1) p == rootString + "/";
      in
      if builtins.all below fileset then {
        name = "source";
        outPath = "/nix/store/00000000000000000000000000000000-source";
        files = map (path: builtins.substring (builtins.stringLength rootString + 1) (-1) (toString path)) fileset;
      }
      else throw "stub lib.fileset.toSource: a file is not below ${rootString}";
  };

  licenses = {
    mit = { spdxId = "MIT"; free = true; };
    asl20 = { spdxId = "Apache-2.0"; free = true; };
  };

  # As nixpkgs' flake: eval-config.nix with no default system, so the
  # modules must set nixpkgs.hostPlatform.
  nixosSystem = args: import ./nixos/lib/eval-config.nix ({ system = null; } // args);
}
