{ pkgs, lib, check ? true, ... }:
let
  modules = [
    ./programs/git.nix
  ];
in
modules
