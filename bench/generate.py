#!/usr/bin/env python3
"""Deterministic generators of benchmark workspaces (no randomness: the
same arguments always write the same bytes).

usage:
  generate.py allpkgs DIR SIZE_KB     one all-packages-style attrset
                                      (DIR/all-packages.nix) of ~SIZE_KB
  generate.py module DIR OPTIONS      a flake with one host whose module
                                      (DIR/module.nix) declares OPTIONS
                                      options and defines each once
  generate.py fleet DIR MODULES HOSTS a flake with HOSTS hosts, each
                                      importing every module
  generate.py host DIR NIXPKGS        a NixOS host setting upstream options,
                                      with flakelens.toml naming NIXPKGS

Each workspace has a flake.nix so both servers see a flake.
"""
import os
import sys

FLAKE_ONE_HOST = """{
  inputs.nixpkgs.url = "github:NixOS/nixpkgs/nixos-24.05";
  outputs = { self, nixpkgs, ... }: {
    nixosConfigurations.bench = nixpkgs.lib.nixosSystem {
      system = "x86_64-linux";
      modules = [ ./module.nix ];
    };
  };
}
"""


def write(path, text):
    os.makedirs(os.path.dirname(path), exist_ok=True)
    with open(path, "w") as f:
        f.write(text)


def allpkgs(out, size_kb):
    """`pkgs/top-level/all-packages.nix` in shape: one huge attrset of
    callPackage entries, inherits, nested sets and `with` lists."""
    target = size_kb * 1024
    parts = [
        "{ lib, noSysDirs, config, overlays }:\nres: pkgs: super:\n\n"
        "with pkgs;\n\n{\n"
    ]
    size = len(parts[0])
    i = 0
    while size < target:
        g = i % 17
        if i % 11 == 0:
            chunk = (
                f"  pkgset{i} = lib.recurseIntoAttrs {{\n"
                f"    inherit (pkgs) stdenv fetchurl;\n"
                f"    tool{i} = callPackage ../tools/group{g}/tool{i} {{ }};\n"
                f"    lib{i} = callPackage ../development/libraries/lib{i} {{ inherit zlib; }};\n"
                f"  }};\n\n"
            )
        elif i % 7 == 0:
            chunk = (
                f"  package{i} = callPackage ../applications/group{g}/package{i} {{\n"
                f"    inherit (darwin.apple_sdk.frameworks) Security;\n"
                f"    python = python3;\n"
                f"    withFeature = config.package{i}.feature or false;\n"
                f"  }};\n\n"
            )
        elif i % 5 == 0:
            chunk = (
                f"  package{i}_{g} = package{i - 1}.override {{ enableExtra = true; }};\n"
                f"  package{i}Full = lowPrio (package{i}_{g}.overrideAttrs (old: {{\n"
                f"    pname = \"package{i}-full\";\n"
                f"    buildInputs = (old.buildInputs or [ ]) ++ [ openssl zlib ];\n"
                f"  }}));\n\n"
            )
        else:
            chunk = f"  package{i} = callPackage ../tools/group{g}/package{i} {{ }};\n\n"
        parts.append(chunk)
        size += len(chunk)
        i += 1
    parts.append("}\n")
    write(f"{out}/all-packages.nix", "".join(parts))
    write(f"{out}/flake.nix", '{ outputs = { self }: { }; }\n')


def module(out, options):
    """One module that declares `options` options (in groups, with
    types, defaults and descriptions) and defines every one of them."""
    parts = [
        "{ config, lib, pkgs, ... }:\n"
        "let\n  inherit (lib) mkOption mkEnableOption types;\n"
        "  cfg = config.bench;\nin\n{\n"
    ]
    kinds = [
        ("types.str", '"default value"', lambda i: f'"value {i}"'),
        ("types.int", "0", lambda i: str(i)),
        ("types.bool", "false", lambda i: "true"),
        ("types.listOf types.str", "[ ]", lambda i: f'[ "a{i}" "b{i}" ]'),
        ("types.port", "8080", lambda i: str(1000 + i % 60000)),
        ('types.enum [ "low" "mid" "high" ]', '"low"', lambda i: '"high"'),
        ("types.attrsOf types.str", "{ }", lambda i: f'{{ key{i} = "v"; }}'),
        ("types.nullOr types.path", "null", lambda i: "null"),
    ]
    parts.append("  options.bench = {\n")
    for i in range(options):
        ty, default, _ = kinds[i % len(kinds)]
        parts.append(
            f"    group{i // 100}.option{i} = mkOption {{\n"
            f"      type = {ty};\n"
            f"      default = {default};\n"
            f'      description = "Option number {i} of the benchmark module, in group {i // 100}; it is about as long as real documentation is, give or take a few words here and there, like these.";\n'
            f"    }};\n"
        )
    parts.append("  };\n\n  config.bench = {\n")
    for i in range(options):
        _, _, value = kinds[i % len(kinds)]
        parts.append(f"    group{i // 100}.option{i} = {value(i)};\n")
    parts.append("  };\n}\n")
    write(f"{out}/module.nix", "".join(parts))
    write(f"{out}/flake.nix", FLAKE_ONE_HOST)


def host(out, nixpkgs):
    """A NixOS host that sets upstream options (the shape of a real
    `configuration.nix`), with `flakelens.toml` pointing at a nixpkgs tree:
    what the editor sees with upstream options indexed."""
    users = "".join(
        f"""    users.users.user{i} = {{
      isNormalUser = true;
      description = "User {i}";
      extraGroups = [ "wheel" "networkmanager" ];
      openssh.authorizedKeys.keys = [ "ssh-ed25519 AAAA{i}" ];
    }};
"""
        for i in range(20)
    )
    write(f"{out}/configuration.nix", f"""{{ config, lib, pkgs, ... }}:
{{
  boot.loader.grub.enable = true;
  boot.loader.grub.device = "/dev/sda";
  boot.kernelModules = [ "kvm-intel" ];
  networking.hostName = "bench";
  networking.firewall.allowedTCPPorts = [ 22 80 443 ];
  networking.networkmanager.enable = true;
  time.timeZone = "Europe/Amsterdam";
  i18n.defaultLocale = "en_US.UTF-8";
  services.openssh.enable = true;
  services.openssh.permitRootLogin = "no";
  services.nginx = {{
    enable = true;
    recommendedGzipSettings = true;
    virtualHosts."example.org" = {{
      forceSSL = true;
      root = "/var/www";
    }};
  }};
  services.postgresql.enable = true;
  services.xserver.enable = false;
  security.sudo.wheelNeedsPassword = false;
  environment.systemPackages = with pkgs; [ git vim ];
  programs.zsh.enable = true;
  systemd.services.bench = {{
    description = "bench";
    wantedBy = [ "multi-user.target" ];
    serviceConfig.ExecStart = "/bin/true";
  }};
{users}  system.stateVersion = "20.09";
}}
""")
    write(f"{out}/flake.nix", FLAKE_ONE_HOST.replace("./module.nix", "./configuration.nix"))
    write(f"{out}/flakelens.toml", f'[upstream]\nnixpkgs = "{nixpkgs}"\n')


def fleet(out, modules, hosts):
    """The shape of bench/synthetic-flake.py (services with options, hosts
    that import them all and enable one in seven)."""
    import importlib.util

    here = os.path.dirname(os.path.abspath(__file__))
    spec = importlib.util.spec_from_file_location(
        "synthetic_flake", os.path.join(here, "synthetic-flake.py")
    )
    saved = sys.argv
    sys.argv = ["synthetic-flake.py", out, str(hosts), str(modules)]
    try:
        spec.loader.exec_module(importlib.util.module_from_spec(spec))
    finally:
        sys.argv = saved


def main(argv):
    if len(argv) < 3:
        sys.exit(__doc__)
    kind, out, *rest = argv[1:]
    if kind == "allpkgs":
        allpkgs(out, int(rest[0]))
    elif kind == "module":
        module(out, int(rest[0]))
    elif kind == "fleet":
        fleet(out, int(rest[0]), int(rest[1]))
    elif kind == "host":
        host(out, rest[0])
    else:
        sys.exit(__doc__)


if __name__ == "__main__":
    main(sys.argv)
