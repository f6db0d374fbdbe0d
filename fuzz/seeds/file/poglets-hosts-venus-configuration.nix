{ config, pkgs, lib, ... }:

{
  imports = [
    ./hardware-configuration.nix
    ../modules/common.nix
  ];

  networking.hostName = "venus";
  networking.firewall.allowedTCPPorts = [ 80 443 ];

  site.adminEmail = "ops@venus.example.org";

  services.nginx = {
    enable = true;
    recommendedProxySettings = true;
    virtualHosts."venus.example.org" = {
      root = "/var/www/venus";
    };
  };

  users.users.alice = {
    isNormalUser = true;
    extraGroups = [ "wheel" ];
  };

  boot.loader.systemd-boot.enable = true;
  boot.loader.efi.canTouchEfiVariables = true;

  system.stateVersion = "24.05";
}
