# The one shared package set: pinned nixpkgs plus the local overlays.
{ nixpkgs, system }:
import nixpkgs {
  inherit system;
  overlays = import ./overlays.nix;
}
