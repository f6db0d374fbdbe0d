{ config, lib, pkgs, ... }:
with lib;
{
  options.networking = {
    hostName = mkOption {
      type = types.str;
      default = "nixos";
      description = ''
        The name of the machine. See <xref linkend="opt-networking.domain"/>
        and <literal>hostname(1)</literal>.
      '';
    };
    domain = mkOption {
      type = types.nullOr types.str;
      default = null;
      description = "The domain. Also see {option}`networking.hostName`.";
    };
    firewall.enable = mkEnableOption "the firewall";
  };
}
