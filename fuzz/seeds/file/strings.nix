{ a = ''
  indented ${x} ''${y} '''
''; b = "esc \" \${no} ${yes}"; c = ./rel/path.nix; d = <nixpkgs>; e = https://example.org; }
