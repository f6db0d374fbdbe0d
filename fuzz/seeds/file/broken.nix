{ a = { b = [ 1 2 ; c = let in ; ${ } "unterminated
