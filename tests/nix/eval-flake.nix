# Evaluates the repository's flake.nix against a stub nixpkgs (no network,
# no nixpkgs checkout): the outputs' structure, for server/tests/packaging.rs.
# buildRustPackage and mkShell return their arguments.
let
  flake = import ../../flake.nix;
  systems = [ "x86_64-linux" "aarch64-linux" "x86_64-darwin" "aarch64-darwin" ];
  genAttrs = names: f: builtins.listToAttrs (map (name: { inherit name; value = f name; }) names);
  pkgsFor = system: {
    stdenv.hostPlatform.system = system;
    rustPlatform.buildRustPackage = args: args // { outPath = "/nix/store/stub-${args.pname}-${system}"; inherit system; };
    mkShell = args: args // { shell = true; };
    clippy = "clippy"; rustfmt = "rustfmt"; rust-analyzer = "rust-analyzer"; pre-commit = "pre-commit";
  };
  nixpkgs = {
    lib = { inherit genAttrs; licenses = { mit = "mit"; asl20 = "asl20"; }; };
    legacyPackages = genAttrs systems pkgsFor;
  };
  self = outputs // { shortRev = "0123456789ab"; };
  outputs = flake.outputs { inherit self nixpkgs; };
  pkg = outputs.packages.x86_64-linux.default;
in {
  systems = map (s: builtins.attrNames outputs.${s}) [ "packages" "apps" "devShells" ];
  packageSystems = builtins.attrNames outputs.packages;
  inherit (pkg) pname version cargoBuildFlags FLAKELENS_GIT_COMMIT;
  lock = toString pkg.cargoLock.lockFile;
  mainProgram = pkg.meta.mainProgram;
  app = outputs.apps.aarch64-darwin.default;
  overlay = (outputs.overlays.default (pkgsFor "x86_64-linux") { }).flakelens.pname;
  shellFrom = map (p: p.pname) outputs.devShells.x86_64-linux.default.inputsFrom;
}
