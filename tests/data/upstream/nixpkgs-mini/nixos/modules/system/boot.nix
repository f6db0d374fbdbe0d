{ config, lib, ... }:
with lib;
{
  options = {
    boot.loader.grub.device = mkOption {
      type = types.str;
      example = "/dev/sda";
      description = "The device GRUB is installed on.";
    };
    boot.loader.timeout = mkOption {
      type = types.nullOr types.int;
      default = 5;
      description = "Seconds before the default entry boots.";
    };
    system.build.toplevel = mkOption {
      type = types.package;
      readOnly = true;
      description = "The system.";
    };
    system.stateVersion = mkOption {
      type = types.str;
      readOnly = true;
      default = "20.09";
      description = "Set once, by the user.";
    };
  };
  config.system.build.toplevel = config.system.path;
}
