# flakelens packaged for Nix users: `nix run`, `nix profile install`, or the
# overlay in a NixOS / nix-darwin / home-manager configuration (README).
{
  description = "flakelens: a language server and checker for Nix flake repositories";

  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-unstable";

  outputs =
    { self, nixpkgs }:
    let
      lib = nixpkgs.lib;
      systems = [
        "x86_64-linux"
        "aarch64-linux"
        "x86_64-darwin"
        "aarch64-darwin"
      ];
      forAllSystems = f: lib.genAttrs systems (system: f nixpkgs.legacyPackages.${system});
      version = (builtins.fromTOML (builtins.readFile ./Cargo.toml)).workspace.package.version;

      # The package, for any package set (the overlay passes its own).
      flakelens =
        pkgs:
        pkgs.rustPlatform.buildRustPackage {
          pname = "flakelens";
          inherit version;
          src = self;
          cargoLock.lockFile = ./Cargo.lock;
          cargoBuildFlags = [
            "--package"
            "flakelens"
          ];
          # `flakelens --version` names the commit (build.rs reads this
          # when there is no .git in the source).
          FLAKELENS_GIT_COMMIT = self.shortRev or self.dirtyShortRev or "";
          meta = {
            description = "Language server and checker for Nix flake repositories";
            license = with lib.licenses; [
              mit
              asl20
            ];
            mainProgram = "flakelens";
          };
        };
    in
    {
      packages = forAllSystems (pkgs: {
        default = flakelens pkgs;
        flakelens = flakelens pkgs;
      });

      apps = forAllSystems (pkgs: {
        default = {
          type = "app";
          program = "${self.packages.${pkgs.stdenv.hostPlatform.system}.default}/bin/flakelens";
        };
      });

      devShells = forAllSystems (pkgs: {
        default = pkgs.mkShell {
          inputsFrom = [ self.packages.${pkgs.stdenv.hostPlatform.system}.default ];
          packages = with pkgs; [
            clippy
            rustfmt
            rust-analyzer
            pre-commit
          ];
        };
      });

      overlays.default = final: _prev: { flakelens = flakelens final; };
    };
}
