-- flakelens for Neovim 0.11+: the built-in vim.lsp.config / vim.lsp.enable.
-- (Alternatively copy lsp/flakelens.lua to ~/.config/nvim/lsp/ and call
-- only vim.lsp.enable('flakelens').)
vim.lsp.config('flakelens', {
  cmd = vim.split(os.getenv('FLAKELENS_CMD') or 'flakelens lsp', '%s+', { trimempty = true }),
  filetypes = { 'nix' },
  root_markers = { 'flake.nix', '.git' },
})
vim.lsp.enable('flakelens')
-- 0.11 maps grr (references), gra (code action), K (hover) and <C-]>
-- (definition, through tagfunc) already; add gd if you like:
vim.api.nvim_create_autocmd('LspAttach', {
  callback = function(args)
    vim.keymap.set('n', 'gd', vim.lsp.buf.definition, { buffer = args.buf })
  end,
})
