{ lib, ... }:
with lib;
{
  imports = [
    (mkRenamedOptionModule [ "services" "ssh" "enable" ] [ "services" "openssh" "enable" ])
    (mkAliasOptionModule [ "networking" "name" ] [ "networking" "hostName" ])
    (mkRemovedOptionModule [ "services" "oldthing" ] "Use services.newthing instead.")
  ];
}
