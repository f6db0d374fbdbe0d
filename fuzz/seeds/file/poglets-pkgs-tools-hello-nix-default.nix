{ lib, stdenv }:

stdenv.mkDerivation {
  pname = "hello-nix";
  version = "1.0.0";

  dontUnpack = true;

  installPhase = ''
    runHook preInstall
    mkdir -p $out/bin
    printf '#!/bin/sh\necho "hello from nix"\n' > $out/bin/hello-nix
    chmod +x $out/bin/hello-nix
    runHook postInstall
  '';

  meta = {
    description = "Prints a friendly greeting";
    license = lib.licenses.mit;
    mainProgram = "hello-nix";
  };
}
