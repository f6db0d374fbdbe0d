{ config, lib, pkgs, ... }:
let
  inherit (lib) mkOption mkEnableOption mkPackageOption types mkIf;
  cfg = config.services.openssh;
in
{
  options.services.openssh = {
    enable = mkEnableOption "the OpenSSH secure shell daemon";
    package = mkPackageOption pkgs "openssh" { };
    ports = mkOption {
      type = types.listOf types.port;
      default = [ 22 ];
      description = ''
        Ports on which the SSH daemon listens.

        ::: {.note}
        Open them in the firewall yourself.
        :::
      '';
    };
    internalState = mkOption {
      type = types.str;
      internal = true;
      default = "";
      description = "Not for users.";
    };
  };
  config = mkIf cfg.enable {
    networking.firewall.enable = true;
  };
}
