[
  ./config/networking.nix
  ./config/users-groups.nix
  ./services/openssh.nix
  ./services/exporters.nix
  ./system/boot.nix
  ./rename.nix
]
