{ config, lib, ... }:
with lib;
let
  exporters = [ "node" "nginx" ];
in
{
  options.services.prometheus.exporters = genAttrs exporters (name: {
    enable = mkEnableOption "the prometheus ${name} exporter";
    port = mkOption {
      type = types.port;
      description = "Port of the ${name} exporter.";
    };
  });
}
