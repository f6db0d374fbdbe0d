{
  description = "poglets: a small flake with one package, one service module and two hosts";

  inputs = {
    nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.05";
    home-manager = {
      url = "github:nix-community/home-manager/release-24.05";
      inputs.nixpkgs.follows = "nixpkgs";
    };
  };

  outputs = { self, nixpkgs, ... }@inputs:
    let
      system = "x86_64-linux";
      pkgs = import ./default.nix { inherit nixpkgs system; };
    in
    {
      packages.${system} = {
        poglets = pkgs.poglets;
        hello-nix = pkgs.hello-nix;
        default = pkgs.poglets;
      };

      overlays.default = import ./mods/_pkgs.nix;

      nixosModules.poglets = import ./hosts/modules/servers/poglets.nix;

      nixosConfigurations.neptune = nixpkgs.lib.nixosSystem {
        inherit system;
        specialArgs = { inherit inputs; };
        modules = [
          ./hosts/neptune/configuration.nix
          { nixpkgs.overlays = import ./overlays.nix; }
        ];
      };

      nixosConfigurations.venus = nixpkgs.lib.nixosSystem {
        inherit system;
        specialArgs = { inherit inputs; };
        modules = [
          ./hosts/venus/configuration.nix
          { nixpkgs.overlays = import ./overlays.nix; }
        ];
      };
    };
}
