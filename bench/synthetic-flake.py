#!/usr/bin/env python3
"""Writes a synthetic flake with many hosts and option-declaring modules,
for timing flakelens on something larger than the fixtures.

usage: synthetic-flake.py DIR [HOSTS] [MODULES]
"""
import os
import sys

out = sys.argv[1]
hosts = int(sys.argv[2]) if len(sys.argv) > 2 else 40
modules = int(sys.argv[3]) if len(sys.argv) > 3 else 300

os.makedirs(f"{out}/modules", exist_ok=True)
os.makedirs(f"{out}/hosts", exist_ok=True)
for m in range(modules):
    with open(f"{out}/modules/svc{m}.nix", "w") as f:
        f.write(f"""{{ config, lib, pkgs, ... }}:
let
  inherit (lib) mkEnableOption mkOption mkIf types;
  cfg = config.services.svc{m};
in
{{
  options.services.svc{m} = {{
    enable = mkEnableOption "service {m}";
    port = mkOption {{ type = types.port; default = {1000 + m}; description = "Port of service {m}."; }};
    level = mkOption {{ type = types.enum [ "low" "high" ]; default = "low"; }};
    extra = mkOption {{ type = types.listOf types.str; default = [ ]; }};
    users = mkOption {{
      type = types.attrsOf (types.submodule {{ options.uid = mkOption {{ type = types.int; }}; }});
      default = {{ }};
    }};
  }};
  config = mkIf cfg.enable {{
    networking.firewall.allowedTCPPorts = [ cfg.port ];
    systemd.services.svc{m}.serviceConfig.ExecStart = "${{pkgs.hello}}/bin/hello --port ${{toString cfg.port}}";
  }};
}}
""")
with open(f"{out}/modules/default.nix", "w") as f:
    f.write("{ imports = [\n" + "".join(f"  ./svc{m}.nix\n" for m in range(modules)) + "]; }\n")
for h in range(hosts):
    enabled = [m for m in range(modules) if (m + h) % 7 == 0]
    with open(f"{out}/hosts/h{h}.nix", "w") as f:
        f.write("{ lib, ... }:\n{\n  imports = [ ../modules ];\n")
        for m in enabled:
            f.write(f"  services.svc{m} = {{ enable = true; port = {2000 + m}; level = \"high\"; extra = [ \"-v\" ]; users.alice.uid = 1000; }};\n")
        f.write("  system.stateVersion = \"24.05\";\n}\n")
with open(f"{out}/flake.nix", "w") as f:
    f.write("""{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.05";
  outputs = { self, nixpkgs, ... }@inputs:
    let
      mkHost = name: nixpkgs.lib.nixosSystem {
        system = "x86_64-linux";
        specialArgs = { inherit inputs; };
        modules = [ ./hosts/${name}.nix ];
      };
    in {
      nixosConfigurations = nixpkgs.lib.genAttrs (map (i: "h${toString i}") (builtins.genList (i: i) %d)) mkHost;
    };
}
""" % hosts)
