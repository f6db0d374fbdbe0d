#!/usr/bin/env bash
# Headless Kakoune + kak-lsp end-to-end test of `flakelens lsp` through the
# shipped editors/kakoune/kakrc and kak-lsp.toml, installed where a user puts
# them ($XDG_CONFIG_HOME/kak/kakrc, $XDG_CONFIG_HOME/kak-lsp/kak-lsp.toml) in a
# private HOME. Kakoune runs with `-ui dummy` (a real client, no terminal) and
# is driven with `kak -p`; state is read back with `echo -to-file`.
# Run by tests/editors/run with kak, kak-lsp and `flakelens` on PATH, FL_WS = a
# copy of the poglets fixture and the FL_* positions of tests/editors/positions.py.
# Exit: 0 pass, 1 a check failed, 3 watchdog.
set -u
repo="$(cd "$(dirname "$0")/../../.." && pwd)"
ws="${FL_WS:?FL_WS is not set}"
t0=$(date +%s%N)
ms() { echo $((($(date +%s%N) - t0) / 1000000)); }

work="$(mktemp -d "${TMPDIR:-/tmp}/flakelens-kak.XXXXXX")"
export HOME="$work/home" XDG_CONFIG_HOME="$work/home/.config" TMPDIR="$work" XDG_RUNTIME_DIR="$work/xdg"
mkdir -p "$XDG_CONFIG_HOME/kak" "$XDG_CONFIG_HOME/kak-lsp" && mkdir -m 700 "$XDG_RUNTIME_DIR"
ln -s "$repo/editors/kakoune/kakrc" "$XDG_CONFIG_HOME/kak/kakrc"
ln -s "$repo/editors/kakoune/kak-lsp.toml" "$XDG_CONFIG_HOME/kak-lsp/kak-lsp.toml"
sess="flakelens$$"

finish() {
  local code=$1
  printf 'eval -client client0 lsp-exit\nkill!\n' | kak -p "$sess" >/dev/null 2>&1
  [ -n "${kak_pid:-}" ] && { sleep 0.3; kill "$kak_pid" 2>/dev/null; }
  # kak-lsp forks a daemon that outlives the session for a while: end this
  # run's one (its command line names our unique session) by pid.
  local pids
  pids=$(pgrep -f -- "kak-lsp.* -s $sess( |$)")
  [ -n "$pids" ] && kill $pids 2>/dev/null
  echo "[$(ms)ms] exit $code"
  [ "$code" = 0 ] || { echo "--- kak-lsp/kakoune output"; cat "$work/kak.log"; }
  cd / && rm -rf "$work"
  exit "$code"
}
(sleep 60; kill -USR1 $$ 2>/dev/null) &
watchdog=$!
trap 'echo "WATCHDOG: no result after 60 s"; finish 3' USR1
trap 'kill $watchdog 2>/dev/null' EXIT

check() { # NAME STATUS DETAIL
  local detail="${3//$'\n'/ }"
  echo "[$(ms)ms] $([ "$2" = 0 ] && echo PASS || echo FAIL) $1 :: ${detail:0:400}"
  [ "$2" = 0 ] || finish 1
}
# q EXPANSIONS: evaluate Kakoune expansions in client0 and print the result.
# (An empty value makes an empty file: poll for existence, not size.)
q() {
  local f="$work/q.$RANDOM"
  printf '%s\n' "eval -client client0 %{ echo -to-file $f -- $1 }" | kak -p "$sess"
  for _ in $(seq 200); do [ -e "$f" ] && break; sleep 0.02; done
  cat "$f" 2>/dev/null
  rm -f "$f"
}
send() { printf '%s\n' "eval -client client0 %{ $1 }" | kak -p "$sess"; }
wait_for() { # SECONDS SHELL-CONDITION
  local end=$(($(date +%s) + $1))
  while [ "$(date +%s)" -lt "$end" ]; do eval "$2" && return 0; sleep 0.1; done
  return 1
}

cd "$ws"
kak -ui dummy -s "$sess" "$FL_HOST" >"$work/kak.log" 2>&1 </dev/null &
kak_pid=$!
wait_for 15 'kak -l 2>/dev/null | grep -qx "$sess"'
check "kak session up" $? "$sess"
wait_for 15 '[ "$(q "%opt{filetype}")" = nix ]'
check "filetype nix detected, kakrc loaded" $? "$(q '%opt{filetype} %opt{lsp_cmd}')"

line=$FL_PORT_LINE
vcol=$((FL_PORT_VALUE_COL + 1)) # Kakoune columns are 1-based
pcol=$((FL_PORT_COL + 1))

# 1. diagnostics: a type error on the port value appears, then clears
#    (lsp-did-change is what kak-lsp's NormalIdle hook runs after an edit)
send "select $line.$vcol,$line.$((vcol + 3)); execute-keys '\"_c\"x\"<esc>'; lsp-did-change"
wait_for 15 '[ "$(q "%opt{lsp_diagnostic_error_count}")" = 1 ]'
check "one type error" $? "$(q '%opt{lsp_diagnostic_error_count} %opt{lsp_inline_diagnostics}')"
diag="$(q '%opt{lsp_inline_diagnostics}')"
[[ " $diag " == *" $line.$vcol,$line.$((vcol + 2))|"* ]]
check "... on the port value" $? "$diag"
send "execute-keys u; lsp-did-change"
wait_for 15 '[ "$(q "%opt{lsp_diagnostic_error_count}")" = 0 ]'
check "diagnostic cleared after the fix" $? "$(q '%opt{lsp_diagnostic_error_count}')"

# 2. definition of `enable`: lsp-definition opens the module with the name selected
send "select $FL_ENABLE_LINE.$((FL_ENABLE_COL + 3)),$FL_ENABLE_LINE.$((FL_ENABLE_COL + 3)); lsp-definition"
wait_for 15 '[ "$(q "%val{bufname}")" = "$FL_DECL_FILE" ]'
check "lsp-definition opened the declaring module" $? "$(q '%val{bufname} %val{selection_desc}')"
sel="$(q '%val{selection_desc}')"
[ "${sel%%,*}" = "$FL_DECL_ENABLE_LINE.$((FL_DECL_ENABLE_COL + 1))" ]
check "... with the cursor on the declaration" $? "$sel"
send "buffer $FL_HOST"

# 3. hover on the key `port`, into the *hover* scratch buffer
send "select $line.$((pcol + 1)),$line.$((pcol + 1)); lsp-hover-buffer"
wait_for 15 '[ "$(q "%val{bufname}")" = "*hover*" ]'
check "lsp-hover-buffer opened *hover*" $? "$(q '%val{bufname}')"
send "execute-keys '%'"
hover="$(q '%val{selection}')"
[[ "$hover" == *types.port* && "$hover" == *"$FL_PORT_DEFAULT"* ]]
check "hover shows types.port and the default" $? "$hover"
send "buffer $FL_HOST"

# 4. completion at the start of the key `port` (empty prefix)
#    lsp-completion is what kak-lsp's InsertIdle hook runs; in normal mode the
#    cursor stands on the `p` as it does in insert mode at `|port`, so the
#    kakrc's lsp_completion_trigger is what decides whether it asks at all.
send "select $line.$pcol,$line.$pcol; lsp-completion"
wait_for 15 'q "%opt{lsp_completions}" | grep -q controlPort'
check "lsp_completions lists the poglets options" $? "$(q '%opt{lsp_completions}')"
comp="$(q '%opt{lsp_completions}')"
[[ "$comp" == "$line.$pcol@"* && "$comp" == *openFirewall* && "$comp" == *logLevel* ]]
check "... completing at the cursor" $? "$comp"
finish 0
