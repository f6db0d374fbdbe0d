{ config, lib, pkgs, ... }:

with lib;

let
  cfg = config.services.poglets;
in
{
  options.services.poglets = {
    enable = mkEnableOption "poglets TCP tunnel server";

    package = mkOption {
      type = types.package;
      default = pkgs.poglets;
      defaultText = literalExpression "pkgs.poglets";
      description = "The poglets package to use.";
    };

    port = mkOption {
      type = types.port;
      default = 8000;
      example = 8420;
      description = "TCP port on which poglets accepts tunnelled traffic.";
    };

    controlPort = mkOption {
      type = types.port;
      default = 8001;
      example = 8421;
      description = "TCP port for the poglets control channel.";
    };

    user = mkOption {
      type = types.str;
      default = "poglets";
      description = "User account under which poglets runs.";
    };

    group = mkOption {
      type = types.str;
      default = "poglets";
      description = "Group under which poglets runs.";
    };

    openFirewall = mkOption {
      type = types.bool;
      default = false;
      description = "Whether to open the data and control ports in the firewall.";
    };

    logLevel = mkOption {
      type = types.enum [ "debug" "info" "warn" "error" ];
      default = "info";
      description = "Log verbosity of the poglets server.";
    };

    extraArgs = mkOption {
      type = types.listOf types.str;
      default = [ ];
      example = [ "--max-clients" "16" ];
      description = "Extra command-line arguments passed to `poglets server`.";
    };
  };

  config = mkIf cfg.enable {
    users.users.${cfg.user} = {
      isSystemUser = true;
      group = cfg.group;
    };
    users.groups.${cfg.group} = { };

    networking.firewall.allowedTCPPorts = mkIf cfg.openFirewall [ cfg.port cfg.controlPort ];

    systemd.services.poglets = {
      description = "poglets TCP tunnel server";
      wantedBy = [ "multi-user.target" ];
      after = [ "network.target" ];
      environment.POGLETS_LOG_LEVEL = cfg.logLevel;
      serviceConfig = {
        ExecStart = "${cfg.package}/bin/poglets server --port ${toString cfg.port} --control-port ${toString cfg.controlPort} ${escapeShellArgs cfg.extraArgs}";
        User = cfg.user;
        Group = cfg.group;
        Restart = "on-failure";
      };
    };
  };
}
