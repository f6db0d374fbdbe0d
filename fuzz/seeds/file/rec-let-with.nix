let a = rec { x = 1; y = x + 1; }; in with a; { z = y; s = "${toString z}"; l = map (v: v * 2) [ 1 2 3 ]; inherit (a) x; }
