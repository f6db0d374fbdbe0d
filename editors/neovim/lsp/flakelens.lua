-- ~/.config/nvim/lsp/flakelens.lua (Neovim 0.11+, found on 'runtimepath').
-- Then, in init.lua: vim.lsp.enable('flakelens')
return {
  cmd = { 'flakelens', 'lsp' },
  filetypes = { 'nix' },
  root_markers = { 'flake.nix', '.git' },
}
