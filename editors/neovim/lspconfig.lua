-- flakelens with nvim-lspconfig (the plugin; not needed, see README.md).
-- nvim-lspconfig has no flakelens preset yet: register one, then set it up
-- like any other server. For lspconfig's `require('lspconfig').x.setup{}`
-- API (Neovim 0.7–0.10; on 0.11+ prefer lsp/flakelens.lua).
local configs = require('lspconfig.configs')
local util = require('lspconfig.util')
if not configs.flakelens then
  configs.flakelens = {
    default_config = {
      cmd = { 'flakelens', 'lsp' },
      filetypes = { 'nix' },
      root_dir = util.root_pattern('flake.nix', '.git'),
      single_file_support = true,
    },
    docs = { description = 'flakelens: NixOS/flake-aware language server' },
  }
end
require('lspconfig').flakelens.setup({})
