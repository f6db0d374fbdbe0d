# Sub-options of users.users.<name>, in a file of their own.
{ name, lib, ... }:
{
  options = {
    name = lib.mkOption {
      type = lib.types.str;
      default = name;
      description = "The user's name.";
    };
    uid = lib.mkOption {
      type = lib.types.nullOr lib.types.int;
      default = null;
      description = "The user's UID.";
    };
  };
}
