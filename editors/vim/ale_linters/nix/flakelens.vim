" ALE linter definition for flakelens (the Nix flake language server).
" ALE loads it by name from ale_linters/nix/ on 'runtimepath'; enable it with
"   let g:ale_linters = {'nix': ['flakelens']}
" Options (buffer- or global-scoped, as every ALE linter):
"   g:ale_nix_flakelens_executable  the server binary (default: flakelens on PATH)
"   g:ale_nix_flakelens_options     extra arguments after `lsp`

call ale#Set('nix_flakelens_executable', 'flakelens')
call ale#Set('nix_flakelens_options', '')

" The flake the buffer belongs to: the nearest directory upward holding
" flake.nix (ALE starts one server per root), else the buffer's directory.
function! ale_linters#nix#flakelens#GetProjectRoot(buffer) abort
    let l:flake = ale#path#FindNearestFile(a:buffer, 'flake.nix')

    return !empty(l:flake)
    \   ? fnamemodify(l:flake, ':h')
    \   : fnamemodify(bufname(a:buffer), ':p:h')
endfunction

function! ale_linters#nix#flakelens#GetCommand(buffer) abort
    return '%e lsp' . ale#Pad(ale#Var(a:buffer, 'nix_flakelens_options'))
endfunction

call ale#linter#Define('nix', {
\   'name': 'flakelens',
\   'lsp': 'stdio',
\   'executable': {b -> ale#Var(b, 'nix_flakelens_executable')},
\   'command': function('ale_linters#nix#flakelens#GetCommand'),
\   'project_root': function('ale_linters#nix#flakelens#GetProjectRoot'),
\})
