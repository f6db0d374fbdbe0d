# Settings shared by every host, plus the repo-owned `site.*` namespace.
{ config, lib, pkgs, ... }:

{
  options.site = {
    adminEmail = lib.mkOption {
      type = lib.types.str;
      description = "Address that receives mail for root and service alerts.";
    };

    motd = lib.mkOption {
      type = lib.types.lines;
      default = "";
      description = "Message of the day shown on login.";
    };
  };

  config = {
    site.adminEmail = lib.mkDefault "root@example.org";

    time.timeZone = "Europe/Amsterdam";
    i18n.defaultLocale = "en_US.UTF-8";

    nix.settings.experimental-features = [ "nix-command" "flakes" ];

    users.motd = config.site.motd;

    environment.etc."aliases".text = ''
      root: ${config.site.adminEmail}
    '';
  };
}
