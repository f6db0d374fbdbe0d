{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs";
  outputs = { self, nixpkgs, ... }@inputs: {
    nixosConfigurations = nixpkgs.lib.genAttrs [ "a" "b" ] (name: nixpkgs.lib.nixosSystem { modules = [ ./hosts/${name}.nix { services.x.port = 8420; } ]; });
  };
}
