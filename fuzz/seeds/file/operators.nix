x: { a ? 1, b, ... }@args: if a < 2 && !b || a -> b then a // { c = a ++ [ ]; } else assert a == 1; a.b.c or null
