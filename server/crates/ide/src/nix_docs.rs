//! The one table of the Nix language's `builtins` and of nixpkgs `lib`
//! functions the ide completes and describes: name, signature and a
//! one-line description (written for flakelens).

/// A documented function.
#[derive(Debug, Clone, Copy, PartialEq, Eq)]
pub struct FnDoc {
    pub name: &'static str,
    pub signature: &'static str,
    pub summary: &'static str,
}

const fn d(name: &'static str, signature: &'static str, summary: &'static str) -> FnDoc {
    FnDoc {
        name,
        signature,
        summary,
    }
}

/// Names usable without `builtins.` (the Nix language's global scope).
pub const GLOBALS: &[&str] = &[
    "abort",
    "baseNameOf",
    "builtins",
    "derivation",
    "dirOf",
    "false",
    "fetchGit",
    "fetchTarball",
    "fromTOML",
    "import",
    "isNull",
    "map",
    "null",
    "placeholder",
    "removeAttrs",
    "scopedImport",
    "throw",
    "toString",
    "true",
];

/// `builtins.*`, sorted by name.
#[rustfmt::skip]
pub const BUILTINS: &[FnDoc] = &[
    d("abort", "abort :: String -> a", "Aborts evaluation with an error message (not catchable)."),
    d("add", "add :: Number -> Number -> Number", "Adds two numbers."),
    d("all", "all :: (a -> Bool) -> [a] -> Bool", "Whether the predicate holds for every list element."),
    d("any", "any :: (a -> Bool) -> [a] -> Bool", "Whether the predicate holds for some list element."),
    d("attrNames", "attrNames :: AttrSet -> [String]", "The names of an attribute set, sorted."),
    d("attrValues", "attrValues :: AttrSet -> [a]", "The values of an attribute set, in name order."),
    d("baseNameOf", "baseNameOf :: Path | String -> String", "The last component of a path."),
    d("catAttrs", "catAttrs :: String -> [AttrSet] -> [a]", "The values of one attribute in each set of a list that has it."),
    d("compareVersions", "compareVersions :: String -> String -> Int", "Compares two version strings: -1, 0 or 1."),
    d("concatLists", "concatLists :: [[a]] -> [a]", "Concatenates a list of lists."),
    d("concatMap", "concatMap :: (a -> [b]) -> [a] -> [b]", "Maps each element to a list and concatenates the results."),
    d("concatStringsSep", "concatStringsSep :: String -> [String] -> String", "Joins strings with a separator."),
    d("deepSeq", "deepSeq :: a -> b -> b", "Forces the first value completely, then returns the second."),
    d("derivation", "derivation :: AttrSet -> Derivation", "Creates a derivation from a builder, system and name."),
    d("dirOf", "dirOf :: Path | String -> Path | String", "The directory part of a path."),
    d("div", "div :: Number -> Number -> Number", "Divides two numbers (integer division on ints)."),
    d("elem", "elem :: a -> [a] -> Bool", "Whether a value is an element of a list."),
    d("elemAt", "elemAt :: [a] -> Int -> a", "The list element at a zero-based index."),
    d("fetchGit", "fetchGit :: AttrSet | String -> AttrSet", "Fetches a Git repository at evaluation time."),
    d("fetchTarball", "fetchTarball :: AttrSet | String -> Path", "Downloads and unpacks a tarball at evaluation time."),
    d("fetchurl", "fetchurl :: String -> Path", "Downloads a file at evaluation time."),
    d("filter", "filter :: (a -> Bool) -> [a] -> [a]", "The list elements for which the predicate holds."),
    d("foldl'", "foldl' :: (b -> a -> b) -> b -> [a] -> b", "Strict left fold over a list."),
    d("fromJSON", "fromJSON :: String -> a", "Parses a JSON string into a Nix value."),
    d("fromTOML", "fromTOML :: String -> AttrSet", "Parses a TOML string into an attribute set."),
    d("functionArgs", "functionArgs :: Function -> AttrSet", "The formal arguments of a function: name to whether it has a default."),
    d("genList", "genList :: (Int -> a) -> Int -> [a]", "A list of the given length from a function of the index."),
    d("getAttr", "getAttr :: String -> AttrSet -> a", "The attribute of a set named by a string."),
    d("getEnv", "getEnv :: String -> String", "An environment variable of the evaluator (impure)."),
    d("hasAttr", "hasAttr :: String -> AttrSet -> Bool", "Whether a set has the named attribute."),
    d("hashString", "hashString :: String -> String -> String", "The hash of a string with the named algorithm."),
    d("head", "head :: [a] -> a", "The first element of a list."),
    d("import", "import :: Path -> a", "Evaluates the Nix file at a path (its `default.nix` for a directory)."),
    d("intersectAttrs", "intersectAttrs :: AttrSet -> AttrSet -> AttrSet", "The attributes of the second set whose names are in the first."),
    d("isAttrs", "isAttrs :: a -> Bool", "Whether a value is an attribute set."),
    d("isBool", "isBool :: a -> Bool", "Whether a value is a Boolean."),
    d("isFloat", "isFloat :: a -> Bool", "Whether a value is a float."),
    d("isFunction", "isFunction :: a -> Bool", "Whether a value is a function."),
    d("isInt", "isInt :: a -> Bool", "Whether a value is an integer."),
    d("isList", "isList :: a -> Bool", "Whether a value is a list."),
    d("isNull", "isNull :: a -> Bool", "Whether a value is `null` (deprecated: use `== null`)."),
    d("isPath", "isPath :: a -> Bool", "Whether a value is a path."),
    d("isString", "isString :: a -> Bool", "Whether a value is a string."),
    d("length", "length :: [a] -> Int", "The number of elements of a list."),
    d("lessThan", "lessThan :: a -> a -> Bool", "Whether the first value is less than the second."),
    d("listToAttrs", "listToAttrs :: [{ name; value; }] -> AttrSet", "An attribute set from a list of name/value pairs."),
    d("map", "map :: (a -> b) -> [a] -> [b]", "Applies a function to each element of a list."),
    d("mapAttrs", "mapAttrs :: (String -> a -> b) -> AttrSet -> AttrSet", "Applies a function of name and value to each attribute."),
    d("match", "match :: String -> String -> [String] | Null", "Matches a whole string against a regex: the groups, or null."),
    d("mul", "mul :: Number -> Number -> Number", "Multiplies two numbers."),
    d("parseDrvName", "parseDrvName :: String -> { name; version; }", "Splits a package name into name and version."),
    d("partition", "partition :: (a -> Bool) -> [a] -> { right; wrong; }", "Splits a list by a predicate."),
    d("path", "path :: AttrSet -> Path", "Copies a path to the store, with a name and filter."),
    d("pathExists", "pathExists :: Path -> Bool", "Whether a path exists."),
    d("placeholder", "placeholder :: String -> String", "A placeholder for a derivation output path."),
    d("readDir", "readDir :: Path -> AttrSet", "The entries of a directory: name to \"regular\", \"directory\", \"symlink\"."),
    d("readFile", "readFile :: Path -> String", "The contents of a file as a string."),
    d("removeAttrs", "removeAttrs :: AttrSet -> [String] -> AttrSet", "A set without the named attributes."),
    d("replaceStrings", "replaceStrings :: [String] -> [String] -> String -> String", "Replaces each occurrence of the first strings by the second ones."),
    d("scopedImport", "scopedImport :: AttrSet -> Path -> a", "Imports a file with extra names in scope."),
    d("seq", "seq :: a -> b -> b", "Forces the first value (shallowly), then returns the second."),
    d("sort", "sort :: (a -> a -> Bool) -> [a] -> [a]", "Sorts a list with a less-than comparator."),
    d("split", "split :: String -> String -> [String | [String]]", "Splits a string by a regex, keeping the matched groups."),
    d("splitVersion", "splitVersion :: String -> [String]", "Splits a version string into its components."),
    d("storePath", "storePath :: Path -> Path", "Makes a store path a dependency (impure)."),
    d("stringLength", "stringLength :: String -> Int", "The length of a string in bytes."),
    d("sub", "sub :: Number -> Number -> Number", "Subtracts the second number from the first."),
    d("substring", "substring :: Int -> Int -> String -> String", "The part of a string from a start, of a length."),
    d("tail", "tail :: [a] -> [a]", "A list without its first element."),
    d("throw", "throw :: String -> a", "Fails evaluation with an error message (catchable by `tryEval`)."),
    d("toFile", "toFile :: String -> String -> Path", "Writes a string to a store file."),
    d("toJSON", "toJSON :: a -> String", "Serialises a value as JSON."),
    d("toPath", "toPath :: String -> Path", "Converts an absolute path string to a path (deprecated)."),
    d("toString", "toString :: a -> String", "Converts a value to a string."),
    d("toXML", "toXML :: a -> String", "Serialises a value as XML."),
    d("trace", "trace :: a -> b -> b", "Prints the first value to stderr, returns the second."),
    d("tryEval", "tryEval :: a -> { success; value; }", "Evaluates a value, catching `throw` and `assert` failures."),
    d("typeOf", "typeOf :: a -> String", "The type name of a value (\"int\", \"set\", \"lambda\", …)."),
    d("unsafeDiscardStringContext", "unsafeDiscardStringContext :: String -> String", "A string without its store-path context."),
    d("zipAttrsWith", "zipAttrsWith :: (String -> [a] -> b) -> [AttrSet] -> AttrSet", "Merges sets: each name's values in a list, combined by a function."),
];

/// nixpkgs `lib.*` functions, sorted by name.
#[rustfmt::skip]
pub const LIB: &[FnDoc] = &[
    d("all", "all :: (a -> Bool) -> [a] -> Bool", "Whether the predicate holds for every list element."),
    d("any", "any :: (a -> Bool) -> [a] -> Bool", "Whether the predicate holds for some list element."),
    d("attrByPath", "attrByPath :: [String] -> a -> AttrSet -> a", "The value at an attribute path, or a default."),
    d("attrNames", "attrNames :: AttrSet -> [String]", "The names of an attribute set, sorted."),
    d("attrValues", "attrValues :: AttrSet -> [a]", "The values of an attribute set, in name order."),
    d("catAttrs", "catAttrs :: String -> [AttrSet] -> [a]", "The values of one attribute in each set of a list that has it."),
    d("composeExtensions", "composeExtensions :: Overlay -> Overlay -> Overlay", "Composes two overlays (extensions) into one."),
    d("composeManyExtensions", "composeManyExtensions :: [Overlay] -> Overlay", "Composes a list of overlays into one."),
    d("concatLists", "concatLists :: [[a]] -> [a]", "Concatenates a list of lists."),
    d("concatMap", "concatMap :: (a -> [b]) -> [a] -> [b]", "Maps each element to a list and concatenates the results."),
    d("concatMapAttrs", "concatMapAttrs :: (String -> a -> AttrSet) -> AttrSet -> AttrSet", "Maps each attribute to a set and merges the results."),
    d("concatMapStrings", "concatMapStrings :: (a -> String) -> [a] -> String", "Maps each element to a string and concatenates them."),
    d("concatMapStringsSep", "concatMapStringsSep :: String -> (a -> String) -> [a] -> String", "Maps each element to a string and joins them with a separator."),
    d("concatStrings", "concatStrings :: [String] -> String", "Concatenates a list of strings."),
    d("concatStringsSep", "concatStringsSep :: String -> [String] -> String", "Joins strings with a separator."),
    d("const", "const :: a -> b -> a", "A function that ignores its argument and returns the first one."),
    d("elem", "elem :: a -> [a] -> Bool", "Whether a value is an element of a list."),
    d("elemAt", "elemAt :: [a] -> Int -> a", "The list element at a zero-based index."),
    d("escapeShellArg", "escapeShellArg :: String -> String", "Quotes a string for a POSIX shell."),
    d("filter", "filter :: (a -> Bool) -> [a] -> [a]", "The list elements for which the predicate holds."),
    d("filterAttrs", "filterAttrs :: (String -> a -> Bool) -> AttrSet -> AttrSet", "The attributes for which a predicate of name and value holds."),
    d("fix", "fix :: (a -> a) -> a", "The fixed point of a function (`let x = f x; in x`)."),
    d("flatten", "flatten :: [a | [a]] -> [a]", "Flattens nested lists into one list."),
    d("flip", "flip :: (a -> b -> c) -> b -> a -> c", "Swaps the two arguments of a function."),
    d("foldl", "foldl :: (b -> a -> b) -> b -> [a] -> b", "Left fold over a list."),
    d("foldl'", "foldl' :: (b -> a -> b) -> b -> [a] -> b", "Strict left fold over a list."),
    d("foldr", "foldr :: (a -> b -> b) -> b -> [a] -> b", "Right fold over a list."),
    d("genAttrs", "genAttrs :: [String] -> (String -> a) -> AttrSet", "A set with the given names, each value a function of its name."),
    d("genList", "genList :: (Int -> a) -> Int -> [a]", "A list of the given length from a function of the index."),
    d("getAttr", "getAttr :: String -> AttrSet -> a", "The attribute of a set named by a string."),
    d("getAttrFromPath", "getAttrFromPath :: [String] -> AttrSet -> a", "The value at an attribute path (fails if absent)."),
    d("getExe", "getExe :: Derivation -> String", "The path of a package's main program (`meta.mainProgram`)."),
    d("hasAttr", "hasAttr :: String -> AttrSet -> Bool", "Whether a set has the named attribute."),
    d("hasAttrByPath", "hasAttrByPath :: [String] -> AttrSet -> Bool", "Whether a set has a value at an attribute path."),
    d("hasInfix", "hasInfix :: String -> String -> Bool", "Whether a string contains another."),
    d("hasPrefix", "hasPrefix :: String -> String -> Bool", "Whether a string starts with a prefix."),
    d("hasSuffix", "hasSuffix :: String -> String -> Bool", "Whether a string ends with a suffix."),
    d("head", "head :: [a] -> a", "The first element of a list."),
    d("id", "id :: a -> a", "The identity function."),
    d("imap0", "imap0 :: (Int -> a -> b) -> [a] -> [b]", "Maps with a zero-based index."),
    d("imap1", "imap1 :: (Int -> a -> b) -> [a] -> [b]", "Maps with a one-based index."),
    d("isAttrs", "isAttrs :: a -> Bool", "Whether a value is an attribute set."),
    d("isBool", "isBool :: a -> Bool", "Whether a value is a Boolean."),
    d("isDerivation", "isDerivation :: a -> Bool", "Whether a value is a derivation."),
    d("isFunction", "isFunction :: a -> Bool", "Whether a value is a function."),
    d("isInt", "isInt :: a -> Bool", "Whether a value is an integer."),
    d("isList", "isList :: a -> Bool", "Whether a value is a list."),
    d("isString", "isString :: a -> Bool", "Whether a value is a string."),
    d("last", "last :: [a] -> a", "The last element of a list."),
    d("length", "length :: [a] -> Int", "The number of elements of a list."),
    d("listToAttrs", "listToAttrs :: [{ name; value; }] -> AttrSet", "An attribute set from a list of name/value pairs."),
    d("literalExpression", "literalExpression :: String -> Literal", "Marks an option default or example as Nix code for the docs."),
    d("literalMD", "literalMD :: String -> Literal", "Marks an option default or example as Markdown for the docs."),
    d("makeBinPath", "makeBinPath :: [Derivation] -> String", "A `PATH` value from the `bin` directories of packages."),
    d("makeLibraryPath", "makeLibraryPath :: [Derivation] -> String", "A search path from the `lib` directories of packages."),
    d("map", "map :: (a -> b) -> [a] -> [b]", "Applies a function to each element of a list."),
    d("mapAttrs", "mapAttrs :: (String -> a -> b) -> AttrSet -> AttrSet", "Applies a function of name and value to each attribute."),
    d("mapAttrs'", "mapAttrs' :: (String -> a -> { name; value; }) -> AttrSet -> AttrSet", "Maps each attribute to a new name/value pair."),
    d("mapAttrsToList", "mapAttrsToList :: (String -> a -> b) -> AttrSet -> [b]", "Maps each attribute of a set to a list element."),
    d("mdDoc", "mdDoc :: String -> String", "Marks an option description as Markdown (deprecated, now the default)."),
    d("mkAfter", "mkAfter :: a -> a", "Orders a list or lines definition after the default ones."),
    d("mkAliasOptionModule", "mkAliasOptionModule :: [String] -> [String] -> Module", "A module making one option path an alias of another."),
    d("mkBefore", "mkBefore :: a -> a", "Orders a list or lines definition before the default ones."),
    d("mkChangedOptionModule", "mkChangedOptionModule :: [String] -> [String] -> (Config -> a) -> Module", "A module replacing an option by another, converting its value."),
    d("mkDefault", "mkDefault :: a -> a", "A definition with default priority (1000): any plain definition wins."),
    d("mkEnableOption", "mkEnableOption :: String -> Option", "A `bool` option, default `false`, described as \"Whether to enable <name>.\""),
    d("mkForce", "mkForce :: a -> a", "A definition with force priority (50): wins over plain definitions."),
    d("mkIf", "mkIf :: Bool -> a -> a", "A definition that applies only when the condition holds."),
    d("mkMerge", "mkMerge :: [a] -> a", "Merges a list of definitions into one."),
    d("mkMergedOptionModule", "mkMergedOptionModule :: [[String]] -> [String] -> (Config -> a) -> Module", "A module merging several old options into a new one."),
    d("mkOption", "mkOption :: { type; default; description; … } -> Option", "Declares an option."),
    d("mkOptionDefault", "mkOptionDefault :: a -> a", "A definition with the priority of an option default (1500)."),
    d("mkOrder", "mkOrder :: Int -> a -> a", "Orders a list or lines definition by a priority."),
    d("mkOverride", "mkOverride :: Int -> a -> a", "A definition with an explicit priority (lower wins)."),
    d("mkPackageOption", "mkPackageOption :: Pkgs -> String -> AttrSet -> Option", "Declares a `package` option defaulting to a package of `pkgs`."),
    d("mkRemovedOptionModule", "mkRemovedOptionModule :: [String] -> String -> Module", "A module making a removed option an error with a message."),
    d("mkRenamedOptionModule", "mkRenamedOptionModule :: [String] -> [String] -> Module", "A module forwarding an old option path to a new one, with a warning."),
    d("nameValuePair", "nameValuePair :: String -> a -> { name; value; }", "A name/value pair for `listToAttrs` and `mapAttrs'`."),
    d("nixosSystem", "nixosSystem :: { modules; specialArgs; system; … } -> AttrSet", "Evaluates a NixOS configuration from its modules."),
    d("optional", "optional :: Bool -> a -> [a]", "A one-element list if the condition holds, else `[]`."),
    d("optionalAttrs", "optionalAttrs :: Bool -> AttrSet -> AttrSet", "The set if the condition holds, else `{}`."),
    d("optionalString", "optionalString :: Bool -> String -> String", "The string if the condition holds, else `\"\"`."),
    d("optionals", "optionals :: Bool -> [a] -> [a]", "The list if the condition holds, else `[]`."),
    d("pipe", "pipe :: a -> [(a -> b) …] -> c", "Passes a value through a list of functions, left to right."),
    d("range", "range :: Int -> Int -> [Int]", "The integers from the first to the second, inclusive."),
    d("recursiveUpdate", "recursiveUpdate :: AttrSet -> AttrSet -> AttrSet", "Merges two sets recursively; the second wins on conflicts."),
    d("removeAttrs", "removeAttrs :: AttrSet -> [String] -> AttrSet", "A set without the named attributes."),
    d("removePrefix", "removePrefix :: String -> String -> String", "A string without a prefix (unchanged if absent)."),
    d("removeSuffix", "removeSuffix :: String -> String -> String", "A string without a suffix (unchanged if absent)."),
    d("replaceStrings", "replaceStrings :: [String] -> [String] -> String -> String", "Replaces each occurrence of the first strings by the second ones."),
    d("reverseList", "reverseList :: [a] -> [a]", "A list in reverse order."),
    d("setAttrByPath", "setAttrByPath :: [String] -> a -> AttrSet", "A nested set holding a value at an attribute path."),
    d("splitString", "splitString :: String -> String -> [String]", "Splits a string at each occurrence of a separator."),
    d("strings", "strings :: AttrSet", "The string functions of `lib` (also at the top of `lib`)."),
    d("subtractLists", "subtractLists :: [a] -> [a] -> [a]", "The second list without the elements of the first."),
    d("tail", "tail :: [a] -> [a]", "A list without its first element."),
    d("throwIf", "throwIf :: Bool -> String -> a -> a", "Fails with a message if the condition holds, else returns the value."),
    d("toList", "toList :: a | [a] -> [a]", "A list as is, any other value in a one-element list."),
    d("toLower", "toLower :: String -> String", "A string in lower case (ASCII)."),
    d("toString", "toString :: a -> String", "Converts a value to a string."),
    d("toUpper", "toUpper :: String -> String", "A string in upper case (ASCII)."),
    d("trace", "trace :: a -> b -> b", "Prints the first value to stderr, returns the second."),
    d("types", "types :: AttrSet", "The option types (`types.str`, `types.port`, `types.submodule`, …)."),
    d("unique", "unique :: [a] -> [a]", "A list without duplicates, keeping first occurrences."),
    d("versionAtLeast", "versionAtLeast :: String -> String -> Bool", "Whether the first version is at least the second."),
    d("versionOlder", "versionOlder :: String -> String -> Bool", "Whether the first version is older than the second."),
    d("warn", "warn :: String -> a -> a", "Prints a warning at evaluation, returns the value."),
    d("zipAttrsWith", "zipAttrsWith :: (String -> [a] -> b) -> [AttrSet] -> AttrSet", "Merges sets: each name's values in a list, combined by a function."),
];

/// `lib`'s sub-namespaces that expose the same functions
/// (`lib.strings.hasPrefix`, `lib.attrsets.mapAttrs`).
pub const LIB_NAMESPACES: &[&str] = &[
    "attrsets",
    "lists",
    "strings",
    "trivial",
    "options",
    "modules",
    "fixedPoints",
    "versions",
];

fn find(table: &'static [FnDoc], name: &str) -> Option<&'static FnDoc> {
    table
        .binary_search_by(|doc| doc.name.cmp(name))
        .ok()
        .map(|i| &table[i])
}

pub fn builtin(name: &str) -> Option<&'static FnDoc> {
    find(BUILTINS, name)
}

pub fn lib(name: &str) -> Option<&'static FnDoc> {
    find(LIB, name)
}

#[cfg(test)]
mod tests {
    use super::*;

    #[test]
    fn tables_are_sorted_and_unique_for_binary_search() {
        for table in [BUILTINS, LIB] {
            for pair in table.windows(2) {
                assert!(
                    pair[0].name < pair[1].name,
                    "{} ≥ {}",
                    pair[0].name,
                    pair[1].name
                );
            }
        }
        let mut globals = GLOBALS.to_vec();
        globals.sort();
        assert_eq!(globals, GLOBALS);
    }

    #[test]
    fn every_global_function_is_a_documented_builtin() {
        for name in GLOBALS {
            if !["true", "false", "null", "builtins"].contains(name) {
                assert!(builtin(name).is_some(), "{name}");
            }
        }
    }
}
