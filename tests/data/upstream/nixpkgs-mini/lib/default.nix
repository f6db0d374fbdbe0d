# A stand-in for nixpkgs' lib: flakelens uses its own model of lib, so only
# the tree's shape matters here.
{ }
