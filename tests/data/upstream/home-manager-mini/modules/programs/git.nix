{ config, lib, pkgs, ... }:
{
  options.programs.git = {
    enable = lib.mkEnableOption "Git";
    userName = lib.mkOption {
      type = lib.types.nullOr lib.types.str;
      default = null;
      description = "Default user name to use.";
    };
  };
}
