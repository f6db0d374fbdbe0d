{ config, pkgs, inputs, ... }:

{
  imports = [
    ./hardware-configuration.nix
    ../modules/servers/poglets.nix
    ../modules/common.nix
  ];

  networking.hostName = "neptune";

  services = {
    poglets = {
      enable = true;
      port = 8420;
      controlPort = 8421;
    };
    openssh.enable = true;
  };

  environment.systemPackages = with pkgs; [
    poglets
    git
  ];

  system.stateVersion = "24.05";
}
