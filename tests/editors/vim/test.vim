" Headless Vim + ALE end-to-end test of `flakelens lsp`, through the shipped
" config (editors/vim/vimrc + editors/vim/ale_linters/nix/flakelens.vim).
" Run by tests/editors/run:
"   vim -Nu editors/vim/vimrc -i NONE -n -es -S tests/editors/vim/test.vim
" with `flakelens` on PATH, FL_WS = a copy of the poglets fixture, the FL_*
" positions of tests/editors/positions.py, FL_LOG = the log to write.
" Exit: 0 pass, 1 a check failed, 3 watchdog.
let s:t0 = reltime()
let s:log = empty($FL_LOG) ? 'vim-test.log' : $FL_LOG
let s:step_ms = 15000

function! s:Say(msg) abort " -es: there is no screen; append to the log
  call writefile([printf('[%5dms] %s', float2nr(reltimefloat(reltime(s:t0)) * 1000), a:msg)], s:log, 'a')
endfunction
function! s:Check(name, ok, detail) abort
  call s:Say((a:ok ? 'PASS ' : 'FAIL ') . a:name . ' :: ' . string(a:detail))
  if !a:ok | throw 'check failed: ' . a:name | endif
endfunction
" Pump jobs, channels and timers (:sleep does that, also in -es) until Cond().
function! s:Wait(Cond) abort
  let l:start = reltime()
  while !a:Cond() && reltimefloat(reltime(l:start)) * 1000 < s:step_ms
    sleep 20m
  endwhile
  return a:Cond()
endfunction
function! s:Watchdog(timer) abort
  call s:Say('WATCHDOG: no result after 60 s')
  cquit 3
endfunction
call timer_start(60000, function('s:Watchdog'))

let s:resp = {}
function! s:OnResp(key, response) abort
  let s:resp[a:key] = a:response
endfunction
" A request through ALE's own connection to the server; returns the result.
function! s:Request(key, message) abort
  call ale#lsp_linter#SendRequest(bufnr('%'), 'flakelens', a:message, function('s:OnResp', [a:key]))
  call s:Check(a:key . ' answered', s:Wait({-> has_key(s:resp, a:key)}), get(s:resp, a:key, {}))
  return get(s:resp[a:key], 'result', v:null)
endfunction
function! s:Messages(buf) abort
  return map(copy(ale#engine#GetLoclist(a:buf)), {_, d -> [d.lnum, d.col, d.text]})
endfunction

function! s:Run() abort
  let l:host = $FL_WS . '/' . $FL_HOST
  execute 'edit ' . fnameescape(l:host)
  let l:buf = bufnr('%')
  set hidden  " the edits below leave the buffer modified; jumps must still leave it
  call s:Check('filetype nix detected', &filetype ==# 'nix', &filetype)
  call s:Check('the shipped linter is defined',
        \ index(map(ale#linter#Get('nix'), 'v:val.name'), 'flakelens') >= 0, ale#linter#Get('nix'))

  " 1. diagnostics: a type error appears where it is, then clears
  let l:line = str2nr($FL_PORT_LINE)
  let l:vcol = str2nr($FL_PORT_VALUE_COL)
  let l:orig = getline(l:line)
  call setline(l:line, strpart(l:orig, 0, l:vcol) . '"x"' . strpart(l:orig, l:vcol + 4))
  ALELint
  let l:got = s:Wait({-> s:Messages(l:buf) ==# [[l:line, l:vcol + 1, get(get(s:Messages(l:buf), 0, []), 2, '')]]
        \ && s:Messages(l:buf)[0][2] =~# 'port'})
  call s:Check('one type error, on the port value', l:got, s:Messages(l:buf))
  call setline(l:line, l:orig)
  ALELint
  call s:Check('diagnostic cleared after the fix', s:Wait({-> empty(s:Messages(l:buf))}), s:Messages(l:buf))

  " 2. definition: raw result, then the real jump (:ALEGoToDefinition, what gd maps to)
  let l:el = str2nr($FL_ENABLE_LINE)
  let l:ec = str2nr($FL_ENABLE_COL) + 3
  let l:loc = s:Request('definition', ale#lsp#message#Definition(l:buf, l:el, l:ec))
  if type(l:loc) == v:t_list | let l:loc = get(l:loc, 0, v:null) | endif
  call s:Check('definition -> the mkEnableOption line', type(l:loc) == v:t_dict
        \ && get(l:loc, 'uri', '') =~# '/' . escape($FL_DECL_FILE, '.') . '$'
        \ && l:loc.range.start.line + 1 == str2nr($FL_DECL_ENABLE_LINE), l:loc)
  call cursor(l:el, l:ec)
  ALEGoToDefinition
  let l:jumped = s:Wait({-> expand('%:p') =~# escape($FL_DECL_FILE, '.') . '$'})
  call s:Check(':ALEGoToDefinition lands on the declaration', l:jumped
        \ && line('.') == str2nr($FL_DECL_ENABLE_LINE) && col('.') == str2nr($FL_DECL_ENABLE_COL) + 1,
        \ [expand('%:p'), line('.'), col('.')])
  execute 'buffer ' . l:buf

  " 3. hover on the key `port`
  let l:hover = s:Request('hover', ale#lsp#message#Hover(l:buf, l:line, str2nr($FL_PORT_COL) + 2))
  let l:text = type(l:hover) == v:t_dict ? string(get(l:hover, 'contents', '')) : ''
  call s:Check('hover shows types.port and the default', l:text =~# 'types\.port'
        \ && l:text =~# $FL_PORT_DEFAULT, l:text)

  " 4. completion at the start of the key `port` (empty prefix), and ALE's
  "    own conversion of the items into Vim completion words
  let l:r = s:Request('completion', ale#lsp#message#Completion(l:buf, l:line, str2nr($FL_PORT_COL) + 1, ''))
  let l:words = map(ale#completion#ParseLSPCompletions({'result': l:r}), 'v:val.word')
  call s:Check('completion words include the poglets options', index(l:words, 'controlPort') >= 0
        \ && index(l:words, 'openFirewall') >= 0 && index(l:words, 'logLevel') >= 0, l:words)
endfunction

try
  call s:Run()
  let s:ok = 1
catch
  call s:Say('ERROR ' . v:exception . ' @ ' . v:throwpoint)
  let s:ok = 0
endtry
silent! ALEStopAllLSPs
if s:ok | qall! | else | cquit 1 | endif
