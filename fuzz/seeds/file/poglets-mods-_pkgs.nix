# Expose every package under ../pkgs as a top-level attribute of pkgs.
#
#   pkgs/server/poglets.nix          -> pkgs.poglets
#   pkgs/tools/hello-nix/default.nix -> pkgs.hello-nix
#
# Category directories (server/, tools/, ...) are flattened away: a directory
# that has a default.nix is a package named after the directory, any other
# directory is walked recursively.
final: prev:
let
  lib = prev.lib;

  isNixFile = name: type:
    type == "regular" && lib.hasSuffix ".nix" name && name != "default.nix";

  isPackageDir = dir: name: type:
    type == "directory" && builtins.pathExists (dir + "/${name}/default.nix");

  isCategoryDir = dir: name: type:
    type == "directory" && !(isPackageDir dir name type);

  walk = dir:
    let
      entries = builtins.readDir dir;

      files = lib.mapAttrs'
        (name: _: lib.nameValuePair
          (lib.removeSuffix ".nix" name)
          (final.callPackage (dir + "/${name}") { }))
        (lib.filterAttrs isNixFile entries);

      packageDirs = lib.mapAttrs'
        (name: _: lib.nameValuePair name (final.callPackage (dir + "/${name}") { }))
        (lib.filterAttrs (isPackageDir dir) entries);

      categories = lib.attrNames (lib.filterAttrs (isCategoryDir dir) entries);
    in
    lib.foldl' (acc: sub: acc // walk (dir + "/${sub}")) (files // packageDirs) categories;
in
walk ../pkgs
