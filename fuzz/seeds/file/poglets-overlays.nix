# Local overlays, applied in order.
[
  (import ./mods/_pkgs.nix)
]
