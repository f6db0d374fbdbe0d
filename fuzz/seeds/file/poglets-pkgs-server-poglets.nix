{ lib
, buildGo124Module
, fetchFromGitHub
, installShellFiles
}:

buildGo124Module rec {
  pname = "poglets";
  version = "0.3.1";

  src = fetchFromGitHub {
    owner = "jpillora";
    repo = "poglets";
    rev = "v${version}";
    hash = "sha256-Yc9zN0bH2p0Zk9v3m5sWm8mH3Zl4bJ1o9r0x1Jq8b2Q=";
  };

  vendorHash = "sha256-3M1b7Qm6p4s5m1h9JmZpGZ1yq8hQ2lW6l1r3F3cH0aE=";

  ldflags = [ "-s" "-w" "-X main.version=${version}" ];

  nativeBuildInputs = [ installShellFiles ];

  postInstall = ''
    installShellCompletion --cmd poglets \
      --bash <($out/bin/poglets completion bash) \
      --fish <($out/bin/poglets completion fish) \
      --zsh <($out/bin/poglets completion zsh)
  '';

  meta = with lib; {
    description = "A TCP tunneling system";
    homepage = "https://github.com/jpillora/poglets";
    license = licenses.mit;
    mainProgram = "poglets";
    platforms = platforms.linux;
  };
}
