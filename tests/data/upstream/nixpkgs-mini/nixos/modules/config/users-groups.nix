{ config, lib, ... }:
{
  options.users.users = lib.mkOption {
    type = lib.types.attrsOf (lib.types.submodule ./user-options.nix);
    default = { };
    description = "Additional user accounts.";
  };
}
