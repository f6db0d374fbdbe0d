{ config, lib, pkgs, ... }:
let cfg = config.services.x; inherit (lib) mkOption types mkIf; in {
  options.services.x = {
    enable = lib.mkEnableOption "x";
    port = mkOption { type = types.port; default = 80; };
    users = mkOption { type = types.attrsOf (types.submodule { options.uid = mkOption { type = types.int; }; }); default = { }; };
  };
  config = mkIf cfg.enable { networking.firewall.allowedTCPPorts = [ cfg.port ]; };
}
