{ imports = [ ./flake.nix ./configuration.nix ../x.nix ]; services.y.enable = true; }
